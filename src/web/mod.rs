//! The admin listener (`appw serve --admin-listen`): the JSON management API under
//! `/api/v1/` and the Application Passwords screen at `/`. A front over the core
//! operations (`ops`): it translates requests into them and renders what they return.
//!
//! It runs in `appw serve`'s process and runtime, on sockets of its own (never `/auth`'s),
//! and decides every credential through the server's own gate ([`auth`]). Work that hashes
//! runs on the server's argon2 workers; store writes on the blocking pool.

mod actions;
mod api;
mod assets;
mod auth;
mod authorize;
mod body;
mod calls;
mod csrf;
mod origin;
mod pages;
mod reply;
mod session;
mod sign_in;
mod views;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use hyper::body::Incoming;
use tower_service::Service as _;

use crate::serve::Server;
use crate::serve::gate::{Accepting, Io, Listener, Peer, log, serve_connection};

/// Admin connections open at most; beyond, new ones wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 1024;
/// How long admin requests in flight may take to finish after a stop signal.
const DRAIN: Duration = Duration::from_secs(10);

/// What every admin request handler shares.
pub struct Admin {
    server: Arc<Server>,
    sessions: session::Sessions,
    /// The sign-in form's CSRF tokens (no session holds them).
    sign_in: csrf::SignIn,
    /// For the core operations that do not hash (those that do use a worker's).
    hasher: Arc<crate::secret::Hasher>,
    /// Where `/auth` listens, for the screen's ready `curl` line.
    auth_url: Option<String>,
    /// The origins `/authorize` may send a password to (normalised).
    authorize_origins: Vec<String>,
}

pub use authorize::origin as authorize_origin;

/// Starts serving the admin routes on `listeners` (none: nothing is served) and returns
/// the server's stop signal extended: when `stop` completes, the admin listener stops
/// accepting and its requests in flight finish before the returned future completes.
pub fn start<F: Future<Output = ()>>(
    server: &Arc<Server>,
    listeners: Vec<Listener>,
    auth_listeners: &[String],
    stop: F,
) -> impl Future<Output = ()> + use<F> {
    let admin = Arc::new(Admin {
        server: server.clone(),
        sessions: session::Sessions::default(),
        sign_in: csrf::SignIn::random(),
        hasher: Arc::new(server.hasher()),
        auth_url: auth_listeners.first().map(|l| auth_url(l)),
        authorize_origins: server.authorize_origins().to_vec(),
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    sweep(admin.clone(), stop_rx.clone());
    let router = router(admin);
    for listener in &listeners {
        log(format_args!(
            "admin API and screen listening on {}",
            listener.describe()
        ));
    }
    let accepting = Accepting::start(
        listeners,
        MAX_CONNECTIONS,
        &stop_rx,
        move |io, peer, watcher, permit| connection(router.clone(), io, peer, watcher, permit),
    );
    async move {
        stop.await;
        let _ = stop_tx.send(true);
        if !accepting.drain(DRAIN).await {
            log(format_args!("some admin requests did not finish"));
        }
    }
}

/// Sweeps ended sessions, and passwords nobody came for, out of memory until the stop.
fn sweep(admin: Arc<Admin>, mut stop: tokio::sync::watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(session::SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = every.tick() => admin.sessions.sweep(),
            }
        }
    });
}

/// `http://ADDR/auth` for a TCP listener, or curl's way to a Unix socket.
fn auth_url(described: &str) -> String {
    match described.strip_prefix("unix:") {
        Some(path) => format!("--unix-socket {path} http://localhost/auth"),
        None => format!("http://{described}/auth"),
    }
}

/// The JSON API's routes, each behind the guard that refuses what a browser sent from
/// another site.
fn api_routes() -> Router<Arc<Admin>> {
    Router::new()
        .route(
            "/api/v1/credentials",
            get(api::list).post(api::create).delete(api::revoke_all),
        )
        .route(
            "/api/v1/credentials/self",
            get(api::show_self).delete(api::revoke_self),
        )
        .route(
            "/api/v1/credentials/{id}",
            get(api::show).patch(api::update).delete(api::revoke),
        )
        .route("/api/v1/credentials/{id}/rotate", post(api::rotate))
        .route("/api/v1/log", get(api::log))
        .route_layer(axum::middleware::from_fn(origin::api_only_from_here))
}

fn router(admin: Arc<Admin>) -> Router {
    Router::new()
        .route("/", get(pages::index))
        .route("/sign-in", post(sign_in::sign_in))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/create", post(actions::create))
        .route("/credentials/{id}", post(actions::act))
        .route(
            "/revoke-all",
            get(actions::confirm_revoke_all).post(actions::revoke_all),
        )
        .route(
            "/authorize",
            get(authorize::consent).post(authorize::decide),
        )
        .route("/style.css", get(assets::style))
        .route("/copy.js", get(assets::script))
        .merge(api_routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(harden))
        .layer(axum::middleware::from_fn_with_state(
            admin.clone(),
            log_refusals,
        ))
        .with_state(admin)
}

/// One log line for each request refused as malformed (400), slow (408), too large (413)
/// or of the wrong type (415): who sent it and what was refused, never its body or query
/// (the path is redacted and quoted like every value a client chose). Refusals of a
/// credential are the gate's to log, as `/auth` logs them.
async fn log_refusals(
    axum::extract::State(admin): axum::extract::State<Arc<Admin>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::StatusCode as S;
    let client = request
        .extensions()
        .get::<Peer>()
        .map(|peer| admin.server.client(*peer, request.headers()));
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let r = next.run(request).await;
    let status = r.status();
    if matches!(
        status,
        S::BAD_REQUEST | S::REQUEST_TIMEOUT | S::PAYLOAD_TOO_LARGE | S::UNSUPPORTED_MEDIA_TYPE
    ) {
        log(format_args!(
            "admin refused client={} status={} request={}",
            client.as_deref().unwrap_or("-"),
            status.as_u16(),
            crate::serve::gate::field(&format!("{method} {path}"))
        ));
    }
    r
}

async fn harden(r: axum::response::Response) -> axum::response::Response {
    reply::harden(r)
}

async fn not_found() -> axum::response::Response {
    reply::error(axum::http::StatusCode::NOT_FOUND, "no such route")
}

async fn method_not_allowed() -> axum::response::Response {
    reply::error(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "this route does not take that method",
    )
}

/// Serves one connection with the limits `/auth`'s connections have.
fn connection(
    router: Router,
    io: Io,
    peer: Peer,
    watcher: hyper_util::server::graceful::Watcher,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(peer);
        let mut router = router.clone();
        async move { router.call(req).await }
    });
    tokio::spawn(async move {
        serve_connection(io, service, watcher).await;
        drop(permit);
    });
}
