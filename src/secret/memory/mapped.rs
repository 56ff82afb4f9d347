use argon2::Block;

const HUGE_PAGE: usize = 2 * 1024 * 1024;

/// An anonymous private mapping of whole huge pages on a 2 MiB boundary.
pub struct Mapping {
    base: *mut Block,
    len: usize,
    /// Bytes of blocks handed out, zeroized on drop (the rest of the last huge page is
    /// never written).
    used: usize,
}

impl Mapping {
    pub fn new(blocks: usize) -> Option<Mapping> {
        let used = blocks.checked_mul(Block::SIZE)?;
        let len = used.checked_next_multiple_of(HUGE_PAGE)?;
        if len == 0 {
            return None;
        }
        // Over-map by one huge page to find a 2 MiB boundary inside, then give back the
        // unaligned ends.
        let over = len.checked_add(HUGE_PAGE)?;
        // SAFETY: a fresh anonymous mapping; no existing memory is touched.
        let raw = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                over,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if raw == libc::MAP_FAILED {
            return None;
        }
        let head = (raw as usize).next_multiple_of(HUGE_PAGE) - raw as usize;
        let tail = over - head - len;
        // SAFETY: head < HUGE_PAGE and head + len <= over, so this stays inside.
        let base = unsafe { raw.cast::<u8>().add(head) };
        // SAFETY: both ranges lie inside the mapping made above and outside
        // [base, base + len); unmapping them cannot fail in a way that matters (at
        // worst the pages stay mapped, untouched, until exit).
        unsafe {
            if head > 0 {
                libc::munmap(raw, head);
            }
            if tail > 0 {
                libc::munmap(base.add(len).cast(), tail);
            }
        }
        // Advice only: when THP is off the kernel says no and small pages are used.
        // SAFETY: the range is the mapping kept above.
        unsafe { libc::madvise(base.cast(), len, libc::MADV_HUGEPAGE) };
        Some(Mapping {
            base: base.cast(),
            len,
            used,
        })
    }

    pub fn blocks(&mut self, count: usize) -> &mut [Block] {
        debug_assert!(count * Block::SIZE <= self.used);
        // SAFETY: the region is 2 MiB-aligned (Block needs 64), holds at least `count`
        // blocks, is zero-filled by the kernel (a valid Block is any bit pattern), and is
        // borrowed mutably through `self` only.
        unsafe { std::slice::from_raw_parts_mut(self.base, count) }
    }
}

// SAFETY: a Mapping owns its memory exclusively (nothing else has the pointer), so
// handing it to another thread is sound; it is not Sync and not shared.
unsafe impl Send for Mapping {}

impl Drop for Mapping {
    fn drop(&mut self) {
        // (`Memory` has wiped the blocks.)
        // SAFETY: unmaps exactly what `new` kept; no slice into it outlives `self`.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}
