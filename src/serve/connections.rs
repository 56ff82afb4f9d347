//! Accepting connections and serving each one, for `/auth`'s listeners and the admin
//! listener alike: a bound on open connections, hyper's limits on every request head, and
//! a graceful stop that lets requests in flight finish.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

use super::listen::{Listener, Peer};

/// Request heads larger than this get 431: an Authorization header is under 200 bytes, and
/// proxies add a few more headers (the admin listener's cookies fit too).
const MAX_HEAD: usize = 16 * 1024;
/// A client that sends no complete request head for this long (an idle keep-alive
/// connection included) is disconnected: slowloris holds nothing for long.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

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

/// The accept loops of a set of listeners, and the connections they opened.
pub struct Accepting {
    loops: JoinSet<()>,
    graceful: Arc<GracefulShutdown>,
}

impl Accepting {
    /// Accepts on every listener until `stop` changes, with at most `max` connections open
    /// at once (beyond, new ones wait in the kernel's backlog), and hands each to `serve`
    /// with the watcher its stop is awaited through and the permit it holds while open.
    pub fn start<F>(
        listeners: Vec<Listener>,
        max: usize,
        stop: &watch::Receiver<bool>,
        serve: F,
    ) -> Accepting
    where
        F: Fn(Io, Peer, Watcher, OwnedSemaphorePermit) + Clone + Send + 'static,
    {
        let graceful = Arc::new(GracefulShutdown::new());
        let limit = Arc::new(Semaphore::new(max));
        let mut loops = JoinSet::new();
        for listener in listeners {
            let (mut stop, graceful, limit) = (stop.clone(), graceful.clone(), limit.clone());
            let serve = serve.clone();
            loops.spawn(async move {
                loop {
                    let permit = tokio::select! {
                        _ = stop.changed() => return,
                        p = limit.clone().acquire_owned() => p,
                    };
                    let Ok(permit) = permit else { return };
                    let accepted = tokio::select! {
                        _ = stop.changed() => return,
                        a = accept(&listener) => a,
                    };
                    match accepted {
                        Ok((io, peer)) => serve(io, peer, graceful.watcher(), permit),
                        // Out of file descriptors and the like: wait, do not spin.
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            });
        }
        Accepting { loops, graceful }
    }

    /// After the stop: waits for the accept loops to end, then up to `within` for the open
    /// connections to finish the requests in flight. False when some did not.
    pub async fn drain(mut self, within: Duration) -> bool {
        while self.loops.join_next().await.is_some() {}
        match Arc::try_unwrap(self.graceful) {
            Ok(graceful) => tokio::time::timeout(within, graceful.shutdown())
                .await
                .is_ok(),
            Err(_) => false,
        }
    }
}

/// Serves one connection over HTTP/1 with the limits on request heads, until the client
/// closes it or the graceful stop ends it. A client's errors (a malformed request hyper
/// answered with 400, a reset) are not the server's: nothing to report.
pub async fn serve<S, B>(io: Io, service: S, watcher: Watcher)
where
    S: hyper::service::Service<hyper::Request<Incoming>, Response = hyper::Response<B>>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD)
        .max_headers(64);
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
}
