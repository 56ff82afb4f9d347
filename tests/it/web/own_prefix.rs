//! An `appw:self` caller's id prefixes are resolved among its own user's credentials: a
//! prefix that another user's credential shares is not "ambiguous" for it (that would
//! confirm the other credential exists), and one only another user's matches is 404.

use super::{Admin, admin_credential, credential};
use crate::harness::Appw;

#[test]
fn a_prefix_another_users_credential_shares_is_resolved_among_ones_own() {
    // SQLite: the test gives bob's credential an id that shares alice's first 8 characters.
    let appw = Appw::sqlite();
    let (alice, _) = credential(&appw, "alice", "laptop", &["--scope", "appw:self"]);
    let (_, mine) = credential(&appw, "alice", "ci", &[]);
    let (_, bobs) = credential(&appw, "bob", "ci", &[]);
    let ninth = if mine.as_bytes()[8] == b'z' {
        "yyyy"
    } else {
        "zzzz"
    };
    let twin = format!("{}{ninth}", &mine[..8]);
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    conn.execute(
        "UPDATE credentials SET id = ?1 WHERE id = ?2",
        [&twin, &bobs],
    )
    .unwrap();
    drop(conn);
    let (user, password, _) = admin_credential(&appw);
    let web = Admin::start(&appw);
    let me = ("alice", alice.as_str());

    let shared = format!("/api/v1/credentials/{}", &mine[..8]);
    let found = web.api(me, "GET", &shared, None).status(200).json();
    assert_eq!(found["id"], mine.as_str());
    let only_bobs = format!("/api/v1/credentials/{}", &twin[..9]);
    let r = web.api(me, "GET", &only_bobs, None).status(404);
    assert!(!r.body.contains("more than one"), "{r:?}");
    // An admin sees both: for it the prefix is ambiguous.
    let r = web
        .api((&user, &password), "GET", &shared, None)
        .status(400);
    assert!(r.error().contains("more than one"), "{r:?}");
}
