//! A session is worth what its credential's password would be, where the request comes
//! from: a credential limited to networks keeps its session only while each request comes
//! from one of them (as `/auth` would decide), including after `update --allow-from`.

use super::screen::{Browser, SESSION};
use super::{Admin, Reply, admin_credential, credential};
use crate::harness::Appw;

/// The screen at `/` with `b`'s cookie, as a client the trusted proxy names `from`.
fn index_from(web: &Admin, b: &Browser, from: &str) -> Reply {
    let cookie = b.cookie.clone().expect("signed in");
    web.send(
        "GET",
        "/",
        &[("Cookie", cookie.as_str()), ("X-Forwarded-For", from)],
        b"",
    )
}

fn ended(page: &Reply) -> bool {
    page.status == 200
        && page.body.contains(r#"id="sign-in""#)
        && page.body.contains("session has ended")
}

#[test]
fn a_session_ends_at_a_request_from_outside_its_credentials_networks() {
    let appw = Appw::new();
    let (password, id) = credential(
        &appw,
        "alice",
        "laptop",
        &[
            "--scope",
            "appw:self",
            "--allow-from",
            "127.0.0.1",
            "--allow-from",
            "10.0.0.0/8",
        ],
    );
    admin_credential(&appw);
    // The test is the proxy: it names the client in X-Forwarded-For.
    let web = Admin::start_with(&appw, &["--trusted-proxy", "127.0.0.1"]);

    let mut b = Browser::open(&web);
    b.sign_in("alice", &password).status(303);
    let inside = index_from(&web, &b, "10.1.2.3").status(200);
    assert!(inside.body.contains(r#"id="credentials""#), "{inside:?}");
    let outside = index_from(&web, &b, "192.0.2.7");
    assert!(ended(&outside), "{outside:?}");
    let cleared = outside.headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("set-cookie") && value.starts_with(&format!("{SESSION}=;"))
    });
    assert!(cleared, "the session cookie is cleared: {outside:?}");
    // Ended, not just refused: back inside, the same cookie names no session.
    let again = index_from(&web, &b, "10.1.2.3").status(200);
    assert!(again.body.contains(r#"id="sign-in""#), "{again:?}");
    assert!(!again.body.contains(r#"id="credentials""#), "{again:?}");

    // Networks changed after sign-in: the next request, from where it signed in, ends it.
    let mut b = Browser::open(&web);
    b.sign_in("alice", &password).status(303);
    assert!(b.get("/").status(200).body.contains(r#"id="credentials""#));
    appw.run(&["update", &id, "--allow-from", "10.0.0.0/8"])
        .ok();
    let page = b.get("/");
    assert!(ended(&page), "{page:?}");
}
