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
    /// The thread faulting the pages in, joined before the memory is wiped and freed.
    populator: Option<std::thread::JoinHandle<()>>,
    strategy: Strategy,
}

enum Inner {
    Boxed(Box<[Block]>),
    #[cfg(target_os = "linux")]
    Mapped(mapped::Mapping),
}

/// Memory allocated ahead by [`prepare`] for the next [`Memory::new`] of its size.
static PREPARED: std::sync::Mutex<Option<Memory>> = std::sync::Mutex::new(None);

/// Allocates `blocks` of memory now for the next [`Memory::new`] of that size and strategy
/// to pick up, and (for huge pages) starts faulting it in on another thread: the kernel
/// zeroes every fresh page (about 4 ms for 19 MiB), which then overlaps with what the
/// process does before it can hash (opening the store, reading the row) instead of adding
/// to it, on a machine with a second core.
pub fn prepare(blocks: usize, strategy: Strategy) {
    let memory = Memory::new(blocks, strategy);
    if let Ok(mut slot) = PREPARED.lock() {
        *slot = Some(memory);
    }
}

impl Memory {
    /// `blocks` of zeroed memory. Huge-page memory is faulted in by a helper thread at once
    /// (on Linux), so that argon2, filling it front to back, rarely waits for the kernel
    /// to clear a 2 MiB page. (For ordinary 4 KiB pages the helper measured no faster: the
    /// two threads contend for the same page-table locks.)
    pub fn new(blocks: usize, strategy: Strategy) -> Memory {
        let kept = KEPT
            .try_with(|k| {
                k.borrow_mut()
                    .take_if(|m| m.blocks == blocks && m.strategy == strategy)
            })
            .ok()
            .flatten();
        if let Some(m) = kept {
            return m;
        }
        if let Some(m) = PREPARED.lock().ok().and_then(|mut slot| slot.take()) {
            if m.blocks == blocks && m.strategy == strategy {
                return m;
            }
            // Another size: `m` is dropped (it never held secrets).
        }
        let mut inner = Inner::new(blocks, strategy);
        let populator = match strategy {
            Strategy::HugePages => populate_in_background(inner.slice(blocks)),
            Strategy::Ordinary => None,
        };
        Memory {
            inner,
            blocks,
            populator,
            strategy,
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

thread_local! {
    /// Whether this thread keeps its memory between evaluations (see [`keep_on_this_thread`]).
    static KEEP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The memory this thread keeps for its next evaluation.
    static KEPT: std::cell::RefCell<Option<Memory>> = const { std::cell::RefCell::new(None) };
    /// Whether the kept memory still holds what the last evaluation left (see [`wipe_kept`]).
    static KEPT_DIRTY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// From now on, memory dropped on this thread is kept for the thread's next evaluation of
/// the same size instead of being unmapped: a server's argon2 worker then faults its huge
/// pages in once, not on every request, and spawns no wipe threads. The thread wipes it
/// with [`wipe_kept`] whenever it has nothing else to do; until then the next evaluation,
/// which overwrites every block before it reads one (argon2's first pass), is the wipe.
/// (A kept memory is handed out as it is: not zeroed, which argon2 does not need.)
pub fn keep_on_this_thread() {
    KEEP.with(|k| k.set(true));
}

/// Zeroes the memory this thread keeps, if an evaluation has used it since: a worker calls
/// it before it waits for work, so what an evaluation leaves never outlasts a busy spell.
pub fn wipe_kept() {
    if KEPT_DIRTY.try_with(|d| d.replace(false)).unwrap_or(false) {
        let _ = KEPT.try_with(|k| {
            if let Some(m) = k.borrow_mut().as_mut() {
                let blocks = m.blocks;
                wipe(m.inner.slice(blocks));
            }
        });
    }
}

/// Whether drops hand their wipe to a background thread (see [`defer_wipes`]).
static DEFER_WIPES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// Wipes under way on background threads, joined by [`finish_wipes`].
static PENDING_WIPES: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>> =
    std::sync::Mutex::new(Vec::new());

/// From now on, a dropped `Memory` is wiped and freed on a background thread, so that
/// the ~2 ms of clearing 19 MiB overlaps with what the process still has to do after the
/// hash (the store write, the output). The caller promises to call [`finish_wipes`]
/// before the process exits: the binary's `main` does, on every path.
pub fn defer_wipes() {
    DEFER_WIPES.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Waits until every deferred wipe is done.
pub fn finish_wipes() {
    let pending = PENDING_WIPES
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default();
    for wipe in pending {
        let _ = wipe.join();
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        if self.blocks > 0 && KEEP.try_with(std::cell::Cell::get).unwrap_or(false) {
            let slot_free = KEPT.try_with(|k| k.borrow().is_none()).unwrap_or(false);
            if slot_free {
                if let Some(populator) = self.populator.take() {
                    let _ = populator.join();
                }
                let kept = Memory {
                    inner: std::mem::replace(&mut self.inner, Inner::Boxed(Box::default())),
                    blocks: std::mem::take(&mut self.blocks),
                    populator: None,
                    strategy: self.strategy,
                };
                let _ = KEPT.try_with(|k| *k.borrow_mut() = Some(kept));
                let _ = KEPT_DIRTY.try_with(|d| d.set(true));
                return;
            }
        }
        let populator = self.populator.take();
        let (blocks, inner) = (
            self.blocks,
            std::mem::replace(&mut self.inner, Inner::Boxed(Box::default())),
        );
        self.blocks = 0;
        let finish = move || {
            let mut inner = inner;
            if let Some(populator) = populator {
                let _ = populator.join();
            }
            wipe(inner.slice(blocks));
        };
        if !DEFER_WIPES.load(std::sync::atomic::Ordering::Relaxed) {
            return finish();
        }
        // Register under the lock so finish_wipes cannot miss a wipe that has started.
        let Ok(mut pending) = PENDING_WIPES.lock() else {
            return finish();
        };
        let shared = std::sync::Arc::new(std::sync::Mutex::new(Some(finish)));
        let for_thread = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("appw-wipe".into())
            .spawn(move || {
                if let Some(f) = for_thread.lock().ok().and_then(|mut f| f.take()) {
                    f();
                }
            });
        match spawned {
            Ok(handle) => pending.push(handle),
            Err(_) => {
                drop(pending);
                // No thread: wipe here instead.
                if let Some(f) = shared.lock().ok().and_then(|mut f| f.take()) {
                    f();
                }
            }
        }
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
