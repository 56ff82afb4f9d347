//! HTTP: connections with hyper's limits, the four routes, and `/auth`'s answers.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

use super::checkers::{Remembered, Unchecked};
use super::listen::{Listener, Peer};
use super::metrics::{Gauges, Outcome};
use super::throttle::Refusal;
use super::workers::{Busy, Job};
use super::{Server, field, log};
use crate::auth::{self, Claim, Decision, Reason, basic};
use crate::secret::Token;
use crate::store::HashRecord;

/// Request heads larger than this get 431: an Authorization header is under 200 bytes, and
/// proxies add a few more headers.
const MAX_HEAD: usize = 16 * 1024;
/// A client that sends no complete request head for this long (an idle keep-alive
/// connection included) is disconnected: slowloris holds nothing for long.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

type Body = Full<Bytes>;

pub enum Io {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

pub async fn accept(listener: &Listener) -> std::io::Result<(Io, Peer)> {
    match listener {
        Listener::Tcp(l) => {
            let (s, addr) = l.accept().await?;
            let _ = s.set_nodelay(true);
            Ok((Io::Tcp(s), Peer::Ip(addr.ip())))
        }
        Listener::Unix(l) => l.accept().await.map(|(s, _)| {
            let peer = Peer::unix(&s);
            (Io::Unix(s), peer)
        }),
    }
}

pub fn spawn_connection(
    server: &Arc<Server>,
    io: Io,
    peer: Peer,
    watcher: hyper_util::server::graceful::Watcher,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD)
        .max_headers(64);
    let server = server.clone();
    let service = {
        let server = server.clone();
        hyper::service::service_fn(move |req| {
            let server = server.clone();
            async move { Ok::<_, std::convert::Infallible>(server.route(req, peer).await) }
        })
    };
    server.connections.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        // Errors here are a client's (a malformed request hyper answered with 400, a reset):
        // nothing to log for each.
        let _ = match io {
            Io::Tcp(s) => {
                watcher
                    .watch(http.serve_connection(TokioIo::new(s), service))
                    .await
            }
            Io::Unix(s) => {
                watcher
                    .watch(http.serve_connection(TokioIo::new(s), service))
                    .await
            }
        };
        server.connections.fetch_sub(1, Ordering::Relaxed);
        drop(permit);
    });
}

fn respond(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

impl Server {
    async fn route(self: &Arc<Self>, req: Request<Incoming>, peer: Peer) -> Response<Body> {
        match req.uri().path() {
            "/auth" => self.auth(&req, peer).await,
            "/healthz" => respond(StatusCode::OK, "ok\n"),
            "/readyz" => match self.read("readyz".into()).await {
                Ok(_) => respond(StatusCode::OK, "ready\n"),
                Err(_) => {
                    self.metrics.store_errors.fetch_add(1, Ordering::Relaxed);
                    self.unavailable()
                }
            },
            "/metrics" => {
                let gauges = Gauges {
                    queue_depth: self.workers.waiting(),
                    pending_records: self.recorder.pending(),
                    cached_credentials: self.cache.len(),
                    open_connections: self.connections.load(Ordering::Relaxed),
                    argon2_evaluations: crate::secret::kdf::evaluations(),
                };
                let mut r = Response::new(Full::new(Bytes::from(self.metrics.render(&gauges))));
                r.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                );
                r
            }
            _ => respond(StatusCode::NOT_FOUND, "not found\n"),
        }
    }

    /// `/auth`: the credential in the Authorization header, checked as `appw verify` does.
    async fn auth(self: &Arc<Self>, req: &Request<Incoming>, peer: Peer) -> Response<Body> {
        let client = super::listen::client(peer, req.headers(), &self.config.trusted);
        let Some(header) = req.headers().get(AUTHORIZATION) else {
            self.metrics.count(Outcome::Challenged);
            return self.challenge();
        };
        let scope = scope(req.uri().query());
        let scope = match scope {
            Ok(scope) => scope,
            Err(()) => {
                // A bad scope is the web server's configuration, not the client's doing.
                self.metrics.count(Outcome::Forbidden);
                return respond(StatusCode::FORBIDDEN, "invalid scope asked for\n");
            }
        };
        let creds = match header
            .to_str()
            .map_err(|_| "the header is not text".to_string())
            .and_then(basic::parse)
        {
            Ok(creds) => creds,
            Err(why) => return self.refuse_unparsed(&client, None, &why),
        };
        let token = match Token::parse(&creds.password) {
            Ok(token) => token,
            Err(e) => {
                return self.refuse_unparsed(&client, Some(&creds.user), Reason::from(e).message());
            }
        };
        drop(creds.password);
        let claim = Claim {
            user: &creds.user,
            scope: scope.as_deref(),
            source: Some(&client),
        };
        let id = token.id().to_string();
        let record = match self.read(id).await {
            Ok(record) => record,
            Err(e) => {
                self.metrics.store_errors.fetch_add(1, Ordering::Relaxed);
                log(format_args!("store error: {}", super::clean_error(&e)));
                return self.unavailable();
            }
        };
        let Some(now) = Server::now() else {
            log(format_args!("the clock cannot be read; refusing to decide"));
            return self.unavailable();
        };
        // An evaluation let through to argon2, reserved against the throttle's limit
        // until the answer says whether the password was right.
        let mut admitted = None;
        // The warm path: this very password was verified against the hash still stored.
        let remembered = record
            .as_ref()
            .and_then(|r| r.hash.as_deref())
            .filter(|hash| {
                self.cache
                    .recalls(token.id(), claim.user, token.as_str(), hash)
            });
        let (decision, rehash) = if remembered.is_some() {
            self.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
            (
                auth::decide(record.as_ref(), &Remembered, &claim, now),
                None,
            )
        } else if let Some(retry) = self.throttle.retry_after(&client, Instant::now()) {
            return self.throttled(retry);
        } else if auth::needs_check(record.as_ref(), &claim) {
            admitted = match self.throttle.admit(&client, Instant::now()) {
                Ok(admission) => Some(admission),
                Err(Refusal::Throttled(retry)) => return self.throttled(retry),
                Err(Refusal::Busy) => return self.unavailable(),
            };
            let record = record.clone().expect("needs_check saw a record");
            match self.hash(token, &claim, record, now).await {
                Ok(checked) => (Ok(checked.decision), checked.rehash),
                Err(response) => return response,
            }
        } else {
            // Unknown id, another user's, or revoked: decided without argon2 (SECURITY.md,
            // "appw serve and unknown ids").
            (auth::decide(record.as_ref(), &Unchecked, &claim, now), None)
        };
        let decision = match decision {
            Ok(d) => d,
            Err(e) => {
                self.metrics.store_errors.fetch_add(1, Ordering::Relaxed);
                log(format_args!("store error: a stored hash is damaged: {e}"));
                return self.unavailable();
            }
        };
        // The admission settled: nothing counted for a right password (whatever else
        // refused it), a failure otherwise; `Some(true)` when that failure throttles.
        let throttles = admitted.map(|admission| {
            if is_right(&decision) {
                admission.right();
                false
            } else {
                admission.failed()
            }
        });
        let record = record.as_ref();
        match decision {
            Decision::Valid { .. } => {
                let record = record.expect("a valid decision has a record");
                let hash = record.hash.clone().unwrap_or_default();
                self.recorder.used(
                    &record.id,
                    Some(&client),
                    now,
                    rehash.map(|new| (hash, new)),
                );
                self.metrics.count(Outcome::Valid);
                let mut r = respond(StatusCode::NO_CONTENT, "");
                *r.body_mut() = Full::new(Bytes::new());
                r.headers_mut().remove(CONTENT_TYPE);
                // Both headers or no 2xx: a user name a header cannot carry (a store
                // written by hand) is the store's fault, not a pass.
                match (
                    HeaderValue::from_str(&record.user),
                    HeaderValue::from_str(&record.id),
                ) {
                    (Ok(user), Ok(id)) => {
                        r.headers_mut().insert("x-appw-user", user);
                        r.headers_mut().insert("x-appw-credential", id);
                        r
                    }
                    _ => self.unavailable(),
                }
            }
            Decision::Rejected(reason) => {
                let id = record
                    .filter(|_| reason.names_credential())
                    .map(|r| r.id.as_str());
                self.recorder
                    .rejected(id, claim.user, reason, Some(&client), now);
                log(format_args!(
                    "rejected client={client} user={} credential={} reason={}",
                    field(claim.user),
                    id.unwrap_or("-"),
                    field(reason.message())
                ));
                if reason.is_forbidden() {
                    self.metrics.count(Outcome::Forbidden);
                    return respond(StatusCode::FORBIDDEN, "forbidden\n");
                }
                match throttles {
                    Some(true) => self.log_throttled(&client),
                    Some(false) => {}
                    None => self.failed(&client),
                }
                self.metrics.count(Outcome::Rejected);
                self.challenge()
            }
        }
    }

    /// One argon2 check on the worker pool; remembers a password that verified.
    async fn hash(
        self: &Arc<Self>,
        token: Token,
        claim: &Claim<'_>,
        record: HashRecord,
        now: crate::store::Timestamp,
    ) -> Result<super::workers::Checked, Response<Body>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let (id, hash) = (record.id.clone(), record.hash.clone().unwrap_or_default());
        let password = zeroize::Zeroizing::new(token.as_str().to_string());
        let job = Job {
            token,
            user: claim.user.to_string(),
            scope: claim.scope.map(str::to_string),
            source: claim.source.map(str::to_string),
            record,
            now,
            reply,
        };
        match self.workers.submit(job) {
            Ok(()) => {}
            Err(Busy::Full | Busy::Stopped) => return Err(self.unavailable()),
        }
        match answer.await {
            Ok(Ok(checked)) => {
                // Remembered when the password is right, whatever else refused it (scope,
                // expiry): the next request is then decided without argon2 too.
                if is_right(&checked.decision) {
                    self.cache.remember(&id, claim.user, &password, &hash);
                }
                Ok(checked)
            }
            Ok(Err(e)) => {
                self.metrics.store_errors.fetch_add(1, Ordering::Relaxed);
                log(format_args!("store error: a stored hash is damaged: {e}"));
                Err(self.unavailable())
            }
            Err(_) => Err(self.unavailable()),
        }
    }

    /// A header or password that did not even parse: refused without the store or a hash.
    fn refuse_unparsed(&self, client: &str, user: Option<&str>, why: &str) -> Response<Body> {
        if let Some(retry) = self.throttle.retry_after(client, Instant::now()) {
            return self.throttled(retry);
        }
        log(format_args!(
            "rejected client={client} user={} credential=- reason={}",
            user.map_or_else(|| "-".to_string(), field),
            field(why)
        ));
        self.failed(client);
        self.metrics.count(Outcome::Rejected);
        self.challenge()
    }

    fn failed(&self, client: &str) {
        if self.throttle.fail(client, Instant::now()) {
            self.log_throttled(client);
        }
    }

    fn log_throttled(&self, client: &str) {
        log(format_args!(
            "throttled client={} failures={} seconds={}",
            super::throttle::key(client),
            self.config.max_failures,
            super::throttle::WINDOW.as_secs()
        ));
    }

    fn challenge(&self) -> Response<Body> {
        let mut r = respond(StatusCode::UNAUTHORIZED, "unauthorized\n");
        let value = format!("Basic realm=\"{}\", charset=\"UTF-8\"", self.config.realm);
        if let Ok(v) = HeaderValue::from_str(&value) {
            r.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
        r
    }

    fn throttled(&self, retry: u64) -> Response<Body> {
        self.metrics.count(Outcome::Throttled);
        let mut r = respond(StatusCode::TOO_MANY_REQUESTS, "too many failed attempts\n");
        r.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(retry));
        r
    }

    fn unavailable(&self) -> Response<Body> {
        self.metrics.count(Outcome::Unavailable);
        let mut r = respond(StatusCode::SERVICE_UNAVAILABLE, "unavailable\n");
        r.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        r
    }
}

/// Whether a decision says the password was right, whatever else refused it.
fn is_right(decision: &Decision) -> bool {
    matches!(
        decision,
        Decision::Valid { .. }
            | Decision::Rejected(Reason::Scope | Reason::Network | Reason::Expired)
    )
}

/// `?scope=S` from the query; `Err` when it is not one valid scope (twice, empty, or a
/// bare `scope` is an error, never a check without a scope).
fn scope(query: Option<&str>) -> Result<Option<String>, ()> {
    let Some(query) = query else {
        return Ok(None);
    };
    let mut found = None;
    for pair in query.split('&') {
        if pair == "scope" || (pair.starts_with("scope=") && found.is_some()) {
            return Err(());
        }
        if let Some(value) = pair.strip_prefix("scope=") {
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_err(drop)?
                .into_owned();
            if !crate::access::is_scope(&value) {
                return Err(());
            }
            found = Some(value);
        }
    }
    Ok(found)
}
