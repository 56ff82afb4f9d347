//! Working memory for one argon2 evaluation.
//!
//! Filling 19 MiB of fresh anonymous memory one 4 KiB page fault at a time costs about a
//! third of a bare argon2id process. On Linux, memory mapped on a 2 MiB boundary and advised
//! with `MADV_HUGEPAGE` is faulted in as transparent huge pages instead (when THP is in
//! `always` or `madvise` mode), which removes most of that cost. Anywhere else, or when the
//! mapping fails, or with `APPW_HUGE_PAGES=0`, the blocks come from the ordinary allocator.
//! Either way the memory is zeroized before it is released: it holds values derived from
//! the password.

use std::sync::Mutex;

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

/// Memory for one evaluation. Dropped, it is wiped (after its populating thread is done)
/// and freed on the dropping thread; an [`Arena`] decides when it is dropped instead.
pub struct Memory {
    inner: Inner,
    blocks: usize,
    /// The thread faulting the pages in, joined before the memory is wiped and freed.
    populator: Option<std::thread::JoinHandle<()>>,
}

enum Inner {
    Boxed(Box<[Block]>),
    #[cfg(target_os = "linux")]
    Mapped(mapped::Mapping),
}

impl Memory {
    /// `blocks` of zeroed memory. Huge-page memory is faulted in by a helper thread at once
    /// (on Linux), so that argon2, filling it front to back, rarely waits for the kernel
    /// to clear a 2 MiB page. (For ordinary 4 KiB pages the helper measured no faster: the
    /// two threads contend for the same page-table locks.)
    pub fn new(blocks: usize, strategy: Strategy) -> Memory {
        let mut inner = Inner::new(blocks, strategy);
        let populator = match strategy {
            Strategy::HugePages => populate_in_background(inner.slice(blocks)),
            Strategy::Ordinary => None,
        };
        Memory {
            inner,
            blocks,
            populator,
        }
    }

    /// True when the blocks live in a huge-page-advised mapping.
    #[cfg(test)]
    fn is_mapped(&self) -> bool {
        !matches!(self.inner, Inner::Boxed(_))
    }

    pub fn blocks(&mut self) -> &mut [Block] {
        self.inner.slice(self.blocks)
    }

    fn wipe(&mut self) {
        if let Some(populator) = self.populator.take() {
            let _ = populator.join();
        }
        let blocks = self.blocks;
        wipe(self.inner.slice(blocks));
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl Inner {
    fn new(blocks: usize, strategy: Strategy) -> Inner {
        #[cfg(target_os = "linux")]
        if strategy == Strategy::HugePages {
            if let Some(m) = mapped::Mapping::new(blocks) {
                return Inner::Mapped(m);
            }
        }
        let _ = strategy;
        Inner::Boxed(zeroed_blocks(blocks))
    }

    fn slice(&mut self, blocks: usize) -> &mut [Block] {
        match self {
            Inner::Boxed(v) => v,
            #[cfg(target_os = "linux")]
            Inner::Mapped(m) => m.blocks(blocks),
        }
    }
}

/// Starts faulting in the pages under `blocks` on another thread with
/// `MADV_POPULATE_WRITE` (Linux 5.14+), which maps pages in without reading or writing
/// their contents, so the caller may fill the memory meanwhile: a fault either thread takes
/// first is simply not taken again. Without it (or on a kernel that refuses), argon2's own
/// writes fault the pages in, as in any process.
fn populate_in_background(blocks: &mut [Block]) -> Option<std::thread::JoinHandle<()>> {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = (blocks.as_mut_ptr() as usize).next_multiple_of(PAGE);
        let end = blocks.as_mut_ptr() as usize + std::mem::size_of_val(blocks);
        // Below a megabyte a thread costs more than the faults it would save.
        if start >= end || end - start < 1 << 20 {
            return None;
        }
        std::thread::Builder::new()
            .name("appw-prefault".into())
            .spawn(move || {
                // SAFETY: the range lies inside memory that `Memory` keeps allocated until it
                // has joined this thread; POPULATE_WRITE never changes its contents.
                unsafe {
                    libc::madvise(
                        start as *mut libc::c_void,
                        end - start,
                        libc::MADV_POPULATE_WRITE,
                    )
                };
            })
            .ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = blocks;
        None
    }
}

/// What an [`Arena`] does with an evaluation's memory once it is done: chosen by the
/// process that owns the arena, never by a mode set elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Wipe and free it at once, on the evaluating thread.
    WipeNow,
    /// Wipe and free it on a background thread, so that the ~2 ms of clearing 19 MiB
    /// overlaps with what a short process still does after the hash (the store write, the
    /// output); [`Arena::finish`] (or dropping the arena) waits for every such wipe. For a
    /// command, which ends soon: a process that stays up would collect threads.
    WipeInBackground,
    /// Keep it for the next evaluation of the same size (a server's argon2 worker faults
    /// its huge pages in once, not on every request, and spawns no threads); the owner
    /// calls [`Arena::wipe_idle`] whenever it has nothing else to do, and until then the
    /// next evaluation, which overwrites every block before it reads one (argon2's first
    /// pass), is the wipe. A kept memory is handed out as it is, not zeroed, which argon2
    /// does not need.
    Keep,
}

/// Where one owner's evaluations get their memory: where the blocks come from
/// ([`Strategy`]), what happens after an evaluation ([`Reuse`]), memory prepared ahead by
/// [`Arena::prepare`] or kept from the last evaluation, and wipes still under way.
pub struct Arena {
    strategy: Strategy,
    reuse: Reuse,
    slot: Mutex<Slot>,
    /// Background wipes under way ([`Reuse::WipeInBackground`]).
    wiping: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

#[derive(Default)]
struct Slot {
    memory: Option<Memory>,
    /// The memory in the slot still holds what the last evaluation left.
    dirty: bool,
}

impl Arena {
    pub fn new(strategy: Strategy, reuse: Reuse) -> Arena {
        Arena {
            strategy,
            reuse,
            slot: Mutex::new(Slot::default()),
            wiping: Mutex::new(Vec::new()),
        }
    }

    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Allocates `blocks` of memory now for the next evaluation of that size, and (for huge
    /// pages) starts faulting it in on another thread: the kernel zeroes every fresh page
    /// (about 4 ms for 19 MiB), which then overlaps with what the process does before it
    /// can hash (opening the store, reading the row) instead of adding to it, on a machine
    /// with a second core.
    pub fn prepare(&self, blocks: usize) {
        let memory = Memory::new(blocks, self.strategy);
        let old = std::mem::replace(
            &mut *self.slot(),
            Slot {
                memory: Some(memory),
                dirty: false,
            },
        );
        drop(old); // wiped by Memory's drop, outside the lock
    }

    /// Memory of `blocks` for one evaluation: the prepared or kept one if it has that
    /// size, else fresh.
    pub fn take(&self, blocks: usize) -> Memory {
        let found = {
            let mut slot = self.slot();
            match &slot.memory {
                Some(m) if m.blocks == blocks => {
                    slot.dirty = false;
                    slot.memory.take()
                }
                _ => None,
            }
        };
        found.unwrap_or_else(|| Memory::new(blocks, self.strategy))
    }

    /// Hands back the memory of a finished evaluation (see [`Reuse`]).
    pub fn give_back(&self, memory: Memory) {
        match self.reuse {
            Reuse::WipeNow => drop(memory),
            Reuse::Keep => {
                let mut slot = self.slot();
                if slot.memory.is_none() {
                    slot.memory = Some(memory);
                    slot.dirty = true;
                } else {
                    drop(slot);
                    drop(memory);
                }
            }
            Reuse::WipeInBackground => {
                // Registered under the lock, so that `finish` cannot miss a wipe that has
                // started.
                let mut wiping = self.wiping.lock().unwrap_or_else(|p| p.into_inner());
                // (Should no thread be had, the closure, memory and all, is dropped here,
                // and the memory wiped on this thread.)
                if let Ok(handle) = std::thread::Builder::new()
                    .name("appw-wipe".into())
                    .spawn(move || drop(memory))
                {
                    wiping.push(handle);
                }
            }
        }
    }

    /// Zeroes the kept memory if an evaluation has used it since ([`Reuse::Keep`]): a
    /// worker calls it before it waits for work, so what an evaluation leaves never
    /// outlasts a busy spell.
    pub fn wipe_idle(&self) {
        let mut slot = self.slot();
        if std::mem::take(&mut slot.dirty) {
            if let Some(m) = slot.memory.as_mut() {
                let blocks = m.blocks;
                wipe(m.inner.slice(blocks));
            }
        }
    }

    /// Waits until every background wipe is done.
    pub fn finish(&self) {
        let pending = std::mem::take(&mut *self.wiping.lock().unwrap_or_else(|p| p.into_inner()));
        for wipe in pending {
            let _ = wipe.join();
        }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        self.finish();
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
mod mapped;

#[cfg(test)]
mod tests;
