//! A store that cannot be used for a while: the screen answers 503, does nothing and logs
//! why, but does not end the sessions (nor say their credentials were revoked); once the
//! store answers again, the same browser carries on.

use std::os::unix::fs::PermissionsExt;

use super::screen::Browser;
use super::{Admin, admin_credential, credential, eventually};
use crate::harness::Appw;

#[test]
fn a_store_outage_keeps_the_session_and_changes_nothing() {
    // SQLite: the store is refused while its folder is open to everyone (another user
    // could have replaced it), which a test can switch on and off.
    let appw = Appw::sqlite();
    let (user, password, _) = admin_credential(&appw);
    let (deploy, id) = credential(&appw, "deploy", "ci", &[]);
    let web = Admin::start(&appw);
    let mut b = Browser::open(&web);
    b.sign_in(&user, &password).status(303);
    assert!(b.get("/").status(200).body.contains(r#"id="credentials""#));

    let folder = appw.path().parent().unwrap().to_path_buf();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
    eventually("the screen answers 503", || b.get("/").status == 503);
    let cookie = b.cookie.clone();
    let page = b.get("/").status(503);
    let tried = b
        .post(&format!("/credentials/{id}"), &[("revoke", "1")], true)
        .status(503);
    for answer in [page, tried] {
        // The page that says the store is out: nothing done, still signed in, try again.
        assert!(
            answer
                .body
                .contains("<h1>The store cannot be used right now</h1>"),
            "{answer:?}"
        );
        assert!(
            answer
                .body
                .contains("Nothing was done, and you are still signed in"),
            "{answer:?}"
        );
        // Not the page of a session that ended, nor a sign-in form.
        assert!(!answer.body.contains("session has ended"), "{answer:?}");
        assert!(!answer.body.contains(r#"id="sign-in""#), "{answer:?}");
        assert!(answer.header("set-cookie").is_none(), "{answer:?}");
        let retry = answer.header("retry-after").unwrap_or_default();
        assert!(retry.parse::<u32>().is_ok_and(|s| s > 0), "{answer:?}");
    }
    assert_eq!(b.cookie, cookie, "the session cookie is kept");
    // The API during the outage: 503 with Retry-After, never the 401 of a credential
    // that was revoked (its role, then its row, cannot be read).
    let listed = web
        .api((&user, &password), "GET", "/api/v1/credentials", None)
        .status(503);
    assert!(listed.header("retry-after").is_some(), "{listed:?}");
    // The operator is told why the screen answered 503 (as /auth's store errors are
    // logged), naming the folder: a line of its own, not the recorder's about uses.
    let folder_name = folder.display().to_string();
    eventually("the screen's store error logged", || {
        web.log().iter().any(|l| {
            l.starts_with("appw serve: store error: ")
                && l.contains(&folder_name)
                && !l.ends_with("uses kept for the next commit")
        })
    });

    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    eventually("the screen answers again", || b.get("/").status == 200);
    let page = b.get("/").status(200);
    assert!(page.body.contains(r#"id="credentials""#), "still signed in");
    assert_eq!(web.auth("deploy", &deploy), 204, "nothing was revoked");
    b.post(&format!("/credentials/{id}"), &[("revoke", "1")], true)
        .status(303);
    assert_eq!(web.auth("deploy", &deploy), 401);
}
