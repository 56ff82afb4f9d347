//! A bounded set of open stores for a process that stays up (`appw serve`): connections are
//! opened on demand, reused, and dropped after an error, so the next use opens a fresh one
//! (a store repaired or a database restarted is picked up without a restart).

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::postgres::{Batched, PgStore, Runtime};
use super::{Access, HashRecord, Location, Store, open};
use crate::error::{Error, Result};

/// How long a caller waits for a free connection before the store counts as unavailable.
const WAIT: Duration = Duration::from_secs(1);

pub struct Pool {
    location: Location,
    /// PostgreSQL: one store on the server's runtime whose clones share its connection
    /// pool; new slots are clones of it rather than new pools.
    shared: Option<PgStore>,
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<Box<dyn Store>>,
    /// Connections open, idle or lent.
    open: usize,
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
        Ok(Arc::new(Pool {
            location: location.clone(),
            shared,
            max: max.max(1),
            state: Mutex::new(State {
                idle: vec![first],
                open: 1,
            }),
            freed: Condvar::new(),
        }))
    }

    /// Runs `f` on a connection of the pool. A connection whose operation failed is closed
    /// rather than reused.
    pub fn with<T>(self: &Arc<Self>, f: impl FnOnce(&mut dyn Store) -> Result<T>) -> Result<T> {
        let mut store = self.take()?;
        let out = f(&mut *store);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if out.is_ok() {
            state.idle.push(store);
        } else {
            state.open -= 1;
        }
        drop(state);
        self.freed.notify_one();
        out
    }

    fn take(&self) -> Result<Box<dyn Store>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(store) = state.idle.pop() {
                return Ok(store);
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                if let Some(shared) = &self.shared {
                    return Ok(Box::new(shared.clone()));
                }
                return match open(&self.location, Access::Existing) {
                    Ok(Some(store)) => Ok(store),
                    failed => {
                        self.state.lock().unwrap_or_else(|p| p.into_inner()).open -= 1;
                        self.freed.notify_one();
                        Err(failed.err().unwrap_or_else(|| {
                            Error::Unavailable(format!(
                                "the store {} has disappeared",
                                self.location
                            ))
                        }))
                    }
                };
            }
            let (next, timeout) = self
                .freed
                .wait_timeout(state, WAIT)
                .unwrap_or_else(|p| p.into_inner());
            state = next;
            if timeout.timed_out() && state.idle.is_empty() && state.open >= self.max {
                return Err(Error::Unavailable(format!(
                    "all {} connections to the store are busy",
                    self.max
                )));
            }
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
