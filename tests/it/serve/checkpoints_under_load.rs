//! Other processes write to the store (and checkpoint it) while a server answers steady
//! requests: a checkpoint changes the file's content, not which file it is, so the server
//! never refuses for it. A store moved away is refused, and served again once it is back.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Server, request, request_text};
use crate::harness::{Appw, basic};

/// Clients asking `/auth` with one password in a loop, counting answers by status.
struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
    statuses: Arc<Mutex<BTreeMap<u16, u64>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(server: &Server, user: &str, password: &str, clients: usize) -> Load {
        let raw = request_text(
            &server.addr,
            "GET",
            "/auth",
            &[("Authorization", &basic(user, password))],
        );
        let load = Load {
            stop: Arc::default(),
            done: Arc::default(),
            statuses: Arc::default(),
            threads: Vec::new(),
        };
        let threads = (0..clients)
            .map(|_| {
                let (addr, raw) = (server.addr.clone(), raw.clone());
                let (stop, done) = (load.stop.clone(), load.done.clone());
                let statuses = load.statuses.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let (status, _) = request(&addr, &raw);
                        *statuses.lock().unwrap().entry(status).or_default() += 1;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        Load { threads, ..load }
    }

    fn count(&self, status: u16) -> u64 {
        self.statuses
            .lock()
            .unwrap()
            .get(&status)
            .copied()
            .unwrap_or(0)
    }

    /// Waits until `more` requests have been answered with `status` from now on.
    #[track_caller]
    fn wait_for(&self, status: u16, more: u64, server: &Server) {
        let want = self.count(status) + more;
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.count(status) < want {
            assert!(
                Instant::now() < deadline,
                "never {more} more answers {status}: {:?}; {:#?}",
                self.statuses.lock().unwrap(),
                server.log()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn stop(self) -> BTreeMap<u16, u64> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
        let statuses = self.statuses.lock().unwrap().clone();
        assert!(self.done.load(Ordering::Relaxed) > 0);
        statuses
    }
}

/// What a checkpoint changes about the main file: its size and times (not its inode).
fn content_stamp(path: &Path) -> (u64, i64, i64, i64, i64) {
    let m = std::fs::metadata(path).unwrap();
    (
        m.size(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
    )
}

#[test]
fn checkpoints_by_another_process_under_load_are_never_refused() {
    let appw = Appw::sqlite();
    let (_, password) = appw.create("deploy", "steady");
    let server = Server::start(&appw, &[]);
    assert_eq!(server.auth("deploy", &password), 204);
    let load = Load::start(&server, "deploy", &password, 4);
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    let inode = std::fs::metadata(appw.path()).unwrap().ino();
    for round in 0..20 {
        // Another process commits (to the WAL); a checkpoint folds it into the main file,
        // as SQLite does on its own every thousand pages or so.
        let before = content_stamp(&appw.path());
        let deadline = Instant::now() + Duration::from_secs(60);
        for n in 0.. {
            appw.create("deploy", &format!("written {round}.{n}"));
            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                .unwrap();
            if content_stamp(&appw.path()) != before {
                break;
            }
            assert!(Instant::now() < deadline, "the store's file never changed");
        }
        load.wait_for(204, 20, &server);
    }
    assert_eq!(std::fs::metadata(appw.path()).unwrap().ino(), inode);
    let statuses = load.stop();
    assert_eq!(
        statuses.keys().copied().collect::<Vec<_>>(),
        [204],
        "every request answered 204, none 503: {statuses:?}; {:#?}",
        server.log()
    );
    server.stop();
}

#[test]
fn a_store_moved_away_under_load_is_refused_then_served_once_back() {
    let appw = Appw::sqlite();
    let (_, password) = appw.create("deploy", "steady");
    let server = Server::start(&appw, &[]);
    assert_eq!(server.auth("deploy", &password), 204);
    let load = Load::start(&server, "deploy", &password, 4);
    load.wait_for(204, 20, &server);
    let aside = appw.path().with_file_name("aside.db");
    std::fs::rename(appw.path(), &aside).unwrap();
    load.wait_for(503, 1, &server);
    std::fs::rename(&aside, appw.path()).unwrap();
    load.wait_for(204, 20, &server);
    let statuses = load.stop();
    assert_eq!(
        statuses.keys().copied().collect::<Vec<_>>(),
        [204, 503],
        "{statuses:?}"
    );
    server.stop();
}
