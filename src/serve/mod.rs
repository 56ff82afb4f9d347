//! `appw serve`: a long-running process that web servers ask about every request (nginx
//! `auth_request`, Caddy `forward_auth`, Traefik `forwardAuth`).
//!
//! A request's credential is decided by the same [`auth::decide`] as `appw verify`. What
//! differs is the I/O around it: the credential's row is read on every request (so a
//! revoke from any process or host counts at once; SQLite answers a row from memory while
//! no commit has landed since it was read); a password this process has verified
//! before is recognised by a keyed digest ([`cache`]) instead of argon2; other checks go to
//! a bounded argon2 pool ([`workers`]); and uses and rejections are committed in groups once
//! a second ([`recorder`]).

mod cache;
mod connections;
pub mod gate;
mod http;
mod listen;
mod log;
mod metrics;
mod query;
mod recorder;
mod throttle;
mod trust;
pub use trust::Trust;
mod workers;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::error::Error;
use crate::secret::KdfParams;
use crate::secret::memory::Strategy;
use crate::store::pool::{Pool, Reader};
use crate::store::{HashRecord, Location, Timestamp};
use crate::when::Clock;

use connections::Accepting;
pub use listen::{Address, Listener, parse as address};
use log::{Summary, clean_error, field, log};

/// How often uses and rejections are committed.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// How often a summary line is logged.
const SUMMARY_INTERVAL: Duration = Duration::from_secs(60);
/// How long in-flight requests may take to finish after a stop signal.
const DRAIN: Duration = Duration::from_secs(10);
/// Connections open at most; beyond that, new ones wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 16_384;

/// The server's settings, checked (built by the command line's front, `cmd::serve`).
pub struct Config {
    pub listen: Vec<Address>,
    /// The admin listener's sockets (the management API and screen); none: no admin routes.
    pub admin_listen: Vec<Address>,
    /// The origins apps may ask `/authorize` to send a password to, normalised.
    pub authorize_origins: Vec<String>,
    pub trusted: trust::Trust,
    pub realm: String,
    pub workers: usize,
    pub queue: usize,
    pub max_failures: u32,
    pub kdf: KdfParams,
    /// Where the argon2 workers' memory comes from.
    pub huge_pages: Strategy,
    /// What "now" is for every decision.
    pub clock: Clock,
}

/// A server accepting connections, until its stop.
pub struct Serving {
    accepting: Accepting,
    stop_tx: tokio::sync::watch::Sender<bool>,
    stop_rx: tokio::sync::watch::Receiver<bool>,
}

/// Everything a request handler shares.
pub struct Server {
    config: Config,
    pool: Arc<Pool>,
    /// How a request's row is read, as the backend reads best (picked once, by the store).
    reader: Reader,
    cache: cache::Cache,
    workers: workers::Workers,
    recorder: recorder::Recorder,
    throttle: throttle::Throttle,
    metrics: metrics::Metrics,
    connections: AtomicUsize,
}

/// `appw serve`: opens the store, binds, serves until SIGTERM or SIGINT, then drains and
/// writes what is pending.
pub fn run(config: Config, location: Location) -> Result<()> {
    for skipped in &config.trusted.skipped {
        log(format_args!("warning: {skipped}"));
    }
    raise_open_files_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("appw-serve")
        .build()
        .map_err(|e| Error::Start(format!("cannot start the server's runtime: {e}")))?;
    // Room for every thread that may read at once: the per-core threads of /auth, the main
    // runtime's (one per core: the admin listener's gate), the argon2 workers and the group
    // commit.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Which store, said first: a server pointed at the wrong path refuses everyone, and
    // its log is where the admin looks.
    let shown = crate::text::clean(&location.to_string()).into_owned();
    let missing = matches!(&location, Location::Sqlite(path) if !path.exists());
    if missing {
        log(format_args!(
            "warning: the store {shown} does not exist yet; it is created empty, and every \
             password is refused until credentials are created in it (is --db or $APPW_DB \
             the store you meant?)"
        ));
    }
    let pool = Pool::open(&location, config.workers + 2 * cores + 8, runtime.handle())?;
    log(format_args!("serving the store {shown}"));
    let may_rehash = pool.with(|s| s.may_rehash())?;
    // Closed at the end, while the runtime still runs (a PostgreSQL connection goes back to
    // its pool, and the pool closes, on the runtime).
    let closing = pool.clone();
    runtime.block_on(async move {
        let listeners = listen::bind(&config.listen)?;
        let admin = gate::bind_admin(&config.admin_listen)?;
        let server = Arc::new(Server::new(config, pool, may_rehash)?);
        let stop = stop_signal()?;
        let described: Vec<String> = listeners.iter().map(Listener::describe).collect();
        // Accepting (and answering) from here on: before "listening" and READY=1, so a
        // start that fails is never announced as ready.
        let serving = server.accept(listeners)?;
        for l in &described {
            log(format_args!("listening on {l}"));
        }
        // The admin routes stop (and drain) first, so what they record is in the last commit.
        let stop = crate::web::start(&server, admin, &described, stop);
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
        server.serve(serving, stop).await;
        if tokio::time::timeout(DRAIN, closing.close()).await.is_err() {
            log(format_args!("some store connections did not close"));
        }
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
        Ok(())
    })
}

impl Server {
    pub fn new(config: Config, pool: Arc<Pool>, may_rehash: bool) -> Result<Server, Error> {
        Ok(Server {
            reader: pool.reader(),
            workers: workers::Workers::start(&config, may_rehash)?,
            throttle: throttle::Throttle::new(config.max_failures),
            config,
            pool,
            cache: cache::Cache::new(),
            recorder: recorder::Recorder::default(),
            metrics: metrics::Metrics::default(),
            connections: AtomicUsize::new(0),
        })
    }

    /// Starts accepting on `listeners` (one thread per core): requests are answered from
    /// now on, until [`Server::serve`]'s stop.
    pub fn accept(self: &Arc<Self>, listeners: Vec<Listener>) -> Result<Serving> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let server = self.clone();
        let accepting = Accepting::start_per_core(
            listeners,
            MAX_CONNECTIONS,
            &stop_rx,
            move |io, peer, watcher, permit| {
                http::spawn_connection(&server, io, peer, watcher, permit)
            },
        )
        .map_err(|e| Error::Start(format!("cannot start the server's threads: {e}")))?;
        Ok(Serving {
            accepting,
            stop_tx,
            stop_rx,
        })
    }

    /// Serves until `stop` completes, then stops accepting, lets requests in flight
    /// finish, and commits what is pending.
    pub async fn serve(
        self: Arc<Self>,
        serving: Serving,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let Serving {
            accepting,
            stop_tx,
            stop_rx,
        } = serving;
        let background = tokio::spawn(self.clone().background(stop_rx.clone()));
        stop.await;
        log(format_args!(
            "stopping: no new connections; finishing requests in flight"
        ));
        let _ = stop_tx.send(true);
        if !accepting.drain(DRAIN).await {
            log(format_args!(
                "some requests did not finish within {}s",
                DRAIN.as_secs()
            ));
        }
        // Not aborted: a commit in flight finishes (or puts its batch back) first.
        let _ = background.await;
        // A connection that broke since its last use (a database restarted) fails once and
        // is replaced: the last commit gets a few tries, as the periodic ones get the next.
        let mut recorded = self.flush().await;
        for _ in 0..3 {
            if self.recorder.pending() == 0 {
                break;
            }
            recorded = self.flush().await;
        }
        log(format_args!("stopped; final commit: {recorded}"));
    }

    /// The group commit, once a second, and a summary line now and then, until `stop`.
    async fn background(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut flush = tokio::time::interval(FLUSH_INTERVAL);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_summary = Instant::now();
        let mut summary = Summary::of(&self);
        loop {
            tokio::select! {
                _ = flush.tick() => {}
                _ = stop.changed() => return,
            }
            self.flush().await;
            if last_summary.elapsed() >= SUMMARY_INTERVAL {
                let now = Summary::of(&self);
                log(format_args!(
                    "{}",
                    now.since(&summary, last_summary.elapsed())
                ));
                (summary, last_summary) = (now, Instant::now());
            }
        }
    }

    /// Commits pending uses and rejections in one transaction; on failure they are kept for
    /// the next attempt. Says what it wrote, for the log.
    async fn flush(self: &Arc<Self>) -> String {
        let (batch, dropped) = self.recorder.take();
        self.metrics
            .rejections_dropped
            .fetch_add(dropped, Ordering::Relaxed);
        if batch.is_empty() {
            return "nothing pending".into();
        }
        let uses: i64 = batch.uses.iter().map(|u| u.count).sum();
        let rejections: i64 = batch.rejections.iter().map(|r| r.count).sum();
        let started = Instant::now();
        // Kept here too: if the commit fails, even before it reached the store, nothing is
        // lost; the batch goes back to wait for the next one.
        let batch = Arc::new(batch);
        let shared = batch.clone();
        let result = self.blocking(move |store| store.record_uses(&shared)).await;
        self.metrics.flushes.fetch_add(1, Ordering::Relaxed);
        self.metrics
            .flush_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        match result {
            Ok(()) => format!("{uses} uses, {rejections} rejections"),
            Err(e) => {
                self.metrics.flush_errors.fetch_add(1, Ordering::Relaxed);
                self.metrics.store_errors.fetch_add(1, Ordering::Relaxed);
                log(format_args!(
                    "store error: {}; uses kept for the next commit",
                    clean_error(&e)
                ));
                self.recorder.restore(Arc::unwrap_or_clone(batch));
                format!("failed, {uses} uses and {rejections} rejections not written")
            }
        }
    }

    /// The row a request is decided on, read after the request arrived.
    async fn read(self: &Arc<Self>, id: String) -> crate::error::Result<Option<HashRecord>> {
        self.reader.hash_record(id).await
    }

    /// Runs `f` on a pooled store connection on the blocking pool: writes (a commit may
    /// wait for the disk, or fold the WAL) never hold up the threads that answer requests.
    async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut (dyn crate::store::Store + 'static)) -> crate::error::Result<T>
        + Send
        + 'static,
    ) -> crate::error::Result<T> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || pool.with(f))
            .await
            .unwrap_or_else(|_| Err(Error::Unavailable("a store operation was cancelled".into())))
    }

    /// The time every decision of a request is made at.
    fn now(&self) -> Timestamp {
        self.config.clock.now()
    }
}

/// Resolves on SIGTERM, SIGINT or SIGHUP (whose default would kill the process without its
/// final commit; there is no configuration to reload). The handlers are installed when this is called, not when
/// the future is first polled: "listening" and READY=1 come after it, so a supervisor's
/// SIGTERM that follows them always means a graceful stop, never the default death.
fn stop_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let handler = |kind| {
        signal(kind).map_err(|e| Error::Start(format!("cannot handle the stop signals: {e}")))
    };
    let (mut term, mut int, mut hup) = (
        handler(SignalKind::terminate())?,
        handler(SignalKind::interrupt())?,
        handler(SignalKind::hangup())?,
    );
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
    })
}

/// A thousand connections need more descriptors than the usual soft limit of 1,024.
fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max.min(65_536).max(limit.rlim_cur);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
