//! Working memory for one argon2 evaluation.
//!
//! Filling 19 MiB of fresh anonymous memory one 4 KiB page fault at a time costs about a
//! third of a bare argon2id process. On Linux, memory mapped on a 2 MiB boundary and advised
//! with `MADV_HUGEPAGE` is faulted in as transparent huge pages instead (when THP is in
//! `always` or `madvise` mode), which removes most of that cost. Anywhere else, or when the
//! mapping fails, or with `APPW_HUGE_PAGES=0`, the blocks come from the ordinary allocator.
//! Either way the memory is zeroized before it is released: it holds values derived from
//! the password.

use argon2::Block;
#[cfg(not(target_os = "linux"))]
use zeroize::Zeroize;

/// Where the blocks come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// 2 MiB-aligned anonymous mapping advised for huge pages, falling back to `Ordinary`.
    HugePages,
    /// Zeroed blocks from the ordinary allocator.
    Ordinary,
}

impl Strategy {
    /// `HugePages` unless `APPW_HUGE_PAGES=0` asks otherwise (for comparisons and kernels
    /// where THP misbehaves).
    pub fn from_env() -> Strategy {
        match std::env::var_os("APPW_HUGE_PAGES") {
            Some(v) if v == "0" || v == "off" => Strategy::Ordinary,
            _ => Strategy::HugePages,
        }
    }
}

pub struct Memory {
    inner: Inner,
    blocks: usize,
}

enum Inner {
    Boxed(Box<[Block]>),
    #[cfg(target_os = "linux")]
    Mapped(mapped::Mapping),
}

/// A huge-page mapping being faulted in on another thread, and its size in blocks.
#[cfg(target_os = "linux")]
type Prepared = (usize, std::thread::JoinHandle<Option<mapped::Mapping>>);

#[cfg(target_os = "linux")]
static PREPARED: std::sync::Mutex<Option<Prepared>> = std::sync::Mutex::new(None);

/// Starts mapping and faulting in `blocks` of huge-page memory on another thread, for the
/// next [`Memory::new`] of that size to pick up. The kernel zeroes every fresh page (about
/// 4 ms for 19 MiB); done here it overlaps with what the process does before it can hash
/// (opening the store, reading the row) instead of adding to it. A no-op for `Ordinary`.
pub fn prepare(blocks: usize, strategy: Strategy) {
    #[cfg(target_os = "linux")]
    if strategy == Strategy::HugePages {
        let spawned = std::thread::Builder::new()
            .name("appw-prefault".into())
            .spawn(move || {
                let mut m = mapped::Mapping::new(blocks)?;
                m.prefault();
                Some(m)
            });
        if let (Ok(handle), Ok(mut slot)) = (spawned, PREPARED.lock()) {
            *slot = Some((blocks, handle));
        }
    }
    let _ = (blocks, strategy);
}

/// The prepared mapping, if one of exactly `blocks` was started (waiting for it to finish).
#[cfg(target_os = "linux")]
fn take_prepared(blocks: usize) -> Option<mapped::Mapping> {
    let (size, handle) = PREPARED.lock().ok()?.take()?;
    // Another size: let the thread finish and unmap it on its own (it never held secrets).
    (size == blocks).then(|| handle.join().ok().flatten())?
}

impl Memory {
    pub fn new(blocks: usize, strategy: Strategy) -> Memory {
        #[cfg(target_os = "linux")]
        if strategy == Strategy::HugePages {
            if let Some(m) = take_prepared(blocks).or_else(|| mapped::Mapping::new(blocks)) {
                return Memory {
                    inner: Inner::Mapped(m),
                    blocks,
                };
            }
        }
        let _ = strategy;
        Memory {
            inner: Inner::Boxed(zeroed_blocks(blocks)),
            blocks,
        }
    }

    /// True when the blocks live in a huge-page-advised mapping.
    pub fn is_mapped(&self) -> bool {
        !matches!(self.inner, Inner::Boxed(_))
    }

    pub fn blocks(&mut self) -> &mut [Block] {
        match &mut self.inner {
            Inner::Boxed(v) => v,
            #[cfg(target_os = "linux")]
            Inner::Mapped(m) => m.blocks(self.blocks),
        }
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        wipe(self.blocks());
    }
}

/// Overwrites `blocks` with zeros in a way the compiler may not drop as a dead store, even
/// though the memory is freed right after.
fn wipe(blocks: &mut [Block]) {
    // glibc's and musl's explicit_bzero is a full-speed memset behind a compiler barrier:
    // on 19 MiB about 3× faster than zeroize's word-by-word volatile stores.
    #[cfg(target_os = "linux")]
    // SAFETY: the pointer and length describe exactly the slice, which we borrow mutably.
    unsafe {
        libc::explicit_bzero(blocks.as_mut_ptr().cast(), std::mem::size_of_val(blocks))
    };
    #[cfg(not(target_os = "linux"))]
    blocks.iter_mut().for_each(Zeroize::zeroize);
}

/// `count` zero blocks straight from the allocator. For a buffer this size that is a fresh
/// mapping the kernel faults in on first write, as the argon2 crate's own allocation does;
/// `vec![Block::new(); count]` would instead write all of it once before argon2 does.
fn zeroed_blocks(count: usize) -> Box<[Block]> {
    if count == 0 {
        return Box::default();
    }
    let layout = std::alloc::Layout::array::<Block>(count).expect("argon2 bounds the block count");
    // SAFETY: the layout has a non-zero size (count > 0, Block is 1 KiB).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<Block>();
    if ptr.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    // SAFETY: `ptr` is a live allocation of `layout`, i.e. of `count` Blocks, all bytes zero
    // (a valid Block); Box<[Block]> frees it with that same layout.
    unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, count)) }
}

#[cfg(target_os = "linux")]
mod mapped {
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

        /// Faults the whole mapping in now, in one call where the kernel can (Linux 5.14+),
        /// else by touching each 4 KiB page.
        pub fn prefault(&mut self) {
            // SAFETY: the range is exactly this mapping.
            let done =
                unsafe { libc::madvise(self.base.cast(), self.len, libc::MADV_POPULATE_WRITE) };
            if done != 0 {
                for offset in (0..self.len).step_by(4096) {
                    // SAFETY: inside the mapping, which nothing else uses yet.
                    unsafe { self.base.cast::<u8>().add(offset).write_volatile(0) };
                }
            }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_memory_is_picked_up_and_other_sizes_still_work() {
        // Sizes no other test uses, since the prepared mapping is process-wide.
        prepare(777, Strategy::HugePages);
        let mut m = Memory::new(777, Strategy::HugePages);
        assert_eq!(m.blocks().len(), 777);
        assert!(m.blocks().iter().all(|b| b.as_ref().iter().all(|&w| w == 0)));
        prepare(779, Strategy::HugePages);
        let mut other = Memory::new(781, Strategy::HugePages);
        assert_eq!(other.blocks().len(), 781);
        let mut plain = Memory::new(5, Strategy::Ordinary);
        assert!(!plain.is_mapped());
        assert_eq!(plain.blocks().len(), 5);
    }
}
