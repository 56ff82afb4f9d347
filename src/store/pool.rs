//! A bounded set of open stores for a process that stays up (`appw serve`): connections are
//! opened on demand, reused, and dropped after an error, so the next use opens a fresh one
//! (a store repaired or a database restarted is picked up without a restart).

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::{Access, Location, Store, open};
use crate::error::{Error, Result};

/// How long a caller waits for a free connection before the store counts as unavailable.
const WAIT: Duration = Duration::from_secs(1);

pub struct Pool {
    location: Location,
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
    /// now, so a store that cannot be used is reported before the server starts.
    pub fn open(location: &Location, max: usize) -> Result<Arc<Pool>> {
        let first = open(location, Access::Create)?
            .ok_or_else(|| Error::Store(format!("the store {location} could not be created")))?;
        Ok(Arc::new(Pool {
            location: location.clone(),
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
                return match open(&self.location, Access::Existing) {
                    Ok(Some(store)) => Ok(store),
                    failed => {
                        self.state.lock().unwrap_or_else(|p| p.into_inner()).open -= 1;
                        self.freed.notify_one();
                        Err(failed.err().unwrap_or_else(|| {
                            Error::Store(format!("the store {} has disappeared", self.location))
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
                return Err(Error::Store(format!(
                    "all {} connections to the store are busy",
                    self.max
                )));
            }
        }
    }

    pub fn location(&self) -> &Location {
        &self.location
    }
}
