//! Accepting connections and serving each one, for `/auth`'s listeners and the admin
//! listener alike: a bound on open connections, hyper's limits on every request head, and
//! a graceful stop that lets requests in flight finish.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::listen::{Listener, Peer, Socket};

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
    loops: Loops,
    graceful: Arc<GracefulShutdown>,
}

enum Loops {
    /// On the runtime that started them.
    Here(JoinSet<()>),
    /// One thread per core, each with a single-threaded runtime of its own.
    PerCore(Threads),
}

/// What every accept loop of one `Accepting` shares.
struct Loop<F> {
    stop: watch::Receiver<bool>,
    graceful: Arc<GracefulShutdown>,
    limit: Arc<Semaphore>,
    serve: F,
}

impl<F: Clone> Clone for Loop<F> {
    fn clone(&self) -> Self {
        Loop {
            stop: self.stop.clone(),
            graceful: self.graceful.clone(),
            limit: self.limit.clone(),
            serve: self.serve.clone(),
        }
    }
}

impl<F> Loop<F>
where
    F: Fn(Io, Peer, Watcher, OwnedSemaphorePermit),
{
    fn new(max: usize, stop: &watch::Receiver<bool>, serve: F) -> Loop<F> {
        Loop {
            stop: stop.clone(),
            graceful: Arc::new(GracefulShutdown::new()),
            limit: Arc::new(Semaphore::new(max)),
            serve,
        }
    }

    /// Accepts on `listener` until `stop` changes, each connection handed to `serve`.
    async fn run(mut self, listener: Listener) {
        loop {
            let permit = tokio::select! {
                _ = self.stop.changed() => return,
                p = self.limit.clone().acquire_owned() => p,
            };
            let Ok(permit) = permit else { return };
            let accepted = tokio::select! {
                _ = self.stop.changed() => return,
                a = accept(&listener) => a,
            };
            match accepted {
                Ok((io, peer)) => (self.serve)(io, peer, self.graceful.watcher(), permit),
                // Out of file descriptors and the like: wait, do not spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
}

/// The per-core threads, until they are told to finish.
struct Threads {
    handles: Vec<std::thread::JoinHandle<()>>,
    /// One message from each thread once its loops have ended.
    stopped: mpsc::UnboundedReceiver<()>,
    finish: watch::Sender<bool>,
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
        let shared = Loop::new(max, stop, serve);
        let mut loops = JoinSet::new();
        for listener in listeners {
            loops.spawn(shared.clone().run(listener));
        }
        Accepting {
            loops: Loops::Here(loops),
            graceful: shared.graceful,
        }
    }

    /// As [`Accepting::start`], but on one thread per core, each with a single-threaded
    /// runtime of its own that accepts on every listener (a copy of each socket) and serves
    /// the connections it accepted from start to end: a request is read, decided and
    /// answered on the thread whose epoll saw it, with no hand-over between threads and no
    /// work stealing, as nginx's worker processes do. (`serve` runs there: what it shares
    /// with the main runtime goes through channels and locks that do not care which runtime
    /// waits on them.) Measured on the warm path: 1.12 x nginx's static file against the
    /// multi-thread runtime's 1.04 x, in interleaved rounds (BENCHMARKS.md).
    pub fn start_per_core<F>(
        listeners: Vec<Listener>,
        max: usize,
        stop: &watch::Receiver<bool>,
        serve: F,
    ) -> std::io::Result<Accepting>
    where
        F: Fn(Io, Peer, Watcher, OwnedSemaphorePermit) + Clone + Send + 'static,
    {
        let count = std::thread::available_parallelism().map_or(1, |n| n.get());
        let sockets = listeners
            .into_iter()
            .map(Listener::into_std)
            .collect::<std::io::Result<Vec<_>>>()?;
        let shared = Loop::new(max, stop, serve);
        let (stopped_tx, stopped) = mpsc::unbounded_channel();
        let (finish, finish_rx) = watch::channel(false);
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let mut threads = Threads {
            handles: Vec::with_capacity(count),
            stopped,
            finish,
        };
        let mut started = Ok(());
        for _ in 0..count {
            let mine = match sockets.iter().map(Socket::try_clone).collect() {
                Ok(mine) => mine,
                Err(e) => {
                    started = Err(e);
                    break;
                }
            };
            let shared = shared.clone();
            let (finish, stopped, ready) =
                (finish_rx.clone(), stopped_tx.clone(), ready_tx.clone());
            // The runtime is made, used and dropped on its own thread: dropping one inside
            // the main runtime (a start that fails half-way) would panic.
            let spawned = std::thread::Builder::new()
                .name("appw-serve".into())
                .spawn(move || per_core(mine, shared, finish, stopped, ready));
            match spawned {
                Ok(handle) => threads.handles.push(handle),
                Err(e) => {
                    started = Err(e);
                    break;
                }
            }
        }
        drop((ready_tx, stopped_tx));
        for _ in 0..threads.handles.len() {
            match ready.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => started = started.and(Err(e)),
                Err(_) => {
                    let ended = std::io::Error::other("a thread ended as it started");
                    started = started.and(Err(ended));
                    break;
                }
            }
        }
        if let Err(e) = started {
            // Those that did start stop at once: their loops see `finish` and end.
            threads.end();
            return Err(e);
        }
        Ok(Accepting {
            loops: Loops::PerCore(threads),
            graceful: shared.graceful,
        })
    }

    /// After the stop: waits for the accept loops to end, then up to `within` for the open
    /// connections to finish the requests in flight. False when some did not.
    pub async fn drain(self, within: Duration) -> bool {
        let Accepting { loops, graceful } = self;
        let threads = match loops {
            Loops::Here(mut loops) => {
                while loops.join_next().await.is_some() {}
                None
            }
            Loops::PerCore(mut threads) => {
                // Each thread drops its sender when its loops have ended (or it died).
                while threads.stopped.recv().await.is_some() {}
                Some(threads)
            }
        };
        let drained = match Arc::try_unwrap(graceful) {
            Ok(graceful) => tokio::time::timeout(within, graceful.shutdown())
                .await
                .is_ok(),
            Err(_) => false,
        };
        if let Some(threads) = threads {
            // Connections still open past the wait are dropped with their runtime.
            let _ = tokio::task::spawn_blocking(move || threads.end()).await;
        }
        drained
    }
}

impl Threads {
    /// Tells the threads to finish and waits for them.
    fn end(self) {
        let _ = self.finish.send(true);
        for handle in self.handles {
            let _ = handle.join();
        }
    }
}

/// A per-core thread: its runtime, its copies of the listening sockets registered with it
/// (said on `ready`), its accept loops until `stop`, then its connections until `finish`.
fn per_core<F>(
    sockets: Vec<Socket>,
    shared: Loop<F>,
    mut finish: watch::Receiver<bool>,
    stopped: mpsc::UnboundedSender<()>,
    ready: std::sync::mpsc::Sender<std::io::Result<()>>,
) where
    F: Fn(Io, Peer, Watcher, OwnedSemaphorePermit) + Clone + Send + 'static,
{
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    runtime.block_on(async move {
        let listeners = match sockets.into_iter().map(Socket::into_listener).collect() {
            Ok(listeners) => {
                let _ = ready.send(Ok(()));
                listeners
            }
            Err(e) => {
                let _ = ready.send(Err(e));
                Vec::new()
            }
        };
        let mut loops = JoinSet::new();
        for listener in listeners {
            loops.spawn(shared.clone().run(listener));
        }
        // Only the loops hold the graceful stop: `drain` takes it back once every thread
        // has dropped `stopped`.
        drop(shared);
        let accepting = async {
            while loops.join_next().await.is_some() {}
            drop(stopped);
        };
        tokio::select! {
            _ = accepting => {}
            // A start that failed on another thread ends this one before any stop.
            _ = finish.wait_for(|f| *f) => return,
        }
        // The connections accepted here run on this runtime: it keeps running them until
        // `drain` has waited for them.
        let _ = finish.wait_for(|f| *f).await;
    });
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
