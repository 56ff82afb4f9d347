//! The argon2 pool: a fixed number of threads (one per core by default), each keeping its
//! argon2 memory between evaluations, fed through a bounded queue. When the queue is full
//! the request is answered 503 at once: memory and latency stay bounded under any load.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::Config;
use crate::auth::{self, Claim, Outcome};
use crate::error::Error;
use crate::secret::memory::{Arena, Reuse};
use crate::secret::{Hasher, Token};
use crate::store::{HashRecord, Timestamp};

/// One check for a worker: the password, what it is claimed for, and the row it names.
pub struct Job {
    pub token: Token,
    pub user: Option<String>,
    pub scope: Option<String>,
    pub source: Option<String>,
    pub record: HashRecord,
    pub now: Timestamp,
    pub reply: oneshot::Sender<Result<Outcome, Error>>,
}

/// What a worker is handed: a check, or other argon2 work (issuing a password over the
/// admin API) done with the worker's hasher, so that all of it shares one bounded set of
/// threads.
enum Work {
    Check(Box<Job>),
    Task(Box<dyn FnOnce(&Hasher) + Send>),
}

pub struct Workers {
    queue: SyncSender<Work>,
    waiting: Arc<AtomicUsize>,
    evaluations: Arc<AtomicU64>,
}

/// Why a job was not queued.
pub enum Busy {
    Full,
    Stopped,
}

impl Workers {
    /// Starts the configured workers with room for the configured waiting jobs; `rehash`
    /// says whether upgraded hashes may be written.
    pub fn start(config: &Config, rehash: bool) -> Result<Workers, Error> {
        let (tx, rx) = std::sync::mpsc::sync_channel(config.queue);
        let rx = Arc::new(Mutex::new(rx));
        let waiting = Arc::new(AtomicUsize::new(0));
        let evaluations = Arc::new(AtomicU64::new(0));
        for n in 0..config.workers.max(1) {
            let (rx, waiting) = (rx.clone(), waiting.clone());
            // Each worker keeps its own memory: it faults its huge pages in once, and wipes
            // them whenever it has nothing to do.
            let hasher = Hasher::counted(
                config.kdf,
                Arena::new(config.huge_pages, Reuse::Keep),
                evaluations.clone(),
            );
            std::thread::Builder::new()
                .name(format!("appw-argon2-{n}"))
                .spawn(move || work(&rx, &waiting, &hasher, rehash))
                .map_err(|e| Error::Start(format!("cannot start the argon2 workers: {e}")))?;
        }
        Ok(Workers {
            queue: tx,
            waiting,
            evaluations,
        })
    }

    pub fn submit(&self, job: Job) -> Result<(), Busy> {
        self.send(Work::Check(Box::new(job)))
    }

    /// Runs `task` on a worker, with its hasher (issuing a password); refused like a check
    /// when the queue is full.
    pub fn run(&self, task: impl FnOnce(&Hasher) + Send + 'static) -> Result<(), Busy> {
        self.send(Work::Task(Box::new(task)))
    }

    fn send(&self, work: Work) -> Result<(), Busy> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        self.queue.try_send(work).map_err(|e| {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            match e {
                TrySendError::Full(_) => Busy::Full,
                TrySendError::Disconnected(_) => Busy::Stopped,
            }
        })
    }

    /// Jobs queued and not yet started.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// argon2 evaluations the workers have run.
    pub fn evaluations(&self) -> u64 {
        self.evaluations.load(Ordering::Relaxed)
    }
}

fn work(rx: &Mutex<Receiver<Work>>, waiting: &AtomicUsize, hasher: &Hasher, rehash: bool) {
    loop {
        // Work that is waiting is taken at once; before the worker waits, it wipes what the
        // last evaluation left in its memory (under load the next evaluation overwrites it).
        let next = match rx.lock() {
            Ok(rx) => rx.try_recv(),
            Err(_) => return,
        };
        let job = match next {
            Ok(job) => job,
            Err(TryRecvError::Disconnected) => return, // the server is stopping
            Err(TryRecvError::Empty) => {
                hasher.arena().wipe_idle();
                let Ok(job) = rx
                    .lock()
                    .map_err(drop)
                    .and_then(|rx| rx.recv().map_err(drop))
                else {
                    return;
                };
                job
            }
        };
        waiting.fetch_sub(1, Ordering::Relaxed);
        let job = match job {
            Work::Check(job) => *job,
            Work::Task(task) => {
                task(hasher);
                continue;
            }
        };
        if job.reply.is_closed() {
            continue; // the client left while it waited
        }
        let attempt = hasher.attempt(job.token.as_str().as_bytes(), job.token.id());
        let claim = Claim {
            user: job.user.as_deref(),
            scope: job.scope.as_deref(),
            source: job.source.as_deref(),
        };
        let outcome = auth::judge(Some(&job.record), &attempt, &claim, job.now, || Ok(rehash));
        let _ = job.reply.send(outcome);
    }
}
