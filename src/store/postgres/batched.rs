//! Rows read for a server's requests, several at a time: every request still reads its
//! credential's row after it arrived (so a revoke committed before the request is seen),
//! but requests that arrive while a read is in flight share the next round trip
//! (`WHERE id = ANY(...)`) instead of each paying one. Idle, a request waits for nobody.
//!
//! One round trip is in flight at a time: under load the batches are then as large as they
//! get, and PostgreSQL, on the same cores as the server, runs the fewest statements
//! (BENCHMARKS.md: 33,582 req/s against 28,748 with four). The price: a read that hangs
//! holds every request behind it until the requests' timeout, when it fails (503) and its
//! connection is closed.

use std::collections::HashMap;

use tokio::sync::{mpsc, oneshot};

use super::{Db, PgStore};
use crate::error::{Error, Result};
use crate::store::HashRecord;

/// Ids in one round trip at most.
const MAX_BATCH: usize = 256;
/// Requests that may wait for a read; beyond, the answer is 503 at once.
const MAX_WAITING: usize = 4096;
/// How long a request waits for its row, and one read may take, before the store counts as
/// unavailable, at least: never less than getting a connection may take (`connect_timeout`).
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

type Reply = oneshot::Sender<Result<Option<HashRecord>>>;

pub struct Batched {
    queue: mpsc::Sender<(String, Reply)>,
    timeout: std::time::Duration,
}

impl Batched {
    /// Starts the reader on the current runtime.
    pub fn start(store: PgStore) -> Batched {
        let (queue, rx) = mpsc::channel(MAX_WAITING);
        let timeout = READ_TIMEOUT.max(store.acquire_timeout());
        tokio::spawn(read_batches(store, rx, timeout));
        Batched { queue, timeout }
    }

    pub async fn read(&self, id: String) -> Result<Option<HashRecord>> {
        let (reply, answer) = oneshot::channel();
        self.queue.try_send((id, reply)).map_err(|e| {
            Error::Unavailable(match e {
                mpsc::error::TrySendError::Full(_) => "too many requests wait for the store".into(),
                mpsc::error::TrySendError::Closed(_) => "the store's reader has stopped".into(),
            })
        })?;
        match tokio::time::timeout(self.timeout, answer).await {
            Ok(Ok(row)) => row,
            Ok(Err(_)) => Err(Error::Unavailable("a store read was cancelled".into())),
            Err(_) => Err(unanswered(self.timeout)),
        }
    }
}

async fn read_batches(
    store: PgStore,
    mut rx: mpsc::Receiver<(String, Reply)>,
    timeout: std::time::Duration,
) {
    loop {
        let Some(first) = rx.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        // Requests whose client gave up (they timed out) are not read for.
        batch.retain(|(_, reply)| !reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
        match store.read_hash_records(&ids, timeout).await {
            Ok(records) => {
                let by_id: HashMap<String, HashRecord> =
                    records.into_iter().map(|r| (r.id.clone(), r)).collect();
                // Two requests for one id in one batch both get its row.
                for (id, reply) in batch {
                    let _ = reply.send(Ok(by_id.get(&id).cloned()));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for (_, reply) in batch {
                    let _ = reply.send(Err(Error::Unavailable(message.clone())));
                }
            }
        }
    }
}

impl PgStore {
    /// The rows of `ids` (those that exist), read from async code on the runtime the store
    /// was opened with (a server's requests, several in one round trip): a pooled
    /// connection for the one query, no blocking thread in between. A query that has not
    /// answered `within` fails, and its connection is closed, not given back: the pool
    /// would otherwise wait for the abandoned query before lending it again.
    pub async fn read_hash_records(
        &self,
        ids: &[String],
        within: std::time::Duration,
    ) -> Result<Vec<HashRecord>> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| self.target.connect_error(e))?;
        let shown = self.target.shown.as_str();
        let mut db = Db {
            conn: &mut conn,
            shown,
        };
        let read = tokio::time::timeout(within, db.hash_records(ids)).await;
        match read {
            Ok(rows) => rows,
            Err(_) => {
                conn.close_on_drop();
                Err(unanswered(within))
            }
        }
    }
}

/// What a read that took longer than `within` fails with.
fn unanswered(within: std::time::Duration) -> Error {
    Error::Unavailable(format!(
        "the store did not answer within {} s",
        within.as_secs()
    ))
}
