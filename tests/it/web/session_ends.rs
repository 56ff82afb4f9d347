//! A screen session ends at the first request after the credential that signed it in is
//! revoked, disabled or expires (from any process), and its CSRF token is its own: another
//! session's valid token changes nothing.

use super::screen::Browser;
use super::{Admin, admin_credential, credential};

use crate::harness::Appw;

/// The server's clock (debug builds honour `APPW_NOW`).
const NOW: &str = "2030-01-01T00:00:00Z";

#[test]
fn a_session_ends_when_its_credential_is_revoked_disabled_or_expires() {
    let appw = Appw::new().env("APPW_NOW", NOW);
    let web = Admin::start(&appw);
    let end = |how: &str, id: &str| match how {
        "revoked" => appw.run(&["revoke", id]).ok(),
        "disabled" => appw.run(&["disable", id]).ok(),
        _ => {
            // Set from a process whose clock is an hour behind the server's: an expiry in
            // that process's future and in the server's past.
            let mut earlier = appw.command(&["update", id, "--expires", "2029-12-31T23:30:00Z"]);
            earlier.env("APPW_NOW", "2029-12-31T23:00:00Z");
            appw.run_with(earlier, b"").ok()
        }
    };
    for how in ["revoked", "disabled", "expired"] {
        let name = format!("browser {how}");
        let (password, id) = credential(&appw, "admin", &name, &["--scope", "appw:admin"]);
        let user = "admin";
        let mut b = Browser::open(&web);
        b.sign_in(user, &password).status(303);
        assert!(b.get("/").status(200).body.contains(r#"id="credentials""#));
        end(how, &id);
        let page = b.get("/").status(200);
        assert!(page.body.contains(r#"id="sign-in""#), "{how}: {page:?}");
        assert!(page.body.contains("session has ended"), "{how}: {page:?}");
        // The old cookie is worth nothing now, even for a form.
        b.post("/create", &[("name", "x"), ("user", "deploy")], true);
        assert!(appw.list().iter().all(|c| c["name"] != "x"), "{how}");
    }
}

#[test]
fn another_sessions_valid_csrf_token_changes_nothing() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let (alice, _) = credential(&appw, "alice", "laptop", &["--scope", "appw:self"]);
    let (deploy, id) = credential(&appw, "alice", "ci", &[]);
    let web = Admin::start(&appw);
    let mut admin = Browser::signed_in(&web, &user, &password);
    let mut other = Browser::signed_in(&web, "alice", &alice);
    assert_ne!(admin.csrf, other.csrf);

    // The admin's browser, with alice's session's (valid) token.
    let own = std::mem::replace(&mut admin.csrf, other.csrf.clone());
    admin
        .post(&format!("/credentials/{id}"), &[("revoke", "1")], true)
        .status(403);
    admin.post("/revoke-all", &[], true).status(403);
    admin
        .post("/create", &[("name", "x"), ("user", "alice")], true)
        .status(403);
    // And alice's with the admin's.
    other.csrf = own.clone();
    other
        .post(&format!("/credentials/{id}"), &[("disable", "1")], true)
        .status(403);
    assert_eq!(web.auth("alice", &deploy), 204, "nothing changed");
    assert_eq!(appw.list().len(), 3);

    admin.csrf = own;
    admin
        .post(&format!("/credentials/{id}"), &[("revoke", "1")], true)
        .status(303);
    assert_eq!(web.auth("alice", &deploy), 401);
}
