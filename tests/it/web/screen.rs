//! The screen over plain HTTP, as a browser would use it: sessions behind a hardened
//! cookie, CSRF tokens on every form that changes something, post/redirect/get, the new
//! password shown once, escaping of whatever the store holds, and the headers every page
//! carries.

use super::{Admin, Reply, admin_credential, credential};
use crate::harness::Appw;

/// The session cookie's name.
pub(super) const SESSION: &str = "__Host-appw_session";

/// A browser's state: its cookies (the session's, the sign-in form's nonce), and the last
/// CSRF token a page gave it.
pub(super) struct Browser<'a> {
    web: &'a Admin,
    /// The session cookie, `name=value`.
    pub(super) cookie: Option<String>,
    /// The sign-in form's nonce cookie, `name=value`.
    pub(super) nonce: Option<String>,
    pub(super) csrf: String,
}

impl<'a> Browser<'a> {
    pub(super) fn open(web: &'a Admin) -> Browser<'a> {
        let mut b = Browser {
            web,
            cookie: None,
            nonce: None,
            csrf: String::new(),
        };
        let page = b.get("/").status(200);
        assert!(page.body.contains(r#"<form id="sign-in""#), "{page:?}");
        b
    }

    fn remember(&mut self, r: &Reply) {
        for (name, set) in &r.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let kept = (!value.is_empty()).then(|| pair.to_string());
            if name == SESSION {
                self.cookie = kept;
            } else if name == "__Host-appw_sign_in" {
                self.nonce = kept;
            }
        }
        if let Some(at) = r.body.find(r#"name="csrf" value=""#) {
            let rest = &r.body[at + r#"name="csrf" value=""#.len()..];
            self.csrf = rest[..rest.find('"').unwrap()].to_string();
        }
    }

    /// The Cookie header this browser sends.
    fn cookies(&self) -> String {
        let jar: Vec<&str> = [&self.cookie, &self.nonce]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        jar.join("; ")
    }

    pub(super) fn get(&mut self, path: &str) -> Reply {
        let cookie = self.cookies();
        let headers: Vec<(&str, &str)> = if cookie.is_empty() {
            vec![]
        } else {
            vec![("Cookie", cookie.as_str())]
        };
        let r = self.web.send("GET", path, &headers, b"");
        self.remember(&r);
        r
    }

    /// A form post with this browser's cookie, and its CSRF token unless `token` is false.
    pub(super) fn post(&mut self, path: &str, fields: &[(&str, &str)], token: bool) -> Reply {
        let mut body = form_urlencoded::Serializer::new(String::new());
        if token {
            body.append_pair("csrf", &self.csrf);
        }
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        let body = body.finish();
        let cookie = self.cookies();
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if !cookie.is_empty() {
            headers.push(("Cookie", cookie.as_str()));
        }
        let r = self.web.send("POST", path, &headers, body.as_bytes());
        self.remember(&r);
        r
    }

    /// A browser signed in as `user`, on the credentials table.
    pub(super) fn signed_in(web: &'a Admin, user: &str, password: &str) -> Browser<'a> {
        let mut b = Browser::open(web);
        b.sign_in(user, password).status(303);
        b.get("/").status(200);
        b
    }

    pub(super) fn sign_in(&mut self, user: &str, password: &str) -> Reply {
        self.post("/sign-in", &[("user", user), ("password", password)], true)
    }

    /// Signs in from a sign-in page that will return to `next`.
    pub(super) fn sign_in_to(&mut self, user: &str, password: &str, next: &str) -> Reply {
        let fields = [("user", user), ("password", password), ("next", next)];
        self.post("/sign-in", &fields, true)
    }
}

/// What a form could change about the active credentials (not their uses, which the
/// server records on its own schedule).
fn credentials(appw: &Appw) -> Vec<String> {
    let listed = appw.json_of(&["list", "--json"]);
    let keys = [
        "id",
        "user",
        "name",
        "scopes",
        "allow_from",
        "expires_at",
        "disabled",
    ];
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| keys.map(|k| c[k].to_string()).join(" "))
        .collect()
}

/// The text inside the element with `id`, if any.
fn element<'b>(page: &'b str, id: &str) -> Option<&'b str> {
    let at = page.find(&format!(r#"id="{id}""#))?;
    let rest = &page[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')? + start;
    Some(&rest[start..end])
}

/// The text inside the element with `id`; panics with the page when there is none.
#[track_caller]
pub(super) fn text_of<'b>(page: &'b Reply, id: &str) -> &'b str {
    element(&page.body, id).unwrap_or_else(|| panic!("no #{id}: {page:?}"))
}

#[test]
fn sign_in_create_once_and_sign_out() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let web = Admin::start(&appw);
    let mut b = Browser::open(&web);
    let first = b.get("/");
    let cookie = first.header("set-cookie").map(str::to_string);
    assert!(
        cookie.is_none(),
        "the sign-in form's cookie is kept: {first:?}"
    );
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'self'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(first.header(name), Some(value), "{name}");
    }
    assert!(!first.body.contains("plain-http"), "loopback is fine");

    let wrong = b.sign_in(&user, "appw wrong password");
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.header("www-authenticate").is_none(),
        "no browser dialog"
    );
    assert!(wrong.body.contains("Sign-in failed"));
    let before = b.cookie.clone();
    let signed = b.sign_in(&user, &password).status(303);
    let set = signed.header("set-cookie").unwrap();
    for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(part), "{set}");
    }
    assert_ne!(b.cookie, before, "a new session after sign-in");
    let list = b.get("/").status(200);
    assert!(list.body.contains(r#"<table id="credentials""#));
    assert!(list.body.contains(r#"<form id="create""#));

    let created = b
        .post(
            "/create",
            &[
                ("name", "Zapier"),
                ("user", "deploy"),
                ("scopes", "deploy, api:read"),
            ],
            true,
        )
        .status(303);
    assert_eq!(created.header("location"), Some("/"));
    assert!(
        !created.body.contains("appw"),
        "no password in the redirect"
    );
    let shown = b.get("/").status(200);
    assert_eq!(shown.header("cache-control"), Some("no-store"));
    let grouped = element(&shown.body, "new-password").expect("the password once");
    let secret: String = grouped.split_whitespace().collect();
    assert_eq!(secret.len(), 48, "{grouped}");
    let curl = element(&shown.body, "curl-line").unwrap();
    assert!(curl.contains(&secret) && curl.contains("deploy:") && curl.contains(&web.auth));
    assert_eq!(web.auth("deploy", &secret), 204);
    let again = b.get("/").status(200);
    assert!(element(&again.body, "new-password").is_none(), "shown once");
    assert!(!again.body.contains(&secret[16..42]));
    let listed = appw.json_of(&["list", "--user", "deploy", "--json"]);
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "reloading created nothing"
    );
    assert_eq!(
        listed[0]["scopes"],
        serde_json::json!(["deploy", "api:read"])
    );

    // Sign out: the old cookie is worth nothing.
    let old_cookie = b.cookie.clone();
    let old_csrf = b.csrf.clone();
    let out = b.post("/sign-out", &[], true).status(303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    b.cookie = old_cookie.clone();
    b.csrf = old_csrf.clone();
    b.post("/create", &[("name", "after"), ("user", "deploy")], true)
        .status(403);
    assert_eq!(
        appw.json_of(&["list", "--user", "deploy", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1,
        "the old cookie and token changed nothing"
    );
    b.cookie = old_cookie;
    let page = b.get("/").status(200);
    assert!(page.body.contains(r#"id="sign-in""#), "signed out");
}

#[test]
fn a_form_without_its_token_or_from_another_site_changes_nothing() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let (secret, id) = credential(&appw, "deploy", "CI", &[]);
    let web = Admin::start(&appw);
    let mut b = Browser::open(&web);
    // Sign-in itself needs the token.
    b.post(
        "/sign-in",
        &[("user", &user), ("password", &password)],
        false,
    )
    .status(403);
    b.sign_in(&user, &password).status(303);
    b.get("/").status(200);
    let before = credentials(&appw);
    b.post("/create", &[("name", "evil"), ("user", "deploy")], false)
        .status(403);
    b.post(&format!("/credentials/{id}"), &[("revoke", "1")], false)
        .status(403);
    b.post("/revoke-all", &[], false).status(403);
    // A cross-site post carrying a stolen token is still refused.
    let cookie = b.cookie.clone().unwrap();
    let body = format!("csrf={}&revoke=1", b.csrf);
    web.send(
        "POST",
        &format!("/credentials/{id}"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookie),
            ("Sec-Fetch-Site", "cross-site"),
            ("Origin", "https://evil.example"),
        ],
        body.as_bytes(),
    )
    .status(403);
    // A form another site makes the browser post: without the SameSite cookie.
    web.send(
        "POST",
        "/revoke-all",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"csrf=guess",
    )
    .status(403);
    assert_eq!(credentials(&appw), before, "nothing changed");
    assert_eq!(web.auth("deploy", &secret), 204);
    // With the token, the same button works.
    b.post(&format!("/credentials/{id}"), &[("revoke", "1")], true)
        .status(303);
    assert_eq!(web.auth("deploy", &secret), 401);
}

#[test]
fn what_the_store_holds_is_shown_as_text() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let (_, id) = credential(&appw, "deploy", "<script>alert(1)</script>", &[]);
    let web = Admin::start(&appw);
    let mut b = Browser::open(&web);
    b.sign_in(&user, &password).status(303);
    let page = b.get("/").status(200);
    assert!(!page.body.contains("<script>alert"), "markup escaped");
    assert!(
        page.body.contains("&#60;script&#62;alert(1)")
            || page.body.contains("&lt;script&gt;alert(1)"),
        "shown as text"
    );
    assert!(page.body.contains(&format!(r#"data-credential-id="{id}""#)));
    if !appw.is_postgres() {
        // A store written by hand: a right-to-left override in a name.
        let db = rusqlite::Connection::open(appw.path()).unwrap();
        db.execute(
            "UPDATE credentials SET name = ?1 WHERE id = ?2",
            rusqlite::params!["evil\u{202e}txt.exe", id],
        )
        .unwrap();
        drop(db);
        let page = b.get("/").status(200);
        assert!(!page.body.contains('\u{202e}'), "no raw bidi control");
    }
}

#[test]
fn a_session_ends_when_its_credential_can_no_longer_sign_in() {
    let appw = Appw::new();
    let (user, password, id) = admin_credential(&appw);
    let web = Admin::start(&appw);
    let mut b = Browser::signed_in(&web, &user, &password);
    appw.run(&["update", &id, "--scope", "deploy"]).ok();
    let page = b.get("/").status(200);
    assert!(
        page.body.contains(r#"id="sign-in""#),
        "lost its scope: {page:?}"
    );
    assert!(page.body.contains("session has ended"));
}

#[test]
fn plain_http_to_another_host_is_said_plainly() {
    let appw = Appw::new();
    let web = Admin::start(&appw);
    let page = web
        .send("GET", "/", &[("Host", "appw.example.org")], b"")
        .status(200);
    assert!(page.body.contains(r#"id="plain-http""#), "{page:?}");
    let proxied = web.send(
        "GET",
        "/",
        &[("Host", "appw.example.org"), ("X-Forwarded-Proto", "https")],
        b"",
    );
    assert!(!proxied.body.contains(r#"id="plain-http""#));
    let css = web.send("GET", "/style.css", &[], b"").status(200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
}
