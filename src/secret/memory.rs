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
use zeroize::Zeroize;

/// Where the blocks come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// 2 MiB-aligned anonymous mapping advised for huge pages, falling back to `Ordinary`.
    HugePages,
    /// A plain `Vec<Block>`.
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
    Vec(Vec<Block>),
    #[cfg(target_os = "linux")]
    Mapped(mapped::Mapping),
}

impl Memory {
    pub fn new(blocks: usize, strategy: Strategy) -> Memory {
        #[cfg(target_os = "linux")]
        if strategy == Strategy::HugePages {
            if let Some(m) = mapped::Mapping::new(blocks) {
                return Memory {
                    inner: Inner::Mapped(m),
                    blocks,
                };
            }
        }
        let _ = strategy;
        Memory {
            inner: Inner::Vec(vec![Block::new(); blocks]),
            blocks,
        }
    }

    /// True when the blocks live in a huge-page-advised mapping.
    pub fn is_mapped(&self) -> bool {
        !matches!(self.inner, Inner::Vec(_))
    }

    pub fn blocks(&mut self) -> &mut [Block] {
        match &mut self.inner {
            Inner::Vec(v) => v.as_mut_slice(),
            #[cfg(target_os = "linux")]
            Inner::Mapped(m) => m.blocks(self.blocks),
        }
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // Block implements Zeroize with volatile writes, so this is not optimised away.
        self.blocks().iter_mut().for_each(Zeroize::zeroize);
    }
}

#[cfg(target_os = "linux")]
mod mapped {
    use argon2::Block;

    const HUGE_PAGE: usize = 2 * 1024 * 1024;

    /// An anonymous private mapping with a 2 MiB-aligned region of whole huge pages inside.
    pub struct Mapping {
        base: *mut libc::c_void,
        len: usize,
        aligned: *mut Block,
    }

    impl Mapping {
        pub fn new(blocks: usize) -> Option<Mapping> {
            let want = blocks
                .checked_mul(Block::SIZE)?
                .checked_next_multiple_of(HUGE_PAGE)?;
            let len = want.checked_add(HUGE_PAGE)?;
            // SAFETY: a fresh anonymous mapping; no existing memory is touched.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if base == libc::MAP_FAILED {
                return None;
            }
            let offset = (base as usize).next_multiple_of(HUGE_PAGE) - base as usize;
            // SAFETY: offset < HUGE_PAGE and offset + want <= len, so this stays inside.
            let aligned = unsafe { base.cast::<u8>().add(offset) };
            // Advice only: when THP is off the kernel says no and small pages are used.
            // SAFETY: the range lies inside the mapping made above.
            unsafe { libc::madvise(aligned.cast(), want, libc::MADV_HUGEPAGE) };
            Some(Mapping {
                base,
                len,
                aligned: aligned.cast(),
            })
        }

        pub fn blocks(&mut self, count: usize) -> &mut [Block] {
            // SAFETY: the region is 2 MiB-aligned (Block needs 64), holds at least `count`
            // blocks, is zero-filled by the kernel (a valid Block is any bit pattern), and is
            // borrowed mutably through `self` only.
            unsafe { std::slice::from_raw_parts_mut(self.aligned, count) }
        }
    }

    impl Drop for Mapping {
        fn drop(&mut self) {
            // SAFETY: unmaps exactly what `new` mapped; no slice into it outlives `self`.
            unsafe { libc::munmap(self.base, self.len) };
        }
    }
}
