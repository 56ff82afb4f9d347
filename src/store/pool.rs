//! A bounded set of open stores for a process that stays up (`appw serve`): connections are
//! opened on demand, reused, and dropped after an error, so the next use opens a fresh one
//! (a store repaired or a database restarted is picked up without a restart).
//!
//! A SQLite store is a path, and what is at the path can change under a running server: a
//! backup renamed into place, the folder removed and made anew, the file deleted. Before
//! every use the path is looked at again (one `stat`): when it is no longer the file the
//! connections have open, they are retired and the next use opens the file now there with
//! every check a fresh start makes; when nothing is there, the use fails (the server
//! answers 503). Whether the store may still be trusted (owners and modes of its files and
//! folders) is checked again at most every [`TRUST_EVERY`].

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::postgres::{Batched, PgStore, Runtime};
use super::{Access, HashRecord, Location, Store, open};
use crate::error::{Error, Result};
use file::{FileId, file_id};

/// How long a caller waits for a free connection before the store counts as unavailable.
const WAIT: Duration = Duration::from_secs(1);
/// How often a SQLite store's files and folders are checked again for who could replace
/// them (a few `stat`s each).
pub const TRUST_EVERY: Duration = Duration::from_millis(500);

pub struct Pool {
    location: Location,
    /// PostgreSQL: one store on the server's runtime whose clones share its connection
    /// pool; new slots are clones of it rather than new pools.
    shared: Option<PgStore>,
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
    /// Threads waiting on `freed`. std's `notify_*` is a futex system call even when no one
    /// waits, and every read of the warm path gives a connection back: so only when someone
    /// does. A waiter counts itself in while holding `state`, which every notifier changes
    /// before it looks here, so no wake-up is missed.
    waiting: AtomicUsize,
}

struct State {
    idle: Vec<Box<dyn Store>>,
    /// Connections open, idle or lent.
    open: usize,
    /// SQLite: the file at the path as last seen, content included (`None` once it is
    /// gone): when the path shows anything else, the connections are retired.
    file: Option<FileId>,
    /// SQLite: the file (device and inode) the connections of this generation have open,
    /// `None` when that is not known (the path is gone, or changed while a connection was
    /// being opened). Kept apart from `file`: a checkpoint changes the content, not which
    /// file the connections hold, and must not make them orphans.
    inode: Option<(u64, u64)>,
    /// Bumped whenever the connections open are retired: one lent before comes back to
    /// be closed, not reused.
    generation: u64,
    /// Connections of a generation below this one have a file open that is no longer at
    /// the path (another inode): their WAL is folded into it when they are closed.
    orphans_below: u64,
    /// Such connections not closed yet: no new one is opened until they are, since the
    /// path's `-wal` may still be theirs.
    orphans_open: usize,
    /// SQLite: when the store's trust was last checked and found good.
    trusted_at: Option<Instant>,
}

impl Pool {
    /// A pool of at most `max` connections to the store at `location`, created if missing
    /// (a server records uses, so it is a command that writes). One connection is opened
    /// now, so a store that cannot be used is reported before the server starts. A
    /// PostgreSQL store runs on `runtime` (a multi-thread runtime's handle; call this from
    /// outside it): its operations must then be called from blocking threads.
    pub fn open(
        location: &Location,
        max: usize,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Arc<Pool>> {
        let missing = || Error::Unavailable(format!("the store {location} could not be created"));
        let (first, shared): (Box<dyn Store>, _) = match location {
            Location::Postgres(url) => {
                let max = u32::try_from(max).unwrap_or(u32::MAX);
                let opened =
                    PgStore::open_with(url, Access::Create, Runtime::Shared(runtime.clone()), max)?
                        .ok_or_else(missing)?;
                // The prototype holds no connection (the one `opened` checked the schema on
                // goes back to the pool): each slot takes its own.
                let shared = opened.clone();
                (Box::new(opened), Some(shared))
            }
            Location::Sqlite(_) => (open(location, Access::Create)?.ok_or_else(missing)?, None),
        };
        let file = match location {
            Location::Sqlite(path) => file_id(path)?,
            Location::Postgres(_) => None,
        };
        let inode = file.map(FileId::inode);
        Ok(Arc::new(Pool {
            location: location.clone(),
            shared,
            max: max.max(1),
            state: Mutex::new(State {
                idle: vec![first],
                open: 1,
                file,
                inode,
                generation: 0,
                orphans_below: 0,
                orphans_open: 0,
                trusted_at: Some(Instant::now()),
            }),
            freed: Condvar::new(),
            waiting: AtomicUsize::new(0),
        }))
    }

    /// Runs `f` on a connection of the pool. A connection whose operation failed is closed
    /// rather than reused.
    pub fn with<T>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut (dyn Store + 'static)) -> Result<T>,
    ) -> Result<T> {
        if let Location::Sqlite(path) = &self.location {
            self.check_file(path)?;
        }
        let (mut store, generation) = self.take()?;
        let out = f(&mut *store);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let current = generation == state.generation;
        let orphan = generation < state.orphans_below;
        if out.is_ok() && current {
            state.idle.push(store);
            drop(state);
        } else {
            state.open -= 1;
            drop(state);
            if orphan {
                store.retire();
                drop(store);
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                state.orphans_open = state.orphans_open.saturating_sub(1);
            }
        }
        self.wake_all();
        out
    }

    /// Whether the SQLite file at `path` is still the one the connections have open, and
    /// still trustworthy; retires them when it is not.
    fn check_file(&self, path: &Path) -> Result<()> {
        let now = file_id(path)?;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let due = state.trusted_at.is_none_or(|t| t.elapsed() >= TRUST_EVERY);
        if now == state.file && !due {
            return Ok(());
        }
        if now != state.file {
            // Another file at the path (or none, or not known which the connections hold):
            // theirs is an orphan, whose WAL is folded into it as they close. The same file
            // with other content (a checkpoint, an overwrite in place): they are closed and
            // the next use opens it again, no more.
            let moved = match (now, state.inode) {
                (Some(now), Some(held)) => now.inode() != held,
                _ => true,
            };
            let retired = self.retire_all(&mut state);
            if moved {
                state.orphans_below = state.generation;
                // Those lent now, and those just taken out of use.
                state.orphans_open = state.open + retired.len();
            }
            // From here on the path is looked at against what it now shows: the next
            // connection opens that file (`take` checks it does), so neither a checkpoint
            // nor a swap retires more than once.
            state.file = now;
            state.inode = now.map(FileId::inode);
            drop(state);
            let count = retired.len();
            for mut store in retired {
                if moved {
                    store.retire();
                }
            }
            if moved {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                state.orphans_open = state.orphans_open.saturating_sub(count);
            }
            self.wake_all();
            if now.is_none() {
                return Err(Error::Unavailable(format!(
                    "the store {} is gone (deleted or moved); put it back, or create one",
                    path.display()
                )));
            }
            // The next connection opens the file now there, with every check.
            return Ok(());
        }
        drop(state);
        match crate::store::trust::check_store_quietly(path) {
            Ok(()) => {
                self.state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .trusted_at = Some(Instant::now());
                Ok(())
            }
            Err(e) => {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let retired = self.retire_all(&mut state);
                state.trusted_at = None;
                drop(state);
                drop(retired);
                self.wake_all();
                Err(e)
            }
        }
    }

    /// Takes every idle connection out of use, and marks those lent to be closed when they
    /// come back.
    fn retire_all(&self, state: &mut State) -> Vec<Box<dyn Store>> {
        let retired = std::mem::take(&mut state.idle);
        state.open -= retired.len();
        state.generation += 1;
        retired
    }

    fn take(&self) -> Result<(Box<dyn Store>, u64)> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(store) = state.idle.pop() {
                return Ok((store, state.generation));
            }
            if state.open < self.max && state.orphans_open == 0 {
                state.open += 1;
                let generation = state.generation;
                drop(state);
                if let Some(shared) = &self.shared {
                    return Ok((Box::new(shared.clone()), generation));
                }
                let before = self.sqlite_file();
                return match open(&self.location, Access::Existing) {
                    Ok(Some(store)) => {
                        let after = self.sqlite_file();
                        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                        let opened = match (before, after) {
                            (Some(b), Some(a)) if b.inode() == a.inode() => Some(b.inode()),
                            _ => None,
                        };
                        if generation == state.generation {
                            if opened.is_some() && opened == state.inode {
                                // Opened with every check a fresh start makes.
                                state.trusted_at = Some(Instant::now());
                            } else {
                                // The path changed while it was being opened: which file
                                // this connection holds is not known, so the next use
                                // retires this generation as orphans.
                                state.file = None;
                                state.inode = None;
                            }
                        }
                        Ok((store, generation))
                    }
                    failed => {
                        self.state.lock().unwrap_or_else(|p| p.into_inner()).open -= 1;
                        self.wake_one();
                        Err(failed.err().unwrap_or_else(|| {
                            Error::Unavailable(format!(
                                "the store {} has disappeared",
                                self.location
                            ))
                        }))
                    }
                };
            }
            self.waiting.fetch_add(1, Ordering::SeqCst);
            let (next, timeout) = self
                .freed
                .wait_timeout(state, WAIT)
                .unwrap_or_else(|p| p.into_inner());
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            state = next;
            if timeout.timed_out() && state.idle.is_empty() && state.orphans_open > 0 {
                return Err(Error::Unavailable(format!(
                    "the store {} was replaced, and connections to the old file are still \
                     busy",
                    self.location
                )));
            }
            if timeout.timed_out() && state.idle.is_empty() && state.open >= self.max {
                return Err(Error::Unavailable(format!(
                    "all {} connections to the store are busy",
                    self.max
                )));
            }
        }
    }

    fn wake_all(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.freed.notify_all();
        }
    }

    fn wake_one(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.freed.notify_one();
        }
    }

    /// The file at a SQLite store's path now, if any.
    fn sqlite_file(&self) -> Option<FileId> {
        match &self.location {
            Location::Sqlite(path) => file_id(path).ok().flatten(),
            Location::Postgres(_) => None,
        }
    }

    /// Closes every idle connection (the last step of a server; lent ones close when they
    /// come back), and on PostgreSQL waits until the connection pool is closed.
    pub async fn close(&self) {
        let idle = std::mem::take(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()).idle);
        drop(idle);
        if let Some(shared) = &self.shared {
            shared.close().await;
        }
    }

    /// How a long-running process should read the rows its requests are decided on, as
    /// this backend reads best. (Call it on the runtime the reads will run on.)
    pub fn reader(self: &Arc<Self>) -> Reader {
        match &self.shared {
            Some(pg) => Reader(Reads::Batched(Batched::start(pg.clone()))),
            None => Reader(Reads::Inline(self.clone())),
        }
    }
}

/// Reads the row a request is decided on, from async code, whatever the backend.
pub struct Reader(Reads);

enum Reads {
    /// SQLite answers a primary-key read in microseconds without blocking on other
    /// processes (WAL readers never wait for writers): read on the calling thread.
    Inline(Arc<Pool>),
    /// PostgreSQL: from async code on the shared connection pool, requests that arrive
    /// while a read is in flight sharing the next round trip.
    Batched(Batched),
}

impl Reader {
    /// The row of credential `id`, read now.
    pub async fn hash_record(&self, id: String) -> Result<Option<HashRecord>> {
        match &self.0 {
            Reads::Inline(pool) => pool.with(|s| s.hash_record(&id)),
            Reads::Batched(batched) => batched.read(id).await,
        }
    }
}

mod file;
#[cfg(test)]
mod tests;
