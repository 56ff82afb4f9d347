//! The JSON API: every route and status of the contract, bodies exactly as `--json`
//! prints them, the password in one answer only, hostile bodies, and revocation seen by
//! another server on the same store at its next request.

use serde_json::{Value, json};

use super::{Admin, admin_credential, credential, eventually};
use crate::harness::{Appw, assert_no_secret, basic};

#[test]
fn every_route_does_what_its_command_does() {
    let appw = Appw::new();
    let (user, password, admin_id) = admin_credential(&appw);
    let me = (user.as_str(), password.as_str());
    let web = Admin::start(&appw);

    let created = web
        .api(
            me,
            "POST",
            "/api/v1/credentials",
            Some(r#"{"user": "deploy", "name": "CI", "scopes": ["deploy"], "app_id": "a-1"}"#),
        )
        .status(201);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let body = created.json();
    let (id, secret) = (
        body["id"].as_str().unwrap().to_string(),
        body["password"].as_str().unwrap().to_string(),
    );
    let mut shown = appw.show(&id);
    shown["password"] = json!(secret);
    assert_eq!(
        body, shown,
        "create's answer is show --json plus the password"
    );
    assert_eq!(
        web.auth("deploy", &secret),
        204,
        "the new password works at /auth"
    );

    // Reads are exactly what the CLI prints.
    // The use just made is committed within a second or so: until then the two reads may
    // straddle the commit.
    eventually("the API's list to equal list --json", || {
        let listed = web
            .api(me, "GET", "/api/v1/credentials?user=deploy", None)
            .status(200)
            .json();
        listed == appw.json_of(&["list", "--user", "deploy", "--json"])
    });
    let one = web
        .api(me, "GET", &format!("/api/v1/credentials/{id}"), None)
        .status(200);
    assert!(one.header("cache-control").is_some());
    assert!(
        !one.body.contains(&secret[16..42]),
        "no password after the 201"
    );

    // PATCH: rename, update (null clears), pause and resume.
    let patched = web
        .api(
            me,
            "PATCH",
            &format!("/api/v1/credentials/{id}"),
            Some(r#"{"name": "CI 2", "scopes": null, "expires": "30d"}"#),
        )
        .status(200)
        .json();
    assert_eq!(patched["name"], "CI 2");
    assert_eq!(patched["scopes"], json!([]));
    assert!(patched["expires_at"].is_string());
    let cleared = web
        .api(
            me,
            "PATCH",
            &format!("/api/v1/credentials/{id}"),
            Some(r#"{"expires": null}"#),
        )
        .status(200)
        .json();
    assert_eq!(cleared["expires_at"], Value::Null);
    let paused = web
        .api(
            me,
            "PATCH",
            &format!("/api/v1/credentials/{id}"),
            Some(r#"{"disabled": true}"#),
        )
        .status(200)
        .json();
    assert_eq!(paused["disabled"], true);
    assert_eq!(
        web.auth("deploy", &secret),
        401,
        "disabled at the next request"
    );
    web.api(
        me,
        "PATCH",
        &format!("/api/v1/credentials/{id}"),
        Some(r#"{"disabled": false}"#),
    )
    .status(200);
    assert_eq!(web.auth("deploy", &secret), 204, "enabled again, as it was");

    // Rotate: a new password, the old one refused from now on.
    let rotated = web
        .api(
            me,
            "POST",
            &format!("/api/v1/credentials/{id}/rotate"),
            None,
        )
        .status(201);
    assert_eq!(rotated.header("cache-control"), Some("no-store"));
    let rotated = rotated.json();
    let new_secret = rotated["password"].as_str().unwrap().to_string();
    let new_id = rotated["id"].as_str().unwrap().to_string();
    assert_eq!(rotated["name"], "CI 2");
    assert_eq!(web.auth("deploy", &secret), 401);
    assert_eq!(web.auth("deploy", &new_secret), 204);

    // Revoke one, then revoke all of a user.
    let revoked = web
        .api(me, "DELETE", &format!("/api/v1/credentials/{new_id}"), None)
        .status(200)
        .json();
    assert_eq!(revoked["id"], new_id.as_str());
    assert_eq!(web.auth("deploy", &new_secret), 401);
    let (p1, _) = credential(&appw, "ops", "one", &[]);
    credential(&appw, "ops", "two", &[]);
    let all = web
        .api(me, "DELETE", "/api/v1/credentials?user=ops", None)
        .status(200)
        .json();
    assert_eq!(all["revoked"], 2);
    assert_eq!(web.auth("ops", &p1), 401);
    assert!(appw.json_of(&["list", "--user", "ops", "--json"]) == json!([]));

    // The log, with who acted.
    let mut log = serde_json::Value::Null;
    eventually("the API's log to equal log --json", || {
        log = web
            .api(me, "GET", "/api/v1/log?user=deploy", None)
            .status(200)
            .json();
        log == appw.json_of(&["log", "--user", "deploy", "--json"])
    });
    let actor = format!("credential:{admin_id}");
    for kind in [
        "created", "updated", "disabled", "enabled", "rotated", "revoked",
    ] {
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .any(|e| e["event"] == kind && e["actor"] == actor.as_str()),
            "a {kind} event by {actor}: {log:#}"
        );
    }
    for line in web.log() {
        assert_no_secret(&line, &secret, "the server's log");
        assert_no_secret(&line, &new_secret, "the server's log");
    }
}

#[test]
fn introspection_and_self_revocation_need_no_scope() {
    let appw = Appw::new();
    let (secret, id) = credential(&appw, "zapier", "Zapier", &[]);
    let web = Admin::start(&appw);
    let me = ("zapier", secret.as_str());
    web.api(me, "GET", "/api/v1/credentials", None).status(403);
    let itself = web
        .api(me, "GET", "/api/v1/credentials/self", None)
        .status(200)
        .json();
    let shown = appw.show(&id);
    assert_eq!(itself["id"], shown["id"]);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&itself),
        keys(&shown),
        "an object as show --json prints it"
    );
    let bearer = format!("Bearer {secret}");
    web.send(
        "GET",
        "/api/v1/credentials/self",
        &[("Authorization", &bearer)],
        b"",
    )
    .status(200);
    let gone = web
        .api(me, "DELETE", "/api/v1/credentials/self", None)
        .status(200)
        .json();
    assert_eq!(gone["id"], id.as_str());
    assert_eq!(web.auth("zapier", &secret), 401, "it retired itself");
    web.api(me, "GET", "/api/v1/credentials/self", None)
        .status(401);
    let log = appw.log(&["--user", "zapier"]);
    let revoked = log.iter().find(|e| e["event"] == "revoked").unwrap();
    assert_eq!(revoked["actor"], format!("credential:{id}"));
}

#[test]
fn each_refusal_has_its_status_and_names_what_was_wrong() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let me = (user.as_str(), password.as_str());
    credential(&appw, "deploy", "CI", &[]);
    let web = Admin::start_with(&appw, &["--max-failures", "3"]);

    let none = web.send("GET", "/api/v1/credentials", &[], b"").status(401);
    assert!(
        none.header("www-authenticate")
            .unwrap()
            .starts_with("Basic realm=")
    );
    assert!(!none.error().is_empty());
    web.api((user.as_str(), "wrong"), "GET", "/api/v1/credentials", None)
        .status(401);
    web.api(me, "GET", "/api/v1/credentials/abcdefgh2345", None)
        .status(404);
    let post = |body: &str| web.api(me, "POST", "/api/v1/credentials", Some(body));
    let dup = post(r#"{"user": "deploy", "name": "ci"}"#).status(409);
    assert!(
        dup.error().contains("CI") || dup.error().contains("ci"),
        "{dup:?}"
    );
    for (body, field) in [
        (r#"{"user": "deploy", "name": "  "}"#, "name"),
        (
            r#"{"user": "deploy", "name": "x", "expires": "soon"}"#,
            "expires",
        ),
        (
            r#"{"user": "deploy", "name": "x", "scopes": ["a b"]}"#,
            "scope",
        ),
        (
            r#"{"user": "deploy", "name": "x", "allow_from": ["nowhere"]}"#,
            "allow_from",
        ),
        (r#"{"user": "a:b", "name": "x"}"#, "user"),
        (
            r#"{"user": "deploy", "name": "x", "colour": "red"}"#,
            "colour",
        ),
        (r#"{"user": "deploy", "name": 7}"#, "name"),
        (r#"{"user": "deploy"}"#, "name"),
    ] {
        let refused = post(body).status(400);
        assert!(refused.error().contains(field), "{body}: {refused:?}");
    }
    post(r#"{"user": "deploy", "#).status(400);
    post("[]").status(400);
    let latin1 = web.send(
        "POST",
        "/api/v1/credentials",
        &[
            ("Authorization", &basic(me.0, me.1)),
            ("Content-Type", "application/json"),
        ],
        b"{\"user\": \"d\xe9ploy\", \"name\": \"x\"}",
    );
    latin1.status(400);
    let plain = web.send(
        "POST",
        "/api/v1/credentials",
        &[
            ("Authorization", &basic(me.0, me.1)),
            ("Content-Type", "text/plain"),
        ],
        br#"{"user": "deploy", "name": "x"}"#,
    );
    plain.status(415);
    let huge = format!(
        r#"{{"user": "deploy", "name": "{}"}}"#,
        "x".repeat(70 * 1024)
    );
    post(&huge).status(413);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    web.api(me, "POST", "/api/v1/credentials", Some(&deep[..60_000]))
        .status(400);
    web.api(me, "GET", "/api/v1/log?since=yesterday", None)
        .status(400);
    web.api(me, "GET", "/api/v1/credentials?usr=deploy", None)
        .status(400);
    web.api(me, "DELETE", "/api/v1/credentials", None)
        .status(400);
    web.send("GET", "/api/v1/nothing", &[], b"").status(404);
    // Nothing of all that was created.
    assert_eq!(
        appw.json_of(&["list", "--user", "deploy", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Throttled after repeated failures, with Retry-After.
    let mut last = 0;
    for _ in 0..6 {
        last = web
            .api((user.as_str(), "wrong"), "GET", "/api/v1/credentials", None)
            .status;
    }
    assert_eq!(last, 429);
    let throttled = web.api(("nobody", "wrong"), "GET", "/api/v1/log", None);
    assert_eq!(throttled.status, 429);
    assert!(throttled.header("retry-after").is_some());
    let log = web.log();
    assert!(!log.iter().any(|l| l.contains("panicked")), "{log:#?}");
}

#[test]
fn a_revocation_over_the_api_counts_at_the_next_request_of_another_server() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let me = (user.as_str(), password.as_str());
    let (secret, id) = credential(&appw, "deploy", "CI", &[]);
    let one = Admin::start(&appw);
    let other = Admin::start(&appw);
    assert_eq!(
        other.auth("deploy", &secret),
        204,
        "warm at the other server"
    );
    assert_eq!(other.auth("deploy", &secret), 204);
    one.api(me, "DELETE", &format!("/api/v1/credentials/{id}"), None)
        .status(200);
    assert_eq!(
        other.auth("deploy", &secret),
        401,
        "refused at its next request"
    );

    let (secret, id) = credential(&appw, "deploy", "CD", &[]);
    assert_eq!(other.auth("deploy", &secret), 204);
    one.api(
        me,
        "PATCH",
        &format!("/api/v1/credentials/{id}"),
        Some(r#"{"disabled": true}"#),
    )
    .status(200);
    assert_eq!(
        other.auth("deploy", &secret),
        401,
        "disabled at its next request"
    );
    // Uses made through the other server show up in the list within a few seconds.
    eventually("the admin's uses to be recorded", || {
        let listed = one
            .api(me, "GET", "/api/v1/credentials?user=admin", None)
            .json();
        listed[0]["use_count"].as_i64().unwrap_or(0) > 0
    });
}
