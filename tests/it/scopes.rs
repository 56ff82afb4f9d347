//! Least privilege per credential (CLI.md, "Scopes and networks"): scopes and allowed
//! networks set by create and update, checked after the password by verify and serve.

use appw::store::{self, Access, Location};

use crate::harness::{Appw, basic};
use crate::serve::Server;

fn create(appw: &Appw, user: &str, name: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["create", "--user", user, "--porcelain"];
    args.extend_from_slice(extra);
    args.extend(["--", name]);
    let password = appw.run(&args).ok().stdout.trim().to_string();
    (password[4..16].to_string(), password)
}

fn verify(appw: &Appw, user: &str, password: &str, extra: &[&str]) -> i32 {
    let mut args = vec!["verify", "--user", user];
    args.extend_from_slice(extra);
    appw.run_stdin(&args, password.as_bytes()).code
}

#[test]
fn scopes_and_networks_are_set_shown_and_enforced_by_verify() {
    let appw = Appw::new();
    let (id, pw) = create(
        &appw,
        "deploy",
        "ci",
        &[
            "--scope",
            "deploy",
            "--scope",
            "api:read",
            "--allow-from",
            "10.0.0.0/8",
            "--allow-from",
            "2001:db8::1",
        ],
    );
    let shown = appw.show(&id);
    assert_eq!(shown["scopes"], serde_json::json!(["deploy", "api:read"]));
    assert_eq!(
        shown["allow_from"],
        serde_json::json!(["10.0.0.0/8", "2001:db8::1"])
    );
    assert_eq!(appw.list()[0]["scopes"], shown["scopes"]);
    let table = appw.run(&["list"]).ok().stdout;
    assert!(
        table.contains("SCOPES") && table.contains("api:read"),
        "{table}"
    );

    assert_eq!(
        verify(
            &appw,
            "deploy",
            &pw,
            &["--source", "10.2.3.4", "--scope", "deploy"]
        ),
        0
    );
    assert_eq!(
        verify(&appw, "deploy", &pw, &["--source", "2001:db8::1"]),
        0,
        "no scope asked"
    );
    assert_eq!(
        verify(
            &appw,
            "deploy",
            &pw,
            &["--source", "10.2.3.4", "--scope", "admin"]
        ),
        1
    );
    assert_eq!(
        verify(&appw, "deploy", &pw, &["--source", "192.0.2.1"]),
        1,
        "outside"
    );
    assert_eq!(
        verify(&appw, "deploy", &pw, &["--source", "ci-runner"]),
        1,
        "not an address"
    );
    assert_eq!(verify(&appw, "deploy", &pw, &[]), 1, "no source");
    let details: Vec<String> = appw
        .log(&[])
        .iter()
        .filter(|e| e["event"] == "rejected")
        .map(|e| e["detail"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(details.len(), 4, "{details:?}");
    assert!(details[0].contains("scope"), "{details:?}");
    assert!(
        details[1..].iter().all(|d| d.contains("network")),
        "{details:?}"
    );

    // A credential without scopes passes only checks that ask for none.
    let (_, plain) = create(&appw, "deploy", "plain", &[]);
    assert_eq!(verify(&appw, "deploy", &plain, &[]), 0);
    assert_eq!(verify(&appw, "deploy", &plain, &["--scope", "deploy"]), 1);
}

#[test]
fn update_changes_limits_and_expiry_without_reissuing_and_rotate_keeps_them() {
    let appw = Appw::new();
    let (id, pw) = create(&appw, "deploy", "ci", &[]);
    let out = appw
        .run(&[
            "update",
            &id,
            "--scope",
            "deploy",
            "--allow-from",
            "192.0.2.0/24",
            "--expires",
            "30d",
            "--json",
        ])
        .ok();
    let c = out.json();
    assert_eq!(c["scopes"], serde_json::json!(["deploy"]));
    assert_eq!(c["allow_from"], serde_json::json!(["192.0.2.0/24"]));
    assert!(c["expires_at"].is_string());
    assert_eq!(
        verify(
            &appw,
            "deploy",
            &pw,
            &["--scope", "deploy", "--source", "192.0.2.9"]
        ),
        0,
        "same password"
    );
    let updated: Vec<_> = appw
        .log(&[])
        .into_iter()
        .filter(|e| e["event"] == "updated")
        .collect();
    assert_eq!(updated.len(), 1);
    assert!(
        updated[0]["detail"]
            .as_str()
            .unwrap()
            .contains("scopes=deploy"),
        "{updated:?}"
    );

    // Only what is given changes.
    appw.run(&["update", &id, "--scope", "api"]).ok();
    assert_eq!(
        appw.show(&id)["allow_from"],
        serde_json::json!(["192.0.2.0/24"])
    );
    let rotated = appw.run(&["rotate", &id, "--json"]).ok().json();
    assert_eq!(
        rotated["scopes"],
        serde_json::json!(["api"]),
        "rotate keeps scopes"
    );
    assert_eq!(rotated["allow_from"], serde_json::json!(["192.0.2.0/24"]));
    let new_id = rotated["id"].as_str().unwrap().to_string();
    let c = appw
        .run(&[
            "update",
            &new_id,
            "--no-scopes",
            "--anywhere",
            "--no-expiry",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(c["scopes"], serde_json::json!([]));
    assert_eq!(c["allow_from"], serde_json::json!([]));
    assert!(c["expires_at"].is_null());
    appw.run(&["update", &new_id]).code(2).one_error_line();
    appw.run(&["update", &id, "--scope", "x"])
        .code(3)
        .one_error_line();
}

#[test]
fn copy_store_keeps_scopes_and_networks() {
    let appw = Appw::new();
    let (id, pw) = create(
        &appw,
        "deploy",
        "ci",
        &["--scope", "deploy", "--allow-from", "10.0.0.0/8"],
    );
    let dest = appw.dir.path().join("copy").join("credentials.db");
    let dest = dest.to_str().unwrap();
    appw.run(&["copy-store", "--to", dest]).ok();
    let copy = Appw::sqlite().env("APPW_DB", dest);
    let c = copy.show(&id);
    assert_eq!(c["scopes"], serde_json::json!(["deploy"]));
    assert_eq!(c["allow_from"], serde_json::json!(["10.0.0.0/8"]));
    assert_eq!(
        verify(
            &copy,
            "deploy",
            &pw,
            &["--scope", "deploy", "--source", "10.0.0.1"]
        ),
        0
    );
}

#[test]
fn invalid_scopes_and_networks_name_the_bad_value() {
    let appw = Appw::new();
    for (option, bad) in [
        ("--scope", "has space"),
        ("--scope", "ünï"),
        ("--allow-from", "10.0.0.0/33"),
        ("--allow-from", "example.com"),
    ] {
        let flag = format!("{option}={bad}");
        let out = appw
            .run(&["create", "--user", "deploy", &flag, "ci"])
            .code(2)
            .one_error_line();
        assert!(out.stderr.contains(bad), "{out:?}");
    }
    assert!(appw.list().is_empty());
}

/// A right password refused for its scope or network costs what a wrong one costs: the one
/// argon2 evaluation.
#[test]
fn a_refusal_for_scope_or_network_costs_one_evaluation() {
    let appw = Appw::new();
    let (_, pw) = create(
        &appw,
        "deploy",
        "ci",
        &["--scope", "deploy", "--allow-from", "10.0.0.0/8"],
    );
    let location = if appw.is_postgres() {
        Location::Postgres(appw.db.clone())
    } else {
        Location::Sqlite(appw.path())
    };
    for (scope, source, valid) in [
        (Some("deploy"), Some("10.0.0.1"), true),
        (Some("admin"), Some("10.0.0.1"), false),
        (Some("deploy"), Some("192.0.2.1"), false),
        (None, None, false),
    ] {
        let mut store = store::open(&location, Access::Existing).unwrap().unwrap();
        let (ok, evaluations) = crate::hash_evaluations::verify_counted(
            || Ok(Some(store.as_mut())),
            "deploy",
            &pw,
            scope,
            source,
            1,
        );
        assert_eq!(evaluations, 1, "{scope:?} {source:?}");
        assert_eq!(ok, valid);
    }
}

#[test]
fn serve_answers_403_for_scope_and_network_and_204_within_them() {
    let appw = Appw::new();
    let (_, scoped) = create(&appw, "deploy", "ci", &["--scope", "deploy"]);
    let (_, fenced) = create(&appw, "deploy", "fenced", &["--allow-from", "10.0.0.0/8"]);
    let server = Server::start(&appw, &["--trusted-proxy", "127.0.0.1"]);
    let auth = |path: &str, pw: &str, from: Option<&str>| {
        let good = basic("deploy", pw);
        let mut headers = vec![("Authorization", good.as_str())];
        if let Some(ip) = from {
            headers.push(("X-Real-IP", ip));
        }
        server.get(path, &headers).0
    };
    assert_eq!(auth("/auth?scope=deploy", &scoped, None), 204);
    assert_eq!(auth("/auth?scope=admin", &scoped, None), 403);
    assert_eq!(
        auth("/auth?scope=admin", &scoped, None),
        403,
        "warm, still 403"
    );
    assert_eq!(auth("/auth", &scoped, None), 204);
    assert_eq!(auth("/auth", &fenced, Some("10.9.8.7")), 204);
    assert_eq!(auth("/auth", &fenced, Some("192.0.2.1")), 403);
    assert_eq!(
        auth("/auth", &fenced, None),
        403,
        "loopback is outside 10/8"
    );
    assert_eq!(
        auth("/auth", "appw-wrong", None),
        401,
        "a wrong password stays 401"
    );
    assert_eq!(server.stop().0, 0);
}
