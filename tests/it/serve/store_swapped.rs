//! The store at `--db` changed under a running server: a backup renamed into place, the
//! folder removed and made anew, the file overwritten, the file deleted. The server answers
//! from the store now at the path, or 503 while there is none; never from the file it had
//! open before, and uses go to the store at the path.

use std::path::Path;
use std::time::{Duration, Instant};

use super::Server;
use crate::harness::{Appw, basic};

/// Asks `/auth` with `user`'s `password` until it answers `want`, for at most 60 s.
#[track_caller]
fn until(server: &Server, user: &str, password: &str, want: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, resp) = server.get("/auth", &[("Authorization", &basic(user, password))]);
        if status == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "/auth never answered {want} (last {status}: {resp}); {:#?}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A store with `keep` (in the backup too) and `gone` (not in the backup), a backup copy
/// of it taken between the two, and a server answering 204 for both.
fn store_with_backup() -> (Appw, String, String, std::path::PathBuf, Server) {
    let appw = Appw::sqlite();
    let (_, keep) = appw.create("deploy", "kept");
    let backup = appw.dir.path().join("backup.db");
    appw.run(&["copy-store", "--to", &backup.to_string_lossy()])
        .ok();
    let (_, gone) = appw.create("deploy", "not in the backup");
    let server = Server::start(&appw, &[]);
    assert_eq!(server.auth("deploy", &keep), 204);
    assert_eq!(server.auth("deploy", &gone), 204);
    // The server's uses are committed (then nothing writes until the test changes the
    // store).
    let deadline = Instant::now() + Duration::from_secs(60);
    while uses(&appw, "kept") != 1 || uses(&appw, "not in the backup") != 1 {
        assert!(Instant::now() < deadline, "uses never committed");
        std::thread::sleep(Duration::from_millis(50));
    }
    (appw, keep, gone, backup, server)
}

fn uses(appw: &Appw, name: &str) -> i64 {
    let listed = appw.list();
    let c = listed
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {listed:?}"));
    c["use_count"].as_i64().unwrap()
}

#[test]
fn a_backup_renamed_into_place_is_served_at_once() {
    let (appw, keep, gone, backup, server) = store_with_backup();
    std::fs::rename(&backup, appw.path()).unwrap();
    // Before answering from the store it had open, the server sees it is not at the path.
    let (status, _) = server.get("/auth", &[("Authorization", &basic("deploy", &gone))]);
    assert_eq!(
        status,
        401,
        "the old store's credential, even warm: {:#?}",
        server.log()
    );
    assert_eq!(server.auth("deploy", &keep), 204);
    assert_eq!(server.get("/readyz", &[]).0, 200);
    server.stop();
    assert_eq!(
        uses(&appw, "kept"),
        1,
        "the use after the swap went to the store at the path"
    );
}

/// Overwriting in place keeps the inode: the server notices the content changed and
/// reopens. (Under a `-wal` that still holds pages, SQLite itself would lay them over the
/// new content, whoever reads it: SECURITY.md says to rename instead. Here the WAL is
/// folded first, as `sqlite3 .backup`-style tools leave it.)
#[test]
fn a_store_overwritten_in_place_is_served_as_it_now_is() {
    let (appw, keep, gone, backup, server) = store_with_backup();
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(busy, 0);
    drop(conn);
    let bytes = std::fs::read(&backup).unwrap();
    std::fs::write(appw.path(), bytes).unwrap();
    until(&server, "deploy", &gone, 401);
    assert_eq!(server.auth("deploy", &keep), 204);
    server.stop();
}

#[test]
fn a_store_folder_removed_gets_503_until_a_store_is_there_again() {
    let (appw, keep, _gone, _backup, server) = store_with_backup();
    let folder = appw.path().parent().unwrap().to_path_buf();
    std::fs::remove_dir_all(&folder).unwrap();
    assert_eq!(
        server.auth("deploy", &keep),
        503,
        "no store, no answer but 503"
    );
    assert_eq!(server.get("/readyz", &[]).0, 503);
    assert_eq!(server.get("/healthz", &[]).0, 200);
    // A new store at the same path, made by another process.
    let (_, fresh) = appw.create("deploy", "fresh");
    assert!(Path::new(&appw.path()).exists());
    until(&server, "deploy", &fresh, 204);
    assert_eq!(
        server.auth("deploy", &keep),
        401,
        "the removed store's credential"
    );
    assert_eq!(server.get("/readyz", &[]).0, 200);
    server.stop();
    assert_eq!(uses(&appw, "fresh"), 1);
}

#[test]
fn a_store_made_untrustworthy_gets_503() {
    use std::os::unix::fs::PermissionsExt;
    let (appw, keep, _gone, _backup, server) = store_with_backup();
    let folder = appw.path().parent().unwrap().to_path_buf();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
    until(&server, "deploy", &keep, 503);
    assert_eq!(server.get("/readyz", &[]).0, 503);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    until(&server, "deploy", &keep, 204);
    server.stop();
}

/// An overwrite that puts the size and modification time back (`cp -p`, `touch -r`, or a
/// file of the same size written within the same clock tick) is still seen: the file's
/// status change time moved, and nobody can set that one back.
#[test]
fn a_store_overwritten_keeping_its_size_and_times_is_served_as_it_now_is() {
    use std::os::unix::fs::MetadataExt;
    let (appw, keep, gone, _backup, server) = store_with_backup();
    let fold = |path: &Path| {
        let conn = rusqlite::Connection::open(path).unwrap();
        let busy: i64 = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(busy, 0);
    };
    fold(&appw.path());
    // The same store with `gone`'s hash changed in place (same length, so the same size).
    let changed = appw.dir.path().join("changed.db");
    std::fs::copy(appw.path(), &changed).unwrap();
    {
        let conn = rusqlite::Connection::open(&changed).unwrap();
        let n = conn
            .execute(
                "UPDATE credentials SET hash = replace(hash, substr(hash, -8), 'AAAAAAAA')
                 WHERE name = 'not in the backup'",
                [],
            )
            .unwrap();
        assert_eq!(n, 1);
    }
    fold(&changed);
    // The server has seen the store as it is now (after the fold).
    assert_eq!(server.auth("deploy", &gone), 204);
    let before = std::fs::metadata(appw.path()).unwrap();
    let bytes = std::fs::read(&changed).unwrap();
    assert_eq!(bytes.len() as u64, before.len(), "same size");
    std::fs::write(appw.path(), bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(appw.path())
        .unwrap()
        .set_modified(before.modified().unwrap())
        .unwrap();
    let after = std::fs::metadata(appw.path()).unwrap();
    assert_eq!(
        (after.ino(), after.len(), after.mtime(), after.mtime_nsec()),
        (
            before.ino(),
            before.len(),
            before.mtime(),
            before.mtime_nsec()
        ),
        "overwritten in place, size and modification time as before"
    );
    until(&server, "deploy", &gone, 401);
    assert_eq!(server.auth("deploy", &keep), 204);
    server.stop();
}
