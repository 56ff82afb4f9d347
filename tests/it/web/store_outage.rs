//! A store that cannot be used for a while: the screen answers 503 and does nothing, but
//! does not end the sessions (nor say their credentials were revoked); once the store
//! answers again, the same browser carries on.

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
    let page = b.get("/").status(503);
    assert!(page.body.contains("still signed in"), "{page:?}");
    assert!(!page.body.contains("revoked"), "{page:?}");
    assert!(page.header("retry-after").is_some(), "{page:?}");
    b.post(&format!("/credentials/{id}"), &[("revoke", "1")], true)
        .status(503);

    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    eventually("the screen answers again", || b.get("/").status == 200);
    let page = b.get("/").status(200);
    assert!(page.body.contains(r#"id="credentials""#), "still signed in");
    assert_eq!(web.auth("deploy", &deploy), 204, "nothing was revoked");
    b.post(&format!("/credentials/{id}"), &[("revoke", "1")], true)
        .status(303);
    assert_eq!(web.auth("deploy", &deploy), 401);
}
