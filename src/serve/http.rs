//! HTTP: the four routes and `/auth`'s answers, on connections `connections` serves.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE,
};
use hyper::{Request, Response, StatusCode};

use super::connections::Io;
use super::listen::Peer;
use super::metrics::{Gauges, Outcome};
use super::query::{Query, scope};
use super::throttle::Refusal;
use super::workers::{Busy, Job};
use super::{Server, field, log};
use crate::auth::{self, Triage};
use crate::store::HashRecord;

type Body = Full<Bytes>;

/// Serves one `/auth` connection, counted in the open-connections gauge while it lasts.
pub fn spawn_connection(
    server: &Arc<Server>,
    io: Io,
    peer: Peer,
    watcher: hyper_util::server::graceful::Watcher,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let service = {
        let server = server.clone();
        hyper::service::service_fn(move |req| {
            let server = server.clone();
            async move { Ok::<_, std::convert::Infallible>(server.route(req, peer).await) }
        })
    };
    server.connections.fetch_add(1, Ordering::Relaxed);
    let server = server.clone();
    tokio::spawn(async move {
        super::connections::serve(io, service, watcher).await;
        server.connections.fetch_sub(1, Ordering::Relaxed);
        drop(permit);
    });
}

/// The headers a 204 names the credential's user and id in (static: no allocation per
/// request).
const X_APPW_USER: HeaderName = HeaderName::from_static("x-appw-user");
pub(super) const X_APPW_CREDENTIAL: HeaderName = HeaderName::from_static("x-appw-credential");

/// The answer when the store (or the argon2 queue) cannot decide now: 503, try again in a
/// second. `/auth` counts it as an outcome; the admin listener answers it as is.
pub fn unavailable() -> Response<Body> {
    let mut r = respond(StatusCode::SERVICE_UNAVAILABLE, "unavailable\n");
    r.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    r
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
                    argon2_evaluations: self.workers.evaluations(),
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

    /// `/auth`: the credential in the Authorization header, checked as `appw verify` does,
    /// through the same pipeline (parse, read, check and decide, outcome); what differs is
    /// that the server reads the row first and spends no argon2 on what the row alone
    /// decides, remembers passwords it has verified, and aggregates what it records.
    /// Also the admin listener's gate (`serve::gate`), hence any body type.
    pub(super) async fn auth<B>(self: &Arc<Self>, req: &Request<B>, peer: Peer) -> Response<Body> {
        let client = super::listen::client(peer, req.headers(), &self.config.trusted);
        let mut headers = req.headers().get_all(AUTHORIZATION).iter();
        let Some(header) = headers.next() else {
            self.metrics.count(Outcome::Challenged);
            return self.challenge();
        };
        if headers.next().is_some() {
            // Which one would a backend behind the proxy read? Neither is decided on.
            return self.refuse_unparsed(&client, None, "more than one Authorization header");
        }
        let scope = match scope(req.uri().query()) {
            Ok(scope) => scope,
            Err(Query::Malformed) => {
                // A query /auth does not read as written is the web server's configuration
                // (a typo in a key): refused, never read as "no scope".
                self.metrics.count(Outcome::BadRequest);
                return respond(StatusCode::BAD_REQUEST, "unknown or repeated query key\n");
            }
            Err(Query::InvalidScope) => {
                // A bad scope is the web server's configuration, not the client's doing.
                self.metrics.count(Outcome::Forbidden);
                return respond(StatusCode::FORBIDDEN, "invalid scope asked for\n");
            }
        };
        // 1. Parse: Basic or Bearer, and appw's password format (no store read, no hash).
        let parsed = match header.to_str() {
            Ok(value) => auth::Request::header(value, auth::Schemes::BasicOrBearer),
            Err(_) => Err(auth::Early {
                user: None,
                why: "the header is not text".into(),
            }),
        };
        let request = match parsed {
            Ok(request) => request,
            Err(early) => return self.refuse_unparsed(&client, early.user.as_deref(), &early.why),
        };
        // 2. Read the row the password's id names, after the request arrived.
        let record = match self.read(request.token.id().to_string()).await {
            Ok(record) => record,
            Err(e) => {
                self.metrics.store_errors.fetch_add(1, Ordering::Relaxed);
                log(format_args!("store error: {}", super::clean_error(&e)));
                return self.unavailable();
            }
        };
        let now = self.now();
        // 3. Check and decide.
        let claim = request.claim(scope.as_deref(), Some(&client));
        // For an evaluation let through to argon2: whether its failure, if it was one,
        // throttles the client.
        let mut throttles = None;
        let outcome = match auth::triage(record.as_ref(), &claim) {
            // The warm path: this very password was verified against the hash still stored.
            Triage::Check { record, hash }
                if self
                    .cache
                    .recalls(&record.id, &record.user, request.token.as_str(), hash) =>
            {
                self.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
                // The password is right: refused for expiry or a pause, it is no failure.
                throttles = Some(false);
                auth::Outcome::remembered(record, &claim, now)
            }
            triage => {
                if let Some(retry) = self.throttle.retry_after(&client, Instant::now()) {
                    return self.throttled(retry);
                }
                match triage {
                    Triage::Check { record, .. } => {
                        // Reserved against the limit until the answer (throttle.rs); a
                        // 503 here (queue full) counts as a failure.
                        let admission = match self.throttle.admit(&client, Instant::now()) {
                            Ok(admission) => admission,
                            Err(Refusal::Throttled(retry)) => return self.throttled(retry),
                            Err(Refusal::Busy) => return self.unavailable(),
                        };
                        let record = record.clone();
                        let outcome = match self.hash(request, scope, &client, record, now).await {
                            Ok(outcome) => outcome,
                            Err(response) => return response,
                        };
                        if outcome.password_was_right() {
                            admission.right();
                        } else {
                            throttles = Some(admission.failed());
                        }
                        outcome
                    }
                    // Unknown id, another user's, or revoked: decided without argon2
                    // (SECURITY.md, "appw serve and unknown ids").
                    Triage::Refused { reason, .. } => {
                        auth::Outcome::rejected(reason, record.as_ref(), &claim)
                    }
                }
            }
        };
        // 4. The outcome: recorded for the next group commit, and answered.
        match outcome {
            auth::Outcome::Valid(valid) => {
                // Both headers or no 2xx: a user name a header cannot carry (a store
                // written by hand) is the store's fault, not a pass, and not a use.
                let (Ok(user), Ok(id)) = (
                    HeaderValue::from_str(&valid.user),
                    HeaderValue::from_str(&valid.id),
                ) else {
                    return self.unavailable();
                };
                self.recorder
                    .used(&valid.id, Some(&client), now, valid.rehash());
                self.metrics.count(Outcome::Valid);
                let mut r = Response::new(Full::new(Bytes::new()));
                *r.status_mut() = StatusCode::NO_CONTENT;
                r.headers_mut().insert(X_APPW_USER, user);
                r.headers_mut().insert(X_APPW_CREDENTIAL, id);
                r
            }
            auth::Outcome::Rejected(rejected) => {
                self.recorder
                    .rejected(&rejected.rejection(Some(&client)), now);
                log(format_args!(
                    "rejected client={client} user={} credential={} reason={}",
                    rejected
                        .user
                        .as_deref()
                        .map_or_else(|| "-".to_string(), field),
                    rejected.id.as_deref().unwrap_or("-"),
                    field(rejected.reason.message())
                ));
                if rejected.reason.is_forbidden() {
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
        request: auth::Request,
        scope: Option<String>,
        client: &str,
        record: HashRecord,
        now: crate::store::Timestamp,
    ) -> Result<auth::Outcome, Response<Body>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let (id, user) = (record.id.clone(), record.user.clone());
        let hash = record.hash.clone().unwrap_or_default();
        let password = zeroize::Zeroizing::new(request.token.as_str().to_string());
        let job = Job {
            token: request.token,
            user: request.user,
            scope,
            source: Some(client.to_string()),
            record,
            now,
            reply,
        };
        match self.workers.submit(job) {
            Ok(()) => {}
            Err(Busy::Full | Busy::Stopped) => return Err(self.unavailable()),
        }
        match answer.await {
            Ok(Ok(outcome)) => {
                // Remembered when the password is right, whatever else refused it (scope,
                // expiry): the next request is then decided without argon2 too.
                if outcome.password_was_right() {
                    self.cache.remember(&id, &user, &password, &hash);
                }
                Ok(outcome)
            }
            Ok(Err(e)) => {
                self.metrics.store_errors.fetch_add(1, Ordering::Relaxed);
                log(format_args!("store error: {}", super::clean_error(&e)));
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

    /// The line fail2ban bans on: the client as it is throttled (an IPv6 client's /64).
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
        unavailable()
    }
}
