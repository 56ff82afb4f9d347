//! The table at scale: 50 credentials a page, links to the others, and an admin's filter
//! by user that the links keep; an `appw:self` caller's `?user=` changes nothing.

use super::screen::Browser;
use super::{Admin, admin_credential, credential};
use crate::harness::Appw;

fn rows(body: &str) -> usize {
    body.matches("data-credential-id=").count()
}

#[test]
fn an_admin_pages_through_a_users_credentials_and_the_filter_holds() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    for n in 0..55 {
        credential(&appw, "many", &format!("c{n}"), &[]);
    }
    let (mine, _) = credential(&appw, "alice", "laptop", &["--scope", "appw:self"]);
    let web = Admin::start(&appw);
    let mut b = Browser::signed_in(&web, &user, &password);

    let all = b.get("/").status(200);
    assert_eq!(rows(&all.body), 50, "the first page of 57");
    let first = b.get("/?user=many").status(200);
    assert_eq!(rows(&first.body), 50);
    assert!(
        first.body.contains(r#"href="/?user=many&#38;page=2""#),
        "{}",
        first.body
    );
    let second = b.get("/?user=many&page=2").status(200);
    assert_eq!(rows(&second.body), 5);
    assert!(
        !second.body.contains(">alice<"),
        "the filter holds on page 2"
    );
    // A page past the end shows the last one.
    assert_eq!(rows(&b.get("/?user=many&page=99").status(200).body), 5);
    assert_eq!(rows(&b.get("/?user=alice").status(200).body), 1);

    let mut own = Browser::signed_in(&web, "alice", &mine);
    let page = own.get("/?user=many").status(200);
    assert_eq!(rows(&page.body), 1, "an appw:self caller sees its own only");
    own.get("/?colour=red").status(400);
}
