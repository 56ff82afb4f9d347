//! A SQLite copy made by `copy-store` is whole by itself: moved alone (without a `-wal`
//! beside it), it opens with every row. And `appw serve` says which store it serves.

use crate::harness::Appw;
use crate::serve::Server;

/// The copy is whole even while another connection has it open: SQLite folds the WAL into
/// the main file by itself only when the last connection closes, so a copy opened by
/// someone else (a backup agent, a server, `sqlite3`) during `copy-store` would keep its
/// rows in `-wal` unless copy-store folds them itself.
#[test]
fn a_sqlite_copy_moved_alone_holds_every_row() {
    let appw = Appw::new();
    appw.create("deploy", "one");
    appw.create("deploy", "two");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    // An empty store at the destination (copy-store fills an empty one; a server makes
    // one), with a reader that has read it and stays open through the copy.
    let empty = Appw::sqlite().env("APPW_DB", &copy.to_string_lossy());
    Server::start(&empty, &[]).stop();
    let reader = rusqlite::Connection::open(&copy).unwrap();
    let before: i64 = reader
        .query_row("SELECT count(*) FROM credentials", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before, 0);
    appw.run(&["copy-store", "--to", &copy.to_string_lossy()])
        .ok();
    // What anyone does with a backup file: take the file, and only the file.
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("restored.db");
    std::fs::copy(&copy, &moved).unwrap();
    let restored = Appw::sqlite().env("APPW_DB", &moved.to_string_lossy());
    let listed = restored.list();
    let mut names: Vec<&str> = listed.iter().map(|c| c["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["one", "two"]);
    let log = restored.run(&["log", "--json"]).ok();
    assert!(log.stdout.contains("created"), "{}", log.stdout);
    drop(reader);
}

#[test]
fn serve_says_which_store_it_serves_and_warns_when_there_is_none_yet() {
    let appw = Appw::sqlite();
    let server = Server::start(&appw, &[]);
    let (_, log) = server.stop();
    let shown = appw.path().display().to_string();
    assert!(
        log.iter().any(|l| l.contains("warning: the store")
            && l.contains(&shown)
            && l.contains("does not exist yet")),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l == &format!("appw serve: serving the store {shown}")),
        "{log:#?}"
    );
    let server = Server::start(&appw, &[]);
    let (_, log) = server.stop();
    assert!(
        !log.iter().any(|l| l.contains("does not exist yet")),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l == &format!("appw serve: serving the store {shown}")),
        "{log:#?}"
    );
}
