//! The pool's reading of what is at a SQLite store's path: a checkpoint (same file, other
//! content) is not a swap (another file).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::*;
use crate::store::NewCredential;

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    _runtime: tokio::runtime::Runtime,
    pool: Arc<Pool>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.db");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let pool = Pool::open(&Location::Sqlite(path.clone()), 4, runtime.handle()).unwrap();
    Fixture {
        _dir: dir,
        path,
        _runtime: runtime,
        pool,
    }
}

fn credential(id: &str) -> NewCredential {
    NewCredential {
        id: id.into(),
        user: "deploy".into(),
        name: id.into(),
        app_id: None,
        hash: "not a hash: never checked here".into(),
        expires_at: None,
        scopes: vec![],
        allow_from: vec![],
        disabled: false,
    }
}

/// Lends one of the pool's connections to another thread until the returned sender is
/// dropped or sent to.
fn lend(pool: &Arc<Pool>) -> (mpsc::Sender<()>, std::thread::JoinHandle<Result<()>>) {
    let (lent_tx, lent_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let pool = pool.clone();
    let thread = std::thread::spawn(move || {
        pool.with(|_| {
            lent_tx.send(()).unwrap();
            let _ = release_rx.recv();
            Ok(())
        })
    });
    lent_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("a connection lent");
    (release_tx, thread)
}

/// Commits through another connection and checkpoints until the store's main file has
/// changed (its size or times: a commit alone writes only the WAL).
fn checkpoint_changing_the_file(f: &Fixture) {
    let before = file_id(&f.path).unwrap();
    let conn = rusqlite::Connection::open(&f.path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    for n in 0.. {
        f.pool
            .with(|s| s.insert(&credential(&format!("written{n}")), 0, "test"))
            .unwrap();
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .unwrap();
        let after = file_id(&f.path).unwrap();
        if after != before {
            assert_eq!(before.map(FileId::inode), after.map(FileId::inode));
            return;
        }
        assert!(Instant::now() < deadline, "the file never changed");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_checkpoint_leaves_lent_connections_in_use_not_orphaned() {
    let f = fixture();
    let (release, lent) = lend(&f.pool);
    checkpoint_changing_the_file(&f);
    // Requests that look at the path before any new connection has been opened (as many
    // do under load) close idle connections once, and make none an orphan.
    for _ in 0..3 {
        f.pool.check_file(&f.path).unwrap();
        let state = f.pool.state.lock().unwrap();
        assert_eq!(state.orphans_open, 0);
        assert_eq!(state.orphans_below, 0);
    }
    // With the lent one still out, new connections open and read.
    assert!(
        f.pool
            .with(|s| s.hash_record("written0"))
            .unwrap()
            .is_some()
    );
    release.send(()).unwrap();
    lent.join().unwrap().unwrap();
    assert!(
        f.pool
            .with(|s| s.hash_record("written0"))
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_store_swapped_while_a_connection_is_lent_is_refused_then_read() {
    let f = fixture();
    f.pool
        .with(|s| s.insert(&credential("old"), 0, "test"))
        .unwrap();
    // Another store, with another credential, renamed into place.
    let other = f.path.with_file_name("other.db");
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let pool = Pool::open(&Location::Sqlite(other.clone()), 1, runtime.handle()).unwrap();
        pool.with(|s| s.insert(&credential("new"), 0, "test"))
            .unwrap();
    }
    // Whole by itself, as a backup must be to be renamed into place.
    rusqlite::Connection::open(&other)
        .unwrap()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let (release, lent) = lend(&f.pool);
    std::fs::rename(&other, &f.path).unwrap();
    // The lent connection holds the old file, whose WAL may be the one at the path: no new
    // connection opens until it is closed, and after a bounded wait the answer is "no".
    assert!(matches!(
        f.pool.with(|s| s.hash_record("new")),
        Err(Error::Unavailable(_))
    ));
    release.send(()).unwrap();
    lent.join().unwrap().unwrap();
    assert!(f.pool.with(|s| s.hash_record("new")).unwrap().is_some());
    assert!(f.pool.with(|s| s.hash_record("old")).unwrap().is_none());
}
