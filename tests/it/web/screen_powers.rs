//! Who may do what on the screen: an `appw:self` session never gets, through a button,
//! more power than its own credential has (the API's rule, the same on both fronts).

use super::screen::Browser;
use super::{Admin, credential};
use crate::harness::Appw;

#[test]
fn a_self_scoped_session_cannot_enable_rotate_or_create_beyond_its_power() {
    let appw = Appw::new();
    let (alice, _) = credential(
        &appw,
        "alice",
        "laptop",
        &["--scope", "appw:self", "--scope", "deploy"],
    );
    let (strong, strong_id) = credential(&appw, "alice", "billing", &["--scope", "billing"]);
    appw.run(&["disable", &strong_id]).ok();
    let web = Admin::start(&appw);
    let mut b = Browser::signed_in(&web, "alice", &alice);

    b.post(
        &format!("/credentials/{strong_id}"),
        &[("enable", "1")],
        true,
    )
    .status(303);
    let page = b.get("/").status(200);
    assert!(page.body.contains("beyond this credential"), "{page:?}");
    assert_eq!(web.auth("alice", &strong), 401, "still paused");
    let shown = appw.json_of(&["show", &strong_id, "--json"]);
    assert_eq!(shown["disabled"], true, "{shown:#}");

    b.post(
        &format!("/credentials/{strong_id}"),
        &[("rotate", "1")],
        true,
    )
    .status(303);
    let page = b.get("/").status(200);
    assert!(page.body.contains("beyond this credential"), "{page:?}");
    assert!(!page.body.contains(r#"id="new-password""#), "{page:?}");

    b.post(
        "/create",
        &[("name", "root"), ("scopes", "appw:admin")],
        true,
    )
    .status(303);
    let page = b.get("/").status(200);
    assert!(page.body.contains("beyond this credential"), "{page:?}");
    let listed = appw.json_of(&["list", "--user", "alice", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed:#}");

    // Within its power the same button works.
    let (weak, weak_id) = credential(&appw, "alice", "CI", &["--scope", "deploy"]);
    appw.run(&["disable", &weak_id]).ok();
    b.post(&format!("/credentials/{weak_id}"), &[("enable", "1")], true)
        .status(303);
    assert_eq!(web.auth("alice", &weak), 204);
}

#[test]
fn a_head_request_does_not_use_up_the_new_password() {
    let appw = Appw::new();
    let (user, password, _) = super::admin_credential(&appw);
    let web = Admin::start(&appw);
    let mut b = Browser::signed_in(&web, &user, &password);
    b.post("/create", &[("name", "CI"), ("user", "deploy")], true)
        .status(303);
    let cookie = b.cookie.clone().unwrap();
    web.send("HEAD", "/", &[("Cookie", &cookie)], b"")
        .status(200);
    let page = b.get("/").status(200);
    assert!(page.body.contains(r#"id="new-password""#), "{page:?}");
}
