//! The server's log (stderr, which fail2ban and journald keep) holds no password the
//! screen handled: none typed at a failed sign-in, whatever box it was typed in, and none
//! that the screen's create and rotate issued.

use super::screen::{Browser, text_of};
use super::{Admin, admin_credential, credential};
use crate::harness::{Appw, assert_no_secret, forge, grouped, is_token, typo};

/// The password a page shows once in `#new-password`, without its spaces.
fn shown(b: &mut Browser) -> String {
    let page = b.get("/").status(200);
    text_of(&page, "new-password").split_whitespace().collect()
}

#[test]
fn no_password_the_screen_handled_reaches_the_servers_log() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    // A right password that may not sign in (no appw: scope).
    let (plain, _) = credential(&appw, "deploy", "ci", &[]);
    let web = Admin::start(&appw);
    let mut b = Browser::open(&web);

    let typed = [
        (user.as_str(), forge(&password), 401),
        (user.as_str(), typo(&password, 30), 401),
        ("nobody", password.clone(), 401),
        ("deploy", plain.clone(), 403),
        // Pasted into the user name box, compact or grouped as `create` shows it.
        (password.as_str(), String::new(), 401),
        (&grouped(&password), "x".to_string(), 401),
        (&format!("{user}:{password}"), String::new(), 401),
    ];
    for (name, secret, status) in &typed {
        let refused = b.sign_in(name, secret);
        assert_eq!(refused.status, *status, "{name:?}: {refused:?}");
    }
    b.sign_in(&user, &password).status(303);
    b.get("/").status(200);
    b.post("/create", &[("name", "backup"), ("user", "ops")], true)
        .status(303);
    let created = shown(&mut b);
    assert_eq!(web.auth("ops", &created), 204);
    let id = appw
        .list()
        .into_iter()
        .find(|c| c["name"] == "backup")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    b.post(&format!("/credentials/{id}"), &[("rotate", "1")], true)
        .status(303);
    let rotated = shown(&mut b);
    assert_eq!(web.auth("ops", &rotated), 204);

    let log = web.stop().join("\n");
    // The failed sign-ins were logged, as /auth's are, without what was typed.
    let rejected = log.matches("rejected client=127.0.0.1").count();
    assert_eq!(rejected, typed.len(), "{log}");
    let wrong = typed
        .iter()
        .map(|(_, secret, _)| secret)
        .filter(|s| is_token(s));
    for secret in wrong.chain([&password, &plain, &created, &rotated]) {
        assert_no_secret(&log, secret, "the server's log");
    }
}
