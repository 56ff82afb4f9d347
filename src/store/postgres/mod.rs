//! The PostgreSQL backend, for many hosts sharing one store, on sqlx.
//!
//! Concurrency: every session runs at READ COMMITTED (pinned at connection start, whatever
//! the server's default). That is safe here because every write that must not lose an update
//! is a single conditional statement: an `UPDATE ... WHERE <still as checked>` that meets a
//! row another transaction is changing waits for it, then re-evaluates its `WHERE` against
//! the committed row, so `use_count = use_count + 1` never loses a use and a revoke or rotate
//! that committed first makes a late `record_use` match nothing. Multi-statement writes
//! (revoke, rotate, rename) run in one READ COMMITTED transaction whose first statement takes
//! the row lock (a conditional `UPDATE` or `SELECT ... FOR UPDATE`), so nothing they read can
//! change under them. The exceptions are said where they are: the schema migration
//! serialises on an advisory lock, `export` reads one REPEATABLE READ snapshot, and `import`
//! locks both tables against writers.
//!
//! Running it: the [`Store`] trait is synchronous and sqlx is async, so a [`PgStore`] blocks
//! on each operation, either on a current-thread runtime of its own (the CLI, and `verify`'s
//! helper thread) or on a server's multi-thread runtime through its handle. A store takes one
//! connection from its pool on first use and gives it back when dropped; clones share the
//! pool, so a server hands a clone to each blocking task.

mod batched;
mod changes;
mod connect;
mod reads;
mod schema;
mod uses;
mod writes;

use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool, Postgres};

pub use batched::Batched;
pub use connect::{ACQUIRE_TIMEOUT, redact};
pub use schema::SCHEMA_VERSION;

use super::{
    Access, Batch, Changes, Credential, Dump, Event, HashRecord, ListFilter, LogFilter,
    NewCredential, Recorded, Rejection, Store, Timestamp, Use,
};
use crate::error::{Error, Result};

/// Where a [`PgStore`]'s database work runs.
#[derive(Clone)]
pub enum Runtime {
    /// A current-thread runtime of the store's own, shared by its clones: for a process
    /// that is synchronous throughout.
    Own,
    /// A multi-thread runtime's handle (a server's). The store's methods then block the
    /// calling thread with `Handle::block_on`: call them from `spawn_blocking` threads,
    /// never from async code.
    Shared(tokio::runtime::Handle),
}

#[derive(Clone)]
enum Exec {
    Own(Arc<OwnRuntime>),
    Shared(tokio::runtime::Handle),
}

impl Exec {
    fn block_on<F: Future>(&self, work: F) -> F::Output {
        match self {
            // Only the runtime itself drives a current-thread runtime's I/O.
            Exec::Own(rt) => rt.get().block_on(work),
            Exec::Shared(handle) => handle.block_on(work),
        }
    }

    fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        match self {
            Exec::Own(rt) => rt.get().enter(),
            Exec::Shared(handle) => handle.enter(),
        }
    }
}

/// A store's own current-thread runtime; `None` only while it is dropped.
struct OwnRuntime(Option<tokio::runtime::Runtime>);

impl OwnRuntime {
    fn get(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("taken only when dropped")
    }
}

impl Drop for OwnRuntime {
    /// Dropped inside some other runtime (a server that opened stores through
    /// [`PgStore::open`] and drops them in async code), waiting for this one's tasks would
    /// panic: leave them to end on their own.
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                rt.shutdown_background();
            }
        }
    }
}

pub struct PgStore {
    /// The connection this store holds from its first operation until it is dropped.
    /// (Declared first: dropped before the pool and the runtime.)
    conn: Option<PoolConnection<Postgres>>,
    pool: PgPool,
    target: Arc<connect::Target>,
    exec: Exec,
}

impl Clone for PgStore {
    /// Another handle on the same pool and runtime, without a connection until first used.
    fn clone(&self) -> PgStore {
        PgStore {
            conn: None,
            pool: self.pool.clone(),
            target: self.target.clone(),
            exec: self.exec.clone(),
        }
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        match &self.exec {
            // Nothing drives an own runtime after this: end the session (no round trip)
            // rather than leave a return to the pool that never runs. (Inside some other
            // runtime, where blocking would panic, the socket just closes with the runtime.)
            Exec::Own(rt) => {
                if tokio::runtime::Handle::try_current().is_err() {
                    let _ = rt.get().block_on(conn.close());
                } else {
                    let _entered = rt.get().enter();
                    drop(conn);
                }
            }
            // Back to the pool (sqlx spawns that on the runtime it is entered in).
            Exec::Shared(handle) => {
                let _entered = handle.enter();
                drop(conn);
            }
        }
    }
}

/// A store's connection while one operation runs on it.
struct Db<'s> {
    conn: &'s mut PgConnection,
    /// The URL without its password: what error messages name.
    shown: &'s str,
}

/// Runs one `Db` operation on the store's connection.
macro_rules! on_db {
    ($store:expr, $op:ident($($arg:expr),*)) => {{
        let (exec, mut db) = $store.db()?;
        exec.block_on(db.$op($($arg),*))
    }};
}

impl PgStore {
    /// The CLI's store: a current-thread runtime of its own and one connection.
    pub fn open(url: &str, access: Access) -> Result<Option<PgStore>> {
        PgStore::open_with(url, access, Runtime::Own, 1)
    }

    /// A store whose pool holds at most `max_connections`, run on `runtime`. It connects
    /// once (to check the schema, and create it when `access` allows) and keeps that
    /// connection; its clones connect when first used.
    pub fn open_with(
        url: &str,
        access: Access,
        runtime: Runtime,
        max_connections: u32,
    ) -> Result<Option<PgStore>> {
        let mut target = connect::Target::parse(url)?;
        // A server answers 503 while the database is away, and a refused connection is
        // retried until the timeout: unless the admin chose one, it is short there.
        if matches!(runtime, Runtime::Shared(_)) && !target.explicit_timeout {
            target.acquire_timeout = connect::SERVER_ACQUIRE_TIMEOUT;
        }
        let exec = match runtime {
            Runtime::Own => Exec::Own(Arc::new(OwnRuntime(Some(
                tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .enable_time()
                    .build()
                    .map_err(|e| Error::Unavailable(format!("cannot start a runtime: {e}")))?,
            )))),
            Runtime::Shared(handle) => Exec::Shared(handle),
        };
        let pool = {
            let _entered = exec.enter();
            target.pool(max_connections)
        };
        let mut store = PgStore {
            conn: None,
            pool,
            target: Arc::new(target),
            exec,
        };
        let version = on_db!(store, version())?;
        match version {
            Some(v) if v > SCHEMA_VERSION => Err(schema::newer(&store.target.shown, v)),
            Some(v) if v == SCHEMA_VERSION => Ok(Some(store)),
            None if access == Access::Existing => Ok(None),
            _ => {
                on_db!(store, migrate())?;
                Ok(Some(store))
            }
        }
    }

    /// How long getting a connection may take (`connect_timeout`, `$PGCONNECT_TIMEOUT`).
    pub fn acquire_timeout(&self) -> std::time::Duration {
        self.target.acquire_timeout
    }

    /// Closes the pool once every connection has come back (from async code, on the
    /// store's runtime): a server's last step, so no connection outlives its runtime.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The runtime and this store's connection (taken from the pool on first use).
    fn db(&mut self) -> Result<(&Exec, Db<'_>)> {
        let PgStore {
            conn,
            pool,
            target,
            exec,
        } = self;
        if conn.is_none() {
            let acquired = exec.block_on(pool.acquire());
            *conn = Some(acquired.map_err(|e| target.connect_error(e))?);
        }
        let conn = conn
            .as_deref_mut()
            .ok_or_else(|| Error::Unavailable("no connection to the store".into()))?;
        let shown = target.shown.as_str();
        Ok((exec, Db { conn, shown }))
    }
}

/// PostgreSQL's code for "permission denied".
const INSUFFICIENT_PRIVILEGE: &str = "42501";

/// Names the store and says what went wrong, with hints where the cause is the role's
/// privileges or the connection; never the password.
fn pg_error(shown: &str, err: sqlx::Error) -> Error {
    match err {
        sqlx::Error::Database(db) if db.code().as_deref() == Some(INSUFFICIENT_PRIVILEGE) => {
            Error::Unavailable(format!(
                "the store {shown} refused this command: {}; the database role in the URL \
                 lacks the privilege (a verify-only role can verify but not create, revoke, \
                 rotate or rename)",
                db.message()
            ))
        }
        sqlx::Error::Database(db) => Error::Unavailable(format!(
            "the store {shown} cannot be used: {}",
            db.message()
        )),
        sqlx::Error::Io(e) => Error::Unavailable(format!(
            "the connection to the store {shown} failed ({e}); check the server and try again"
        )),
        other => Error::Unavailable(format!("the store {shown} cannot be used: {other}")),
    }
}

/// Whether `err` is a unique violation of `constraint`.
fn is_violation(err: &sqlx::Error, constraint: &str) -> bool {
    matches!(err, sqlx::Error::Database(db)
        if db.kind() == sqlx::error::ErrorKind::UniqueViolation
            && db.constraint() == Some(constraint))
}

impl Store for PgStore {
    fn insert(&mut self, new: &NewCredential, now: Timestamp, actor: &str) -> Result<bool> {
        on_db!(self, insert(new, now, actor))
    }

    fn hash_record(&mut self, id: &str) -> Result<Option<HashRecord>> {
        on_db!(self, hash_record(id))
    }

    fn record_use(&mut self, use_: &Use<'_>, now: Timestamp) -> Result<Recorded> {
        on_db!(self, record_use(use_, now))
    }

    fn prepare_verify_writes(&mut self) -> Result<()> {
        on_db!(self, prepare_verify_writes())
    }

    fn may_rehash(&mut self) -> Result<bool> {
        on_db!(self, may_rehash())
    }

    fn record_rejection(&mut self, rejection: &Rejection<'_>, now: Timestamp) -> Result<()> {
        on_db!(self, record_rejection(rejection, now))
    }

    fn record_uses(&mut self, batch: &Batch) -> Result<()> {
        on_db!(self, record_uses(batch))
    }

    fn list(&mut self, filter: &ListFilter, now: Timestamp) -> Result<Vec<Credential>> {
        on_db!(self, list(filter, now))
    }

    fn count_active(&mut self, user: Option<&str>) -> Result<u64> {
        on_db!(self, count_active(user))
    }

    fn get(&mut self, id_or_prefix: &str) -> Result<Credential> {
        on_db!(self, get(id_or_prefix))
    }

    fn find_by_name(&mut self, user: &str, name: &str) -> Result<Option<Credential>> {
        on_db!(self, find_by_name(user, name))
    }

    fn revoke(&mut self, ids: &[String], now: Timestamp, actor: &str) -> Result<Vec<Credential>> {
        on_db!(self, revoke(ids, now, actor))
    }

    fn revoke_all(&mut self, user: Option<&str>, now: Timestamp, actor: &str) -> Result<u64> {
        on_db!(self, revoke_all(user, now, actor))
    }

    fn rotate(
        &mut self,
        old_id: &str,
        new: &NewCredential,
        now: Timestamp,
        actor: &str,
    ) -> Result<bool> {
        on_db!(self, rotate(old_id, new, now, actor))
    }

    fn update(
        &mut self,
        id: &str,
        changes: &Changes,
        now: Timestamp,
        actor: &str,
    ) -> Result<Credential> {
        on_db!(self, update(id, changes, now, actor))
    }

    fn events(&mut self, filter: &LogFilter) -> Result<Vec<Event>> {
        on_db!(self, events(filter))
    }

    fn prune_events(&mut self, before: Timestamp, now: Timestamp, actor: &str) -> Result<u64> {
        on_db!(self, prune_events(before, now, actor))
    }

    fn export(&mut self) -> Result<Dump> {
        on_db!(self, export())
    }

    fn import(&mut self, dump: &Dump) -> Result<()> {
        on_db!(self, import(dump))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_is_cheap_to_clone_and_fit_for_blocking_tasks() {
        fn fit<T: Clone + Send + 'static>() {}
        fit::<PgStore>();
    }
}
