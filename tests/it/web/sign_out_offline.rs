//! Signing out needs no store: while the store cannot be used, sign-out still ends the
//! session and clears the cookie, and the session stays ended once the store is back.

use std::os::unix::fs::PermissionsExt;

use super::screen::Browser;
use super::{Admin, admin_credential, eventually};
use crate::harness::Appw;

#[test]
fn sign_out_ends_the_session_while_the_store_is_down() {
    // SQLite: the store is refused while its folder is open to everyone.
    let appw = Appw::sqlite();
    let (user, password, _) = admin_credential(&appw);
    let web = Admin::start(&appw);
    let mut b = Browser::open(&web);
    b.sign_in(&user, &password).status(303);
    assert!(b.get("/").status(200).body.contains(r#"id="credentials""#));
    let signed_in = b.cookie.clone();

    let folder = appw.path().parent().unwrap().to_path_buf();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
    eventually("the screen answers 503", || b.get("/").status == 503);
    let out = b.post("/sign-out", &[], true).status(303);
    assert!(out.header("set-cookie").is_some(), "{out:?}");
    assert_eq!(b.cookie, None, "the session cookie is cleared");

    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    let api = || web.api((&user, &password), "GET", "/api/v1/credentials", None);
    eventually("the store answers again", || api().status == 200);
    // The old cookie, sent again, names no session.
    b.cookie = signed_in;
    let page = b.get("/").status(200);
    assert!(page.body.contains(r#"<form id="sign-in""#), "{page:?}");
    assert!(!page.body.contains(r#"id="credentials""#), "{page:?}");
}
