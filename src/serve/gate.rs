//! What the admin listener ([`crate::web`]) uses of the server, in one place: the gate that
//! `/auth` is (the same parse, checks, throttling, log and records), the store pool, and the
//! argon2 workers. The web front reaches nothing else of the server's internals.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{AUTHORIZATION, HeaderMap, HeaderName};
use hyper::{Request, Response, StatusCode};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::Server;
use crate::error::{Error, Result};
use crate::secret::Hasher;
use crate::secret::memory::{Arena, Reuse};
use crate::store::{HashRecord, Store, Timestamp};

pub use super::connections::{Accepting, Io, serve as serve_connection};
pub use super::http::unavailable;
pub use super::listen::{Address, Listener, Peer};
pub use super::log::{field, log};

/// A response of the server's own (the gate's refusals).
pub type Answer = Response<Full<Bytes>>;

/// What the gate concluded about a request's credential.
pub enum Gate {
    /// Verified, with the credential's id.
    Passed { id: String },
    /// Refused: `/auth`'s own answer (401 with its challenge, 403, 429, 503).
    Refused(Answer),
}

/// The request headers `/auth`'s pipeline reads: the credential, and the client address a
/// trusted proxy gives (`listen::client`). The gate is handed only these ([`gate_headers`]):
/// a rule that reads another header must add it here.
const READS: [HeaderName; 3] = [
    AUTHORIZATION,
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("x-real-ip"),
];

/// What of `headers` the gate reads (every value of each, in order). The values share
/// their bytes with `headers` (a `HeaderValue` is reference-counted): nothing is copied.
pub fn gate_headers(headers: &HeaderMap) -> HeaderMap {
    let mut picked = HeaderMap::new();
    for name in &READS {
        for value in headers.get_all(name) {
            picked.append(name.clone(), value.clone());
        }
    }
    picked
}

/// Binds the admin listener's sockets. Never the sockets systemd passes: those are
/// `--listen`'s, and the admin routes must not appear on `/auth`'s listener.
pub fn bind_admin(addresses: &[Address]) -> Result<Vec<Listener>> {
    addresses.iter().map(super::listen::bind_one).collect()
}

impl Server {
    /// Decides the credential in `headers` (see [`gate_headers`]) exactly as
    /// `/auth?scope=SCOPE` decides it: the same code path, so a rule added there (a new
    /// rejection reason) holds here too, with the same cost, throttling, log line and
    /// record.
    pub async fn gate(
        self: &Arc<Self>,
        headers: HeaderMap,
        peer: Peer,
        scope: Option<&str>,
    ) -> Gate {
        let uri = match scope {
            None => "/auth".to_string(),
            Some(s) => format!("/auth?scope={}", utf8_percent_encode(s, NON_ALPHANUMERIC)),
        };
        let mut req = Request::new(());
        match uri.parse() {
            Ok(uri) => *req.uri_mut() = uri,
            Err(_) => return Gate::Refused(unavailable()),
        }
        *req.headers_mut() = headers;
        let answer = self.auth(&req, peer).await;
        if answer.status() == StatusCode::NO_CONTENT {
            if let Some(id) = answer
                .headers()
                .get(super::http::X_APPW_CREDENTIAL)
                .and_then(|v| v.to_str().ok())
            {
                return Gate::Passed { id: id.to_string() };
            }
        }
        Gate::Refused(answer)
    }

    /// The argon2 parameters new hashes get, and where argon2's memory comes from.
    pub fn hasher(&self) -> Hasher {
        Hasher::new(
            self.config.kdf,
            Arena::new(self.config.huge_pages, Reuse::WipeNow),
        )
    }

    /// The origins `/authorize` may send a password to.
    pub fn authorize_origins(&self) -> &[String] {
        &self.config.authorize_origins
    }

    /// The client a request comes from, as `/auth` names it in its log and throttles it.
    pub fn client(&self, peer: Peer, headers: &HeaderMap) -> String {
        super::listen::client(peer, headers, &self.config.trusted)
    }

    /// The time a request's decisions are made at (the server's clock).
    pub fn clock(&self) -> Timestamp {
        self.now()
    }

    /// The row of credential `id`, read as `/auth` reads it. A store error is logged and
    /// counted here: the caller only answers it.
    pub async fn record(self: &Arc<Self>, id: String) -> Result<Option<HashRecord>> {
        let read = self.read(id).await;
        self.logged(read)
    }

    /// `result`, its store error (the kind answered 503) counted and logged as `/auth`'s
    /// are, so the operator sees why: the one place the admin listener's store errors go
    /// through, each logged once (its callers only answer it). Other errors (an unknown id,
    /// a duplicate name) are the request's, not the store's.
    fn logged<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(e @ Error::Unavailable(_)) = &result {
            self.metrics.store_errors.fetch_add(1, Ordering::Relaxed);
            log(format_args!("store error: {}", super::clean_error(e)));
        }
        result
    }

    /// An operation on a pooled store connection, on the blocking pool (never on the
    /// threads that answer requests). A store error is logged and counted here.
    pub async fn with_store<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut (dyn Store + 'static)) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let done = self.blocking(f).await;
        self.logged(done)
    }

    /// Work that hashes (issuing a password), on the argon2 workers that `/auth`'s checks
    /// use, with a worker's hasher: never on the threads that answer requests, and bounded
    /// by the same queue (refused as unavailable when it is full). A store error is logged
    /// and counted here; a full queue is not one (nor is it for `/auth`).
    pub async fn hashing<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut (dyn Store + 'static), &Hasher) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let pool = self.pool.clone();
        let busy = || Error::Unavailable("the server is busy; try again shortly".into());
        self.workers
            .run(move |hasher| {
                let _ = reply.send(pool.with(|s| f(s, hasher)));
            })
            .map_err(|_| busy())?;
        match answer.await {
            Ok(done) => self.logged(done),
            Err(_) => Err(busy()),
        }
    }
}
