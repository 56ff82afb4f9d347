//! For an `appw:self` caller, another user's credential is as if it did not exist: its id,
//! active or revoked, gets word for word the answer an id no credential has, on the API and
//! on the screen.

use super::screen::Browser;
use super::{Admin, Reply, credential};
use crate::harness::Appw;

/// An id of the same shape that no credential has.
fn unknown(like: &str) -> String {
    let other = if like.starts_with('q') { "r" } else { "q" };
    other.repeat(like.len())
}

/// What an answer says, with the id it was asked about written `ID`.
fn said(r: &Reply, id: &str) -> (u16, String) {
    (r.status, r.body.replace(id, "ID"))
}

#[test]
fn another_users_id_gets_the_answer_an_unknown_id_gets() {
    let appw = Appw::sqlite();
    let (alice, _) = credential(&appw, "alice", "laptop", &["--scope", "appw:self"]);
    let (_, active) = credential(&appw, "bob", "ci", &[]);
    let (_, revoked) = credential(&appw, "bob", "old", &[]);
    appw.run(&["revoke", &revoked]).ok();
    let web = Admin::start(&appw);
    let me = ("alice", alice.as_str());

    let calls = [
        ("GET", "", None),
        ("PATCH", "", Some(r#"{"name": "mine"}"#)),
        ("POST", "/rotate", None),
        ("DELETE", "", None),
    ];
    for (method, tail, body) in calls {
        let ask = |id: &str| {
            let r = web.api(me, method, &format!("/api/v1/credentials/{id}{tail}"), body);
            said(&r, id)
        };
        let nobodys = ask(&unknown(&active));
        assert_eq!(nobodys.0, 404, "{method} {tail}: {nobodys:?}");
        for id in [&active, &revoked] {
            assert_eq!(ask(id), nobodys, "{method} {tail} of bob's {id}");
        }
    }

    // The screen: what a row's button did is the next page's notice.
    let mut b = Browser::signed_in(&web, "alice", &alice);
    let mut press = |id: &str, button: &str| {
        b.post(&format!("/credentials/{id}"), &[(button, "1")], true)
            .status(303);
        let page = b.get("/").status(200);
        page.body
            .split(r#"role="status">"#)
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap_or_else(|| panic!("no notice: {page:?}"))
            .replace(id, "ID")
    };
    for button in ["revoke", "rotate", "disable", "enable"] {
        let nobodys = press(&unknown(&active), button);
        assert!(nobodys.contains("no credential has the id"), "{nobodys}");
        for id in [&active, &revoked] {
            assert_eq!(press(id, button), nobodys, "{button} of bob's {id}");
        }
    }
    assert_eq!(
        appw.json_of(&["show", &active, "--json"])["name"],
        "ci",
        "bob's credential is untouched"
    );
}
