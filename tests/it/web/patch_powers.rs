//! What an `appw:self` caller may change on a stronger credential of its own user: what
//! takes power away (a pause, a name) is as much its to do as a revoke; what hands power
//! back (scopes, networks, expiry, resuming) is checked against its own; an expiry that
//! does not parse is a 400 that names the field, never a 403.

use super::{Admin, credential};
use crate::harness::Appw;

#[test]
fn pausing_or_renaming_a_stronger_credential_of_ones_own_is_allowed_resuming_it_is_not() {
    let appw = Appw::new();
    let (alice, _) = credential(&appw, "alice", "laptop", &["--scope", "appw:self"]);
    let (strong, id) = credential(
        &appw,
        "alice",
        "strong",
        &["--scope", "appw:self", "--scope", "deploy"],
    );
    let web = Admin::start(&appw);
    let me = ("alice", alice.as_str());
    let path = format!("/api/v1/credentials/{id}");
    let patch = |body: &str| web.api(me, "PATCH", &path, Some(body));

    let paused = patch(r#"{"disabled": true}"#).status(200).json();
    assert_eq!(paused["disabled"], true);
    assert_eq!(web.auth("alice", &strong), 401, "paused");
    let renamed = patch(r#"{"name": "the strong one"}"#).status(200).json();
    assert_eq!(renamed["name"], "the strong one");

    let bad = patch(r#"{"expires": "next tuesday-ish"}"#).status(400);
    assert!(bad.error().starts_with("expires"), "{bad:?}");
    for (body, why) in [
        (r#"{"disabled": false}"#, "scopes"),
        (r#"{"expires": "1d"}"#, "scopes"),
        (r#"{"scopes": ["appw:admin"]}"#, "scopes"),
    ] {
        let refused = patch(body).status(403);
        assert!(refused.error().contains(why), "{body}: {refused:?}");
    }
    assert_eq!(web.auth("alice", &strong), 401, "still paused");
    // Once it holds no more than hers, it is hers to resume.
    patch(r#"{"scopes": ["appw:self"]}"#).status(200);
    patch(r#"{"disabled": false}"#).status(200);
    assert_eq!(web.auth("alice", &strong), 204);
}

#[test]
fn an_id_or_a_query_value_not_utf8_is_a_json_400() {
    let appw = Appw::new();
    let (alice, _) = credential(&appw, "alice", "laptop", &["--scope", "appw:self"]);
    let web = Admin::start(&appw);
    let me = ("alice", alice.as_str());
    for (method, path) in [
        ("GET", "/api/v1/credentials/%ff%fe"),
        ("DELETE", "/api/v1/credentials/%ff"),
        ("POST", "/api/v1/credentials/%c3/rotate"),
        ("GET", "/api/v1/credentials?user=%ff"),
        ("GET", "/api/v1/log?since=%ff"),
        ("DELETE", "/api/v1/credentials?user=al%ffice"),
    ] {
        let r = web.api(me, method, path, None).status(400);
        assert_eq!(r.header("content-type"), Some("application/json"), "{r:?}");
        assert!(r.error().contains("UTF-8"), "{method} {path}: {r:?}");
    }
    // Unauthenticated, the shape is the same.
    let r = web
        .send("GET", "/api/v1/credentials/%ff", &[], b"")
        .status(400);
    assert!(r.error().starts_with("id"), "{r:?}");
}
