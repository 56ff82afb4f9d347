//! `appw serve`, the real binary on loopback (and a Unix socket): every status of the
//! contract, revocation from other processes on the next request, exact counts after a
//! graceful stop, SIGKILL, throttling, hostile clients. No test asserts a time: waits are
//! bounded and fail loudly.

mod admin_behind_nginx;
mod checkpoints_under_load;
mod hangup;
mod postgres_stopped;
mod proxies;
mod proxy_headers;
mod server;
mod start_short_of_descriptors;
mod store_swapped;
mod throttle_concurrency;
mod timing_by_evaluations;
mod trusted_proxies;
mod warm_right_refused;

pub use server::{Server, header, my_uid, request, request_text};
use server::{exchange, wait_exit};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::{Appw, assert_no_secret, basic, forge};

#[test]
fn every_status_of_the_contract() {
    let appw = Appw::new();
    let (id, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &["--realm", "API"]);
    let good = basic("deploy", &password);

    let (status, resp) = server.get("/auth", &[("Authorization", &good)]);
    assert_eq!(status, 204, "{resp}");
    assert_eq!(header(&resp, "x-appw-user"), Some("deploy"), "{resp}");
    assert_eq!(
        header(&resp, "x-appw-credential"),
        Some(id.as_str()),
        "{resp}"
    );
    // The warm path answers the same.
    assert_eq!(server.auth("deploy", &password), 204);

    for (what, headers) in [
        ("no header", vec![]),
        ("another scheme", vec![("Authorization", "Bearer abc")]),
        ("not base64", vec![("Authorization", "Basic !!!")]),
    ] {
        let (status, resp) = server.get("/auth", &headers);
        assert_eq!(status, 401, "{what}: {resp}");
        assert_eq!(
            header(&resp, "www-authenticate"),
            Some("Basic realm=\"API\", charset=\"UTF-8\""),
            "{what}: {resp}"
        );
    }
    assert_eq!(server.auth("deploy", "not-a-password"), 401);
    assert_eq!(
        server.auth("deploy", &forge(&password)),
        401,
        "wrong secret"
    );
    assert_eq!(server.auth("someone", &password), 401, "another user");
    // Right password, but a scope it lacks (a credential without scopes passes only checks
    // that ask for none).
    let (status, _) = server.get("/auth?scope=admin", &[("Authorization", &good)]);
    assert_eq!(status, 403);

    assert_eq!(server.get("/healthz", &[]).0, 200);
    assert_eq!(server.get("/readyz", &[]).0, 200);
    assert_eq!(server.get("/elsewhere", &[]).0, 404);
    let (status, metrics) = server.get("/metrics", &[]);
    assert_eq!(status, 200);
    for name in [
        "appw_requests_total{outcome=\"valid\"} 2",
        "appw_requests_total{outcome=\"forbidden\"} 1",
        "appw_argon2_evaluations_total",
        "appw_cache_hits_total",
        "appw_argon2_queue_depth",
        "appw_flush_seconds_total",
        "appw_store_errors_total 0",
    ] {
        assert!(metrics.contains(name), "{name} missing from {metrics}");
    }
    let (code, log) = server.stop();
    assert_eq!(code, 0, "{log:?}");
    let log = log.join("\n");
    assert_no_secret(&log, &password, "serve's log");
    assert!(
        log.contains("rejected client=127.0.0.1 user=\"deploy\""),
        "{log}"
    );
    // Every use is in the store after the stop, as one aggregated event.
    assert_eq!(appw.list()[0]["use_count"], 2);
    let verified: Vec<_> = appw
        .log(&[])
        .into_iter()
        .filter(|e| e["event"] == "verified")
        .collect();
    let counted: i64 = verified.iter().map(|e| e["count"].as_i64().unwrap()).sum();
    assert_eq!(counted, 2, "{verified:?}");
    assert!(
        verified.iter().all(|e| e["source"] == "127.0.0.1"),
        "{verified:?}"
    );
}

#[test]
fn a_burst_of_uses_is_one_event_per_interval_not_one_per_request() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &["--max-failures", "1000"]);
    for _ in 0..200 {
        assert_eq!(server.auth("deploy", &password), 204);
        assert_eq!(server.auth("deploy", &forge(&password)), 401);
    }
    assert_eq!(server.stop().0, 0);
    let log = appw.log(&[]);
    let count = |kind: &str| -> (usize, i64) {
        let events: Vec<_> = log.iter().filter(|e| e["event"] == kind).collect();
        let total = events.iter().map(|e| e["count"].as_i64().unwrap()).sum();
        (events.len(), total)
    };
    let (rows, uses) = count("verified");
    assert_eq!(uses, 200);
    assert!(rows < 200, "{rows} rows for 200 uses");
    let (rows, rejections) = count("rejected");
    assert_eq!(rejections, 200);
    assert!(rows < 200, "{rows} rows for 200 rejections");
    assert_eq!(appw.list()[0]["use_count"], 200);
}

#[test]
fn revoke_rotate_and_revoke_all_elsewhere_count_on_the_next_request() {
    let appw = Appw::new();
    let (id, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &[]);
    assert_eq!(server.auth("deploy", &password), 204);
    assert_eq!(server.auth("deploy", &password), 204, "warm");
    appw.run(&["revoke", &id]).ok();
    assert_eq!(
        server.auth("deploy", &password),
        401,
        "revoked in another process"
    );

    let (id, password) = appw.create("deploy", "ci");
    assert_eq!(server.auth("deploy", &password), 204);
    let rotated = appw.run(&["rotate", &id, "--porcelain"]).ok();
    let new = rotated.stdout.trim();
    assert_eq!(
        server.auth("deploy", &password),
        401,
        "the old password after rotate"
    );
    assert_eq!(server.auth("deploy", new), 204, "the new one");

    let (_, other) = appw.create("ops", "backup");
    assert_eq!(server.auth("ops", &other), 204);
    appw.run(&["revoke-all", "--yes"]).ok();
    assert_eq!(server.auth("deploy", new), 401);
    assert_eq!(server.auth("ops", &other), 401);
}

#[test]
fn an_expired_credential_is_refused_warm_or_cold() {
    let appw = Appw::new();
    let mut create = appw.command(&["create", "--user", "deploy", "ci", "--porcelain"]);
    crate::harness::set_clock(&mut create, "2030-01-01T00:00:00Z");
    create.args(["--expires", "2030-06-01T00:00:00Z"]);
    let password = appw.run_with(create, b"").ok().stdout.trim().to_string();
    let at = |now: &str| {
        let mut cmd = appw.command(&["serve", "--listen", "127.0.0.1:0"]);
        crate::harness::set_clock(&mut cmd, now);
        Server::start_with(cmd, &[])
    };
    let before = at("2030-05-01T00:00:00Z");
    assert_eq!(before.auth("deploy", &password), 204);
    drop(before);
    let after = at("2030-07-01T00:00:00Z");
    assert_eq!(after.auth("deploy", &password), 401);
    assert_eq!(after.auth("deploy", &password), 401, "and again");
    after.stop_logging("reason=\"the credential has expired\"");
}

#[test]
fn counts_are_exact_after_sigterm_under_concurrent_load() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &[]);
    let addr = server.addr.clone();
    let ok = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let clients: Vec<_> = (0..6)
        .map(|_| {
            let (addr, ok, good) = (addr.clone(), ok.clone(), basic("deploy", &password));
            std::thread::spawn(move || {
                for _ in 0..400 {
                    let Ok(mut stream) = TcpStream::connect(&addr) else {
                        return; // the server has stopped listening
                    };
                    let raw = request_text(&addr, "GET", "/auth", &[("Authorization", &good)]);
                    if stream.write_all(raw.as_bytes()).is_err() {
                        return;
                    }
                    let mut resp = String::new();
                    let _ = stream.read_to_string(&mut resp);
                    if resp.starts_with("HTTP/1.1 204") {
                        ok.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    // Stop while the clients are still sending.
    let deadline = Instant::now() + Duration::from_secs(60);
    while ok.load(std::sync::atomic::Ordering::SeqCst) < 200 {
        assert!(Instant::now() < deadline, "no load got through");
        std::thread::sleep(Duration::from_millis(5));
    }
    let (code, log) = server.stop();
    for c in clients {
        c.join().unwrap();
    }
    assert_eq!(code, 0, "{log:?}");
    let answered = ok.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        appw.list()[0]["use_count"],
        answered,
        "every 204 is counted, exactly: {log:?}"
    );
}

#[test]
fn sigkill_leaves_an_intact_store_and_a_restart_answers() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &[]);
    for _ in 0..50 {
        assert_eq!(server.auth("deploy", &password), 204);
    }
    server.kill();
    let listed = appw.list();
    let uses = listed[0]["use_count"].as_i64().unwrap();
    assert!(
        (0..=50).contains(&uses),
        "at most the last interval is lost: {uses}"
    );
    let again = Server::start(&appw, &[]);
    assert_eq!(again.auth("deploy", &password), 204);
    assert_eq!(again.stop().0, 0);
}

#[test]
fn a_store_that_cannot_be_used_is_refused_at_start() {
    let appw = Appw::sqlite();
    std::fs::create_dir_all(appw.path().parent().unwrap()).unwrap();
    std::fs::write(appw.path(), b"this is not a SQLite database, not at all").unwrap();
    let out = appw
        .run(&["serve", "--listen", "127.0.0.1:0"])
        .code(4)
        .one_error_line();
    assert!(out.stderr.contains("credentials.db"), "{out:?}");
}

#[test]
fn bad_options_are_usage_errors() {
    let appw = Appw::new();
    for args in [
        vec!["serve", "--listen", "nowhere"],
        vec!["serve", "--trusted-proxy", "10.0.0.0/99"],
        vec!["serve", "--realm", "a\"b"],
    ] {
        appw.run(&args).code(2).one_error_line();
    }
}

#[test]
fn throttled_clients_get_429_but_a_known_password_still_gets_in() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &["--max-failures", "3"]);
    assert_eq!(
        server.auth("deploy", &password),
        204,
        "known good from now on"
    );
    for _ in 0..3 {
        assert_eq!(server.auth("deploy", &forge(&password)), 401);
    }
    let spent = server.evaluations();
    let (status, resp) = server.get(
        "/auth",
        &[("Authorization", &basic("deploy", &forge(&password)))],
    );
    assert_eq!(status, 429, "{resp}");
    assert!(header(&resp, "retry-after").is_some(), "{resp}");
    assert_eq!(
        server.evaluations(),
        spent,
        "a throttled client costs no argon2"
    );
    assert_eq!(
        server.auth("deploy", &password),
        204,
        "the warm path is open"
    );
    server.stop_logging("appw serve: throttled client=127.0.0.1 ");
}

#[test]
fn hostile_clients_get_their_status_and_the_server_stays_up() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &[]);
    let huge = "x".repeat(64 * 1024);
    let (status, _) = server.get("/auth", &[("X-Huge", &huge)]);
    assert_eq!(status, 431);
    let (status, _) = request(&server.addr, "BLAH\r\n\r\n");
    assert_eq!(status, 400);
    // Half-open connections (a request head that never ends) and a thousand idle ones hold
    // nothing the next client needs.
    let mut held = Vec::new();
    for i in 0..1000 {
        let mut s = TcpStream::connect(&server.addr).unwrap();
        if i % 2 == 0 {
            s.write_all(b"GET /auth HTTP/1.1\r\nHost: x\r\n").unwrap();
        }
        held.push(s);
    }
    assert_eq!(server.auth("deploy", &password), 204);
    // What a client sends reaches the log escaped, or not at all.
    assert_eq!(server.auth("\u{1b}[31mevil", &password), 401);
    assert_eq!(server.auth("ev\"il\\", &password), 401);
    drop(held);
    assert_eq!(server.get("/healthz", &[]).0, 200);
    let log = server.stop_logging(r#"user="ev\"il\\""#);
    assert!(!log.iter().any(|l| l.contains('\u{1b}')), "{log:?}");
}

#[test]
fn a_unix_socket_serves_the_same() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let socket = appw.dir.path().join("auth.sock");
    let listen = format!("unix:{}", socket.display());
    let uid = my_uid();
    let server = Server::start_with(
        appw.command(&["serve", "--listen", &listen]),
        &["--trusted-proxy", &format!("uid:{uid}")],
    );
    assert_eq!(server.addr, listen);
    let raw = request_text(
        "localhost",
        "GET",
        "/auth",
        &[
            ("Authorization", &basic("deploy", &password)),
            ("X-Real-IP", "198.51.100.7"),
        ],
    );
    let mut stream = UnixStream::connect(&socket).unwrap();
    let (status, resp) = exchange(&mut stream, &raw);
    assert_eq!(status, 204, "{resp}");
    assert_eq!(server.stop().0, 0);
    assert_eq!(
        appw.list()[0]["last_source"],
        "198.51.100.7",
        "a peer running as a user named by --trusted-proxy is a trusted proxy"
    );
}
