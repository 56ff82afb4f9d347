//! `GET /revoke-all[?user=U]`, the page that says how many revoke-all would revoke: the
//! count for everyone or for one user (an admin's choice), an `appw:self` session's own
//! user only, an unknown query key refused; the page changes nothing, and its form revokes
//! exactly what it counted.

use super::screen::{Browser, text_of};
use super::{Admin, Reply, admin_credential, credential};
use crate::harness::Appw;

/// The number in `#revoke-count`.
fn count(page: &Reply) -> u64 {
    text_of(page, "revoke-count").parse().unwrap()
}

#[test]
fn the_revoke_all_page_counts_what_revoke_all_would_revoke_and_changes_nothing() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    // deploy: two active, one paused (revoke-all takes it too), one already revoked.
    let (deploy, _) = credential(&appw, "deploy", "ci", &[]);
    credential(&appw, "deploy", "backup", &[]);
    let (_, paused) = credential(&appw, "deploy", "paused", &[]);
    appw.run(&["disable", &paused]).ok();
    let (_, gone) = credential(&appw, "deploy", "gone", &[]);
    appw.run(&["revoke", &gone]).ok();
    let (alice, _) = credential(&appw, "alice", "laptop", &["--scope", "appw:self"]);
    credential(&appw, "alice", "ci", &[]);
    let web = Admin::start(&appw);
    let ids = || -> Vec<String> { appw.list().iter().map(|c| c["id"].to_string()).collect() };
    let before = ids();
    assert_eq!(before.len(), 6);

    // Signed out: to the sign-in, nothing counted.
    web.send("GET", "/revoke-all", &[], b"").status(303);

    let mut b = Browser::signed_in(&web, &user, &password);
    let everyone = b.get("/revoke-all").status(200);
    assert_eq!(count(&everyone), 6, "{everyone:?}");
    assert!(everyone.body.contains("of every user"), "{everyone:?}");
    assert!(
        !everyone.body.contains(r#"name="user""#),
        "no user to revoke"
    );
    // The screen's form sends an empty user for everyone.
    assert_eq!(count(&b.get("/revoke-all?user=").status(200)), 6);
    let one = b.get("/revoke-all?user=deploy").status(200);
    assert_eq!(count(&one), 3, "{one:?}");
    assert!(
        one.body
            .contains(r#"<input type="hidden" name="user" value="deploy">"#),
        "{one:?}"
    );
    assert_eq!(
        count(&b.get("/revoke-all?user=%20deploy%20").status(200)),
        3
    );
    assert_eq!(count(&b.get("/revoke-all?user=nobody").status(200)), 0);
    let unknown = b.get("/revoke-all?usr=deploy").status(400);
    assert!(unknown.error().contains("usr"), "{unknown:?}");
    b.get("/revoke-all?user=deploy&user=alice").status(400);

    // An appw:self session: its own user, whatever it asks for.
    let mut own = Browser::signed_in(&web, "alice", &alice);
    let mine = own.get("/revoke-all").status(200);
    assert_eq!(count(&mine), 2, "{mine:?}");
    assert!(mine.body.contains("of user alice"), "{mine:?}");
    assert_eq!(count(&own.get("/revoke-all?user=alice").status(200)), 2);
    let other = own.get("/revoke-all?user=deploy").status(403);
    assert!(other.error().contains("own user"), "{other:?}");
    own.get("/revoke-all?colour=red").status(400);

    assert_eq!(ids(), before, "counting revoked nothing");
    assert_eq!(web.auth("deploy", &deploy), 204);

    // The confirmation's form revokes what its page counted.
    b.get("/revoke-all?user=deploy").status(200);
    b.post("/revoke-all", &[("user", "deploy")], true)
        .status(303);
    let page = b.get("/").status(200);
    assert!(page.body.contains("Revoked 3 credentials."), "{page:?}");
    assert_eq!(web.auth("deploy", &deploy), 401);
    assert_eq!(count(&b.get("/revoke-all").status(200)), 3);
}
