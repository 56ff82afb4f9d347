//! The argon2 pool: a fixed number of threads (one per core by default), each keeping its
//! argon2 memory between evaluations, fed through a bounded queue. When the queue is full
//! the request is answered 503 at once: memory and latency stay bounded under any load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::auth::{self, Claim, Decision};
use crate::secret::kdf::{self, BadHash, KdfParams};
use crate::secret::{Token, memory};
use crate::store::{HashRecord, Timestamp};

/// One check for a worker.
pub struct Job {
    pub token: Token,
    pub user: String,
    pub scope: Option<String>,
    pub source: Option<String>,
    pub record: HashRecord,
    pub now: Timestamp,
    pub reply: oneshot::Sender<Result<Checked, BadHash>>,
}

/// What a worker found: the decision, and for a valid password whose hash should be
/// brought up to the policy, the new hash.
pub struct Checked {
    pub decision: Decision,
    pub rehash: Option<String>,
}

/// What a worker is handed: a check, or other argon2 work (issuing a password over the
/// admin API), so that all of it shares one bounded set of threads.
enum Work {
    Check(Job),
    Task(Box<dyn FnOnce() + Send>),
}

pub struct Workers {
    queue: SyncSender<Work>,
    waiting: Arc<AtomicUsize>,
}

/// Why a job was not queued.
pub enum Busy {
    Full,
    Stopped,
}

impl Workers {
    /// Starts `count` workers with room for `queue` waiting jobs; `rehash` says whether
    /// upgraded hashes may be written.
    pub fn start(count: usize, queue: usize, policy: KdfParams, rehash: bool) -> Workers {
        let (tx, rx) = std::sync::mpsc::sync_channel(queue);
        let rx = Arc::new(Mutex::new(rx));
        let waiting = Arc::new(AtomicUsize::new(0));
        for n in 0..count.max(1) {
            let (rx, waiting) = (rx.clone(), waiting.clone());
            std::thread::Builder::new()
                .name(format!("appw-argon2-{n}"))
                .spawn(move || work(&rx, &waiting, policy, rehash))
                .expect("a server starts its argon2 workers or does not start");
        }
        Workers { queue: tx, waiting }
    }

    pub fn submit(&self, job: Job) -> Result<(), Busy> {
        self.send(Work::Check(job))
    }

    /// Runs `task` on a worker (it hashes: issuing a password); refused like a check when
    /// the queue is full.
    pub fn run(&self, task: impl FnOnce() + Send + 'static) -> Result<(), Busy> {
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
}

fn work(rx: &Mutex<Receiver<Work>>, waiting: &AtomicUsize, policy: KdfParams, rehash: bool) {
    memory::keep_on_this_thread();
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
                memory::wipe_kept();
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
            Work::Check(job) => job,
            Work::Task(task) => {
                task();
                continue;
            }
        };
        if job.reply.is_closed() {
            continue; // the client left while it waited
        }
        let attempt = kdf::Attempt::start(job.token.as_str().as_bytes(), job.token.id(), policy);
        let claim = Claim {
            user: &job.user,
            scope: job.scope.as_deref(),
            source: job.source.as_deref(),
        };
        let checked = auth::decide(Some(&job.record), &attempt, &claim, job.now).map(|decision| {
            let rehash = match decision {
                Decision::Valid {
                    rehash: Some(target),
                } if rehash => Some(attempt.rehash(target)),
                _ => None,
            };
            Checked { decision, rehash }
        });
        let _ = job.reply.send(checked);
    }
}
