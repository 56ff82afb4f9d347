//! Apps asking for a credential at `/authorize`: only allowed origins, the password
//! delivered by a POST form and never in a URL, a single-use approval bound to the session,
//! and a clear refusal (nothing created) for every hostile request.

use super::screen::Browser;
use super::{Admin, admin_credential};
use crate::harness::{Appw, assert_no_secret};

const APP_ID: &str = "21f2e7c6-9a3e-4bd6-8c7b-2f8a3c1d5e90";

fn ask(name: &str, success: &str, reject: Option<&str>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("app_name", name)
        .append_pair("app_id", APP_ID)
        .append_pair("success_url", success);
    if let Some(r) = reject {
        q.append_pair("reject_url", r);
    }
    format!("/authorize?{}", q.finish())
}

/// The value of the hidden input `name` in a page.
fn hidden<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    let at = page.find(&format!(r#"name="{name}" value=""#))?;
    let rest = &page[at + name.len() + 15..];
    Some(&rest[..rest.find('"')?])
}

#[test]
fn an_approved_app_gets_its_password_by_a_post_and_only_once() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let web = Admin::start_with(
        &appw,
        &[
            "--authorize-origin",
            "https://app.example",
            "--authorize-origin",
            "http://127.0.0.1:8123",
        ],
    );
    let mut b = Browser::open(&web);
    // Signed out: sign in first, then back to the same request.
    let path = ask(
        "Zapier <beta>",
        "https://app.example/appw/callback?x=1",
        None,
    );
    let first = b.get(&path).status(200);
    assert!(first.body.contains(r#"id="sign-in""#));
    assert!(
        hidden(&first.body, "next").is_some(),
        "sign-in returns here"
    );
    let signed = b.sign_in_to(&user, &password, &path).status(303);
    assert_eq!(signed.header("location"), Some(path.as_str()));
    let consent = b.get(&path).status(200);
    assert!(consent.body.contains(r#"<form id="approve""#));
    assert!(consent.body.contains(r#"<form id="reject""#));
    assert!(!consent.body.contains("<beta>"), "the app's name is text");
    assert!(
        consent
            .body
            .contains("https://app.example/appw/callback?x=1")
    );
    let state = hidden(&consent.body, "state").unwrap().to_string();

    // Without the CSRF token, or without a button: nothing.
    b.post("/authorize", &[("state", &state), ("approve", "1")], false)
        .status(403);
    b.post("/authorize", &[("state", &state)], true).status(400);
    assert_eq!(
        appw.json_of(&["list", "--json"]).as_array().unwrap().len(),
        1
    );
    let approved = b
        .post("/authorize", &[("state", &state), ("approve", "1")], true)
        .status(200);
    assert_eq!(approved.header("cache-control"), Some("no-store"));
    assert!(
        approved.body.contains(
            r#"<form id="deliver" method="post" action="https://app.example/appw/callback?x=1""#
        ),
        "{approved:?}"
    );
    let secret = hidden(&approved.body, "password").unwrap().to_string();
    assert_eq!(hidden(&approved.body, "user_login"), Some("admin"));
    assert!(
        hidden(&approved.body, "site_url")
            .unwrap()
            .starts_with("http://")
    );
    assert_eq!(web.auth("admin", &secret), 204);
    let made = appw.json_of(&["list", "--user", "admin", "--json"]);
    let made = made.as_array().unwrap();
    assert_eq!(made.len(), 2);
    assert!(
        made.iter()
            .any(|c| c["name"] == "Zapier <beta>" && c["app_id"] == APP_ID)
    );

    // Replayed: nothing more.
    b.post("/authorize", &[("state", &state), ("approve", "1")], true)
        .status(400);
    assert_eq!(
        appw.json_of(&["list", "--json"]).as_array().unwrap().len(),
        2
    );

    // Rejected: back to reject_url with success=false, nothing created.
    let path = ask(
        "Other",
        "http://127.0.0.1:8123/cb",
        Some("http://127.0.0.1:8123/no"),
    );
    let consent = b.get(&path).status(200);
    let state = hidden(&consent.body, "state").unwrap().to_string();
    let rejected = b
        .post("/authorize", &[("state", &state), ("reject", "1")], true)
        .status(303);
    assert_eq!(
        rejected.header("location"),
        Some("http://127.0.0.1:8123/no?success=false")
    );
    // Without a reject_url: back to success_url, which is told no.
    let path = ask("Other", "http://127.0.0.1:8123/cb", None);
    let consent = b.get(&path).status(200);
    let state = hidden(&consent.body, "state").unwrap().to_string();
    let rejected = b
        .post("/authorize", &[("state", &state), ("reject", "1")], true)
        .status(303);
    assert_eq!(
        rejected.header("location"),
        Some("http://127.0.0.1:8123/cb?success=false")
    );
    assert_eq!(
        appw.json_of(&["list", "--json"]).as_array().unwrap().len(),
        2
    );
    // The delivered password went in that one page's form, and nowhere in the log.
    let log = web.stop().join("\n");
    assert_no_secret(&log, &secret, "the server's log");
    assert_no_secret(&log, &password, "the server's log");
}

#[test]
fn hostile_requests_are_refused_and_create_nothing() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let web = Admin::start_with(&appw, &["--authorize-origin", "https://app.example"]);
    let mut b = Browser::open(&web);
    b.sign_in(&user, &password).status(303);
    let count = || appw.json_of(&["list", "--json"]).as_array().unwrap().len();
    let before = count();
    let pasted = password.clone();
    for (name, success, reject) in [
        ("App", "https://evil.example/cb", None),
        ("App", "https://app.example.evil.example/cb", None),
        ("App", "https://user:pw@app.example/cb", None),
        ("App", "https://app.example/cb#frag", None),
        ("App", "http://app.example/cb", None),
        ("App", "https://app.example:8443/cb", None),
        ("App", "javascript:alert(1)", None),
        ("App", "data:text/html,hi", None),
        ("App", "https://аpp.example/cb", None),
        ("App", "https://app.example%2Eevil.example/cb", None),
        ("App", "https://app.example%40evil.example/cb", None),
        (
            "App",
            "https://app.example/cb",
            Some("https://evil.example/"),
        ),
        ("App\u{202e}", "https://app.example/cb", None),
        (pasted.as_str(), "https://app.example/cb", None),
    ] {
        let path = ask(name, success, reject);
        let refused = b.get(&path);
        assert_eq!(refused.status, 400, "{success} {reject:?}: {refused:?}");
        assert!(!refused.body.contains(r#"id="approve""#));
        assert!(
            !refused.body.contains(&password[16..42]),
            "no password echoed"
        );
    }
    let not_uuid = "/authorize?app_name=App&app_id=42&success_url=https%3A%2F%2Fapp.example%2Fcb";
    b.get(not_uuid).status(400);
    assert_eq!(count(), before, "nothing created");
    // An origin that is not one is refused at start.
    appw.run(&[
        "serve",
        "--admin-listen",
        "127.0.0.1:0",
        "--authorize-origin",
        "ftp://x",
    ])
    .code(2)
    .one_error_line();
}
