//! `appw serve` over PostgreSQL while the database itself stops and starts again.

use std::process::Command;
use std::time::{Duration, Instant};

use super::Server;
use crate::harness::{Appw, Skip, skip};

/// PostgreSQL stopped and started under a running server: 503 (never 2xx) while it is down,
/// and answers again once it is back, without restarting `appw serve`. It stops the shared
/// test cluster, so it runs alone: `.ci/run` runs it after the rest of the PostgreSQL suite
/// (`APPW_TEST_PG_STOP`/`APPW_TEST_PG_START` come from `.ci/with-postgres.sh`).
#[test]
#[ignore = "stops the shared PostgreSQL cluster; .ci/run runs it on its own"]
fn postgres_stopped_and_started_under_the_running_server() {
    let (Ok(stop), Ok(start)) = (
        std::env::var("APPW_TEST_PG_STOP"),
        std::env::var("APPW_TEST_PG_START"),
    ) else {
        // Only the PostgreSQL pass has a cluster to stop; there, .ci/with-postgres.sh sets both.
        let kind = if std::env::var("APPW_TEST_BACKEND").as_deref() == Ok("postgres") {
            Skip::Missing
        } else {
            Skip::NotForThisPass
        };
        skip(
            kind,
            "no APPW_TEST_PG_STOP/APPW_TEST_PG_START (run under .ci/with-postgres.sh)",
        );
        return;
    };
    // Answers while the store is down come after the server's own short timeout (none
    // set here, unlike the rest of the suite).
    let appw = Appw::new().env("PGCONNECT_TIMEOUT", "");
    assert!(appw.is_postgres());
    let (_, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &[]);
    assert_eq!(server.auth("deploy", &password), 204);
    let sh = |script: &str| {
        let status = Command::new("sh").args(["-c", script]).status().unwrap();
        assert!(status.success(), "{script}");
    };
    sh(&stop);
    for _ in 0..3 {
        assert_eq!(server.auth("deploy", &password), 503, "the store is down");
    }
    assert_eq!(server.get("/readyz", &[]).0, 503);
    assert_eq!(
        server.get("/healthz", &[]).0,
        200,
        "the process itself is fine"
    );
    sh(&start);
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.auth("deploy", &password) != 204 {
        assert!(
            Instant::now() < deadline,
            "serve did not reconnect: {:?}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(server.get("/readyz", &[]).0, 200);
    let (_, log) = server.stop();
    let uses = appw.list()[0]["use_count"].as_i64().unwrap();
    assert!(
        uses >= 2,
        "uses before and after the restart are recorded: {uses}; {log:#?}"
    );
}
