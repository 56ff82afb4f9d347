//! A pause asked for twice on the screen (two tabs, a second click) says the second changed
//! nothing, and the log holds one event.

use super::screen::Browser;
use super::{Admin, admin_credential, credential};
use crate::harness::Appw;

#[test]
fn disabling_twice_on_the_screen_says_the_second_changed_nothing() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let (_, id) = credential(&appw, "deploy", "ci", &[]);
    let web = Admin::start(&appw);
    let mut b = Browser::signed_in(&web, &user, &password);
    let row = format!("/credentials/{id}");
    b.post(&row, &[("disable", "1")], true).status(303);
    let first = b.get("/").status(200);
    assert!(first.body.contains("Disabled ci."), "{}", first.body);
    b.post(&row, &[("disable", "1")], true).status(303);
    let second = b.get("/").status(200);
    assert!(
        second.body.contains("ci was already disabled."),
        "{}",
        second.body
    );
    let disabled = appw
        .log(&[])
        .iter()
        .filter(|e| e["event"] == "disabled")
        .count();
    assert_eq!(disabled, 1, "the second disable records nothing");
}
