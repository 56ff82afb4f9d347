//! Who may do what over HTTP: `appw:admin` manages every user's credentials; `appw:self`
//! only its own user's, and never makes a credential with more power than its own;
//! another user's credential is, for it, as if it did not exist.

use serde_json::json;

use super::{Admin, admin_credential, credential};
use crate::harness::Appw;

#[test]
fn a_self_scoped_credential_sees_and_manages_only_its_own_user() {
    let appw = Appw::new();
    let (alice, alice_id) = credential(
        &appw,
        "alice",
        "laptop",
        &["--scope", "appw:self", "--scope", "deploy"],
    );
    let (_, alice_ci) = credential(&appw, "alice", "CI", &["--scope", "deploy"]);
    let (bob, bob_id) = credential(&appw, "bob", "phone", &[]);
    let web = Admin::start(&appw);
    let me = ("alice", alice.as_str());

    let listed = web
        .api(me, "GET", "/api/v1/credentials", None)
        .status(200)
        .json();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{listed:#}");
    assert!(ids.contains(&alice_id.as_str()) && ids.contains(&alice_ci.as_str()));
    let theirs = web
        .api(me, "GET", "/api/v1/credentials?user=bob", None)
        .status(200)
        .json();
    assert_eq!(theirs, json!([]));
    let log = web
        .api(me, "GET", "/api/v1/log?user=bob", None)
        .status(200)
        .json();
    assert_eq!(log, json!([]));
    for (method, path, body) in [
        ("GET", format!("/api/v1/credentials/{bob_id}"), None),
        ("DELETE", format!("/api/v1/credentials/{bob_id}"), None),
        ("POST", format!("/api/v1/credentials/{bob_id}/rotate"), None),
        (
            "PATCH",
            format!("/api/v1/credentials/{bob_id}"),
            Some(r#"{"disabled": true}"#),
        ),
    ] {
        let not_found = web.api(me, method, &path, body).status(404);
        assert!(!not_found.body.contains("bob"), "{not_found:?}");
    }
    web.api(me, "DELETE", "/api/v1/credentials?user=bob", None)
        .status(403);
    assert_eq!(web.auth("bob", &bob), 204, "bob's credential is untouched");

    // Its own are its to manage.
    web.api(
        me,
        "PATCH",
        &format!("/api/v1/credentials/{alice_ci}"),
        Some(r#"{"name": "CI 2"}"#),
    )
    .status(200);
    web.api(
        me,
        "DELETE",
        &format!("/api/v1/credentials/{alice_ci}"),
        None,
    )
    .status(200);
}

#[test]
fn a_self_scoped_credential_never_makes_one_with_more_power() {
    let appw = Appw::new();
    let (alice, _) = credential(
        &appw,
        "alice",
        "laptop",
        &[
            "--scope",
            "appw:self",
            "--scope",
            "deploy",
            "--allow-from",
            "127.0.0.0/8",
            "--expires",
            "30d",
        ],
    );
    // A more powerful credential of hers, made by an admin: hers to revoke, not to rotate.
    let (_, strong) = credential(&appw, "alice", "strong", &["--scope", "appw:admin"]);
    let web = Admin::start(&appw);
    let me = ("alice", alice.as_str());
    let create = |body: &str| web.api(me, "POST", "/api/v1/credentials", Some(body));
    for (body, why) in [
        (
            r#"{"user": "bob", "name": "x", "allow_from": ["127.0.0.1"], "expires": "1d"}"#,
            "user",
        ),
        (
            r#"{"user": "alice", "name": "x", "scopes": ["appw:admin"], "allow_from": ["127.0.0.1"], "expires": "1d"}"#,
            "scopes",
        ),
        (
            r#"{"user": "alice", "name": "x", "scopes": ["backup"], "allow_from": ["127.0.0.1"], "expires": "1d"}"#,
            "scopes",
        ),
        (
            r#"{"user": "alice", "name": "x", "allow_from": ["10.0.0.0/8"], "expires": "1d"}"#,
            "allow_from",
        ),
        (
            r#"{"user": "alice", "name": "x", "expires": "1d"}"#,
            "allow_from",
        ),
        (
            r#"{"user": "alice", "name": "x", "allow_from": ["127.0.0.1"]}"#,
            "expires",
        ),
        (
            r#"{"user": "alice", "name": "x", "allow_from": ["127.0.0.1"], "expires": "60d"}"#,
            "expires",
        ),
    ] {
        let refused = create(body).status(403);
        assert!(refused.error().contains(why), "{body}: {refused:?}");
    }
    web.api(
        me,
        "POST",
        &format!("/api/v1/credentials/{strong}/rotate"),
        None,
    )
    .status(403);
    let made = create(
        r#"{"user": "alice", "name": "CI", "scopes": ["deploy"], "allow_from": ["127.0.0.1"], "expires": "1d"}"#,
    )
    .status(201)
    .json();
    let id = made["id"].as_str().unwrap();
    web.api(
        me,
        "PATCH",
        &format!("/api/v1/credentials/{id}"),
        Some(r#"{"expires": null}"#),
    )
    .status(403);
    web.api(
        me,
        "PATCH",
        &format!("/api/v1/credentials/{id}"),
        Some(r#"{"allow_from": null}"#),
    )
    .status(403);
    web.api(
        me,
        "PATCH",
        &format!("/api/v1/credentials/{id}"),
        Some(r#"{"scopes": ["appw:self"]}"#),
    )
    .status(200);
    web.api(me, "DELETE", &format!("/api/v1/credentials/{strong}"), None)
        .status(200);
    // Only an admin names anyone's.
    let (user, password, _) = admin_credential(&appw);
    web.api(
        (user.as_str(), password.as_str()),
        "POST",
        "/api/v1/credentials",
        Some(r#"{"user": "bob", "name": "x", "scopes": ["appw:admin"]}"#),
    )
    .status(201);
}

#[test]
fn a_credential_without_a_management_scope_is_forbidden_and_logged() {
    let appw = Appw::new();
    let (secret, id) = credential(&appw, "deploy", "CI", &["--scope", "deploy"]);
    let web = Admin::start(&appw);
    web.api(("deploy", &secret), "GET", "/api/v1/credentials", None)
        .status(403);
    super::eventually("the refusal to be recorded", || {
        appw.log(&["--user", "deploy"]).iter().any(|e| {
            e["event"] == "rejected"
                && e["credential_id"] == id.as_str()
                && e["detail"].as_str().unwrap_or("").contains("scope")
        })
    });
}
