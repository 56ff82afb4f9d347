//! What `/auth` accepts and refuses in a request itself: a password sent alone as
//! `Authorization: Bearer` (decided as Basic is, for the credential's own user), more than
//! one `Authorization` header, and query keys it does not know. Against a real
//! `appw serve` on loopback.

use crate::harness::{Appw, basic, forge, with_checksum};
use crate::serve::{Server, header};

fn bearer(password: &str) -> String {
    format!("Bearer {password}")
}

/// A password of the right format for an id no store holds.
fn unknown_id(password: &str) -> String {
    let body = format!("appwzzzzzzzzzzzz{}", &password[16..42]);
    with_checksum(&body)
}

#[test]
fn bearer_is_decided_as_basic_is_for_the_credentials_own_user() {
    let appw = Appw::new();
    let created = appw
        .run(&[
            "create", "--user", "deploy", "ci", "--scope", "deploy", "--json",
        ])
        .ok()
        .json();
    let id = created["id"].as_str().unwrap().to_string();
    let password = created["password"].as_str().unwrap().to_string();
    let (revoked_id, revoked) = appw.create("deploy", "old");
    appw.run(&["revoke", &revoked_id]).ok();
    let server = Server::start(&appw, &["--realm", "API"]);

    let (status, resp) = server.get("/auth", &[("Authorization", &bearer(&password))]);
    assert_eq!(status, 204, "{resp}");
    assert_eq!(header(&resp, "x-appw-user"), Some("deploy"), "{resp}");
    assert_eq!(header(&resp, "x-appw-credential"), Some(id.as_str()));
    let with = |path: &str, value: &str| server.get(path, &[("Authorization", value)]).0;
    assert_eq!(with("/auth?scope=deploy", &bearer(&password)), 204, "warm");
    assert_eq!(with("/auth?scope=admin", &bearer(&password)), 403);
    assert_eq!(with("/auth", &basic("deploy", &password)), 204, "Basic too");
    assert_eq!(
        with("/auth", &format!("bearer {password}")),
        204,
        "the scheme in any case"
    );

    let spent = server.evaluations();
    for (what, value) in [
        ("not an appw password", bearer("abc")),
        (
            "a checksum typo",
            bearer(&crate::harness::typo(&password, 47)),
        ),
        ("no password", "Bearer ".to_string()),
        ("an unknown id", bearer(&unknown_id(&password))),
        ("revoked", bearer(&revoked)),
    ] {
        let (status, resp) = server.get("/auth", &[("Authorization", &value)]);
        assert_eq!(status, 401, "{what}: {resp}");
        assert_eq!(
            header(&resp, "www-authenticate"),
            Some("Basic realm=\"API\", charset=\"UTF-8\""),
            "Basic stays the challenge: {what}"
        );
    }
    assert_eq!(
        server.evaluations(),
        spent,
        "no argon2 for what is not an appw password, an unknown id or a revoked one"
    );
    assert_eq!(
        with("/auth", &bearer(&forge(&password))),
        401,
        "wrong secret"
    );
    assert_eq!(server.evaluations(), spent + 1, "a wrong secret costs one");

    let (_, log) = server.stop();
    let log = log.join("\n");
    assert!(
        log.contains(&format!(
            "rejected client=127.0.0.1 user=\"deploy\" credential={id} reason=\"wrong password\""
        )),
        "{log}"
    );
    assert!(
        log.contains("rejected client=127.0.0.1 user=- credential=- reason="),
        "{log}"
    );
    crate::harness::assert_no_secret(&log, &password, "serve's log");
    assert_eq!(
        appw.show(&id)["use_count"],
        4,
        "Bearer uses count as Basic's"
    );
    let rejected: Vec<_> = appw
        .log(&[])
        .into_iter()
        .filter(|e| e["event"] == "rejected" && e["credential_id"] == id.as_str())
        .collect();
    assert_eq!(rejected.len(), 2, "scope and wrong secret: {rejected:?}");
    assert!(
        rejected.iter().all(|e| e["user"] == "deploy"),
        "{rejected:?}"
    );
}

#[test]
fn bearer_failures_throttle_the_client_as_basic_failures_do() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &["--max-failures", "3"]);
    for _ in 0..3 {
        let (status, _) = server.get("/auth", &[("Authorization", &bearer(&forge(&password)))]);
        assert_eq!(status, 401);
    }
    let (status, resp) = server.get("/auth", &[("Authorization", &bearer("abc"))]);
    assert_eq!(status, 429, "{resp}");
    assert!(header(&resp, "retry-after").is_some(), "{resp}");
}

#[test]
fn more_than_one_authorization_header_is_refused() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &[]);
    let good = basic("deploy", &password);
    assert_eq!(server.get("/auth", &[("Authorization", &good)]).0, 204);
    for (what, second) in [
        ("the same twice", good.clone()),
        ("a bad one after", basic("deploy", &forge(&password))),
        ("a Bearer after", bearer(&password)),
    ] {
        for headers in [
            [
                ("Authorization", good.as_str()),
                ("Authorization", second.as_str()),
            ],
            [
                ("Authorization", second.as_str()),
                ("Authorization", good.as_str()),
            ],
        ] {
            let (status, resp) = server.get("/auth", &headers);
            assert_eq!(status, 401, "{what}: {resp}");
            assert!(header(&resp, "www-authenticate").is_some(), "{resp}");
        }
    }
    server.stop_logging("reason=\"more than one Authorization header\"");
}

#[test]
fn a_query_key_auth_does_not_know_is_refused_never_read_as_no_scope() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &[]);
    let good = basic("deploy", &password);
    let at = |path: &str| server.get(path, &[("Authorization", &good)]).0;
    assert_eq!(at("/auth"), 204, "no query: no scope asked for");
    assert_eq!(at("/auth?scope=admin"), 403, "a scope it lacks");
    let paths = [
        "/auth?SCOPE=admin",
        "/auth?sco%70e=admin",
        "/auth?scope[]=admin",
        "/auth?scope%5B%5D=admin",
        "/auth?Scope=admin",
        "/auth?scope=admin&scope=admin",
        "/auth?scope=deploy&scope=admin",
        "/auth?scope",
        "/auth?admin",
        "/auth?user=deploy",
    ];
    for path in paths {
        let (status, resp) = server.get(path, &[("Authorization", &good)]);
        assert_eq!(status, 400, "{path}: {resp}");
    }
    // Counted as what they are: the web server's configuration, not a refused credential.
    let requests =
        |outcome: &str| server.metric(&format!("appw_requests_total{{outcome=\"{outcome}\"}}"));
    assert_eq!(requests("bad_request"), paths.len() as u64);
    assert_eq!(requests("forbidden"), 1, "only the scope it lacks");
}
