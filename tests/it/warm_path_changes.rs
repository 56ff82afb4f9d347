//! `appw serve` answers a credential it has just read from memory while nothing has been
//! committed to the store since. Every change made elsewhere, by appw or by any other
//! program writing the store, refuses (or allows) the very next request, however warm.

use std::process::Command;

use crate::harness::{Appw, Skip, have, set_clock, skip};
use crate::serve::Server;

/// A few requests, so that the credential is answered from memory, not read.
fn warm(server: &Server, path: &str, user: &str, password: &str, status: u16) {
    let auth = crate::harness::basic(user, password);
    for _ in 0..5 {
        assert_eq!(server.get(path, &[("Authorization", &auth)]).0, status);
    }
}

fn status(server: &Server, path: &str, user: &str, password: &str) -> u16 {
    let auth = crate::harness::basic(user, password);
    server.get(path, &[("Authorization", &auth)]).0
}

#[test]
fn every_update_in_another_process_counts_on_the_next_warm_request() {
    let appw = Appw::new();
    let (id, password) = appw.create("deploy", "ci");
    // The server's clock is past the expiry set below; the commands' clock is before it.
    let mut cmd = appw.command(&["serve", "--listen", "127.0.0.1:0"]);
    set_clock(&mut cmd, "2030-07-01T00:00:00Z");
    let server = Server::start_with(cmd, &[]);
    let update = |args: &[&str]| {
        let mut all = vec!["update", &id];
        all.extend_from_slice(args);
        let mut cmd = appw.command(&all);
        set_clock(&mut cmd, "2030-01-01T00:00:00Z");
        appw.run_with(cmd, b"").ok();
    };

    warm(&server, "/auth", "deploy", &password, 204);
    update(&["--allow-from", "192.0.2.0/24"]);
    assert_eq!(
        status(&server, "/auth", "deploy", &password),
        403,
        "networks"
    );
    update(&["--anywhere"]);
    assert_eq!(
        status(&server, "/auth", "deploy", &password),
        204,
        "anywhere again"
    );

    update(&["--scope", "api"]);
    warm(&server, "/auth?scope=api", "deploy", &password, 204);
    update(&["--scope", "deploy"]);
    assert_eq!(
        status(&server, "/auth?scope=api", "deploy", &password),
        403,
        "scopes"
    );
    assert_eq!(
        status(&server, "/auth?scope=deploy", "deploy", &password),
        204
    );

    warm(&server, "/auth", "deploy", &password, 204);
    update(&["--expires", "2030-06-01T00:00:00Z"]);
    assert_eq!(status(&server, "/auth", "deploy", &password), 401, "expiry");
    update(&["--no-expiry"]);
    assert_eq!(
        status(&server, "/auth", "deploy", &password),
        204,
        "no expiry"
    );

    warm(&server, "/auth", "deploy", &password, 204);
    appw.run(&["disable", &id]).ok();
    assert_eq!(
        status(&server, "/auth", "deploy", &password),
        401,
        "disabled"
    );
    appw.run(&["enable", &id]).ok();
    assert_eq!(
        status(&server, "/auth", "deploy", &password),
        204,
        "enabled"
    );

    warm(&server, "/auth", "deploy", &password, 204);
    appw.run(&["revoke", &id]).ok();
    assert_eq!(
        status(&server, "/auth", "deploy", &password),
        401,
        "revoked"
    );
    server.stop();
}

#[test]
fn a_write_by_another_program_counts_on_the_next_warm_request() {
    let appw = Appw::new();
    if appw.is_postgres() {
        // PostgreSQL is read on every request; this is about SQLite's shared memory.
        skip(
            Skip::NotForThisPass,
            "a SQLite store written by the sqlite3 shell",
        );
        return;
    }
    if !have("sqlite3", "a store written by another program") {
        return;
    }
    let (id, password) = appw.create("deploy", "ci");
    let (other, _) = appw.create("deploy", "other");
    appw.run(&["revoke", &other]).ok();
    let server = Server::start(&appw, &[]);
    // Between requests, other processes commit writes that change nothing for this
    // credential: the server keeps answering, and still sees the one that does.
    for round in 0..3 {
        warm(&server, "/auth", "deploy", &password, 204);
        let (_, spare) = appw.create("ops", &format!("spare-{round}"));
        appw.verify("ops", &spare).ok();
    }
    let sql = format!(
        "UPDATE credentials SET hash = NULL, \
         revoked_at = (SELECT revoked_at FROM credentials WHERE id = '{other}') \
         WHERE id = '{id}';"
    );
    let out = Command::new("sqlite3")
        .arg(appw.path())
        .arg(&sql)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(status(&server, "/auth", "deploy", &password), 401);
    server.stop();
}
