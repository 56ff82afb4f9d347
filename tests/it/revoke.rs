//! Revoking: by id, prefix or name, several ids all or nothing, an ambiguous prefix refused,
//! and `revoke-all`'s confirmation and count.

use crate::harness::Appw;

#[test]
fn revoke_by_id_prefix_and_by_name() {
    let appw = Appw::new();
    let (a, pw_a) = appw.create("deploy", "a");
    let (b, _) = appw.create("deploy", "b");
    let (c, pw_c) = appw.create("deploy", "c");

    let out = appw.run(&["revoke", &a[..8]]).ok();
    assert!(out.stdout.contains(&a));
    appw.verify("deploy", &pw_a).code(1);
    appw.run(&["revoke", &a]).code(3).one_error_line(); // already revoked
    appw.run(&["revoke", &a[..7]]).code(2).one_error_line(); // too short
    appw.run(&["revoke", "zzzzzzzzzzzz"])
        .code(3)
        .one_error_line();
    appw.run(&["revoke", "NOT-AN-ID"]).code(2).one_error_line();

    let json = appw
        .run(&["revoke", "--user", "deploy", "--name", "B", "--json"])
        .ok()
        .json();
    assert_eq!(json[0]["id"], b.as_str());
    assert!(json[0]["revoked_at"].is_string());
    appw.run(&["revoke", "--user", "deploy", "--name", "b"])
        .code(3)
        .one_error_line();

    let left: Vec<_> = appw
        .list()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, vec![c.clone()]);
    appw.verify("deploy", &pw_c).ok();
}

#[test]
fn revoking_several_ids_is_all_or_nothing() {
    let appw = Appw::new();
    let (a, pw_a) = appw.create("deploy", "a");
    appw.run(&["revoke", &a, "zzzzzzzzzzzz"]).code(3);
    appw.verify("deploy", &pw_a).ok();
}

#[test]
fn an_ambiguous_prefix_is_refused() {
    let appw = Appw::sqlite();
    let (a, _) = appw.create("deploy", "a");
    let (b, _) = appw.create("deploy", "b");
    // Same first 8 characters, different 9th, so a 9-character prefix tells them apart.
    let ninth = if a.as_bytes()[8] == b'z' {
        "yyyy"
    } else {
        "zzzz"
    };
    let twin = format!("{}{ninth}", &a[..8]);
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    conn.execute("UPDATE credentials SET id = ?1 WHERE id = ?2", [&twin, &b])
        .unwrap();
    drop(conn);
    let out = appw.run(&["revoke", &a[..8]]).code(3).one_error_line();
    assert!(out.stderr.contains("more than one"), "{out:?}");
    appw.run(&["revoke", &a[..9]]).ok();
    assert_eq!(appw.list().len(), 1);
}

#[test]
fn revoke_all_confirms_or_refuses_and_counts() {
    let appw = Appw::new();
    let (_, pw1) = appw.create("deploy", "a");
    appw.create("deploy", "b");
    let (_, pw3) = appw.create("backup", "c");

    // No terminal and no --yes: refused, nothing revoked.
    let out = appw.run(&["revoke-all"]).code(3).one_error_line();
    assert!(out.stderr.contains("--yes"));
    assert_eq!(appw.list().len(), 3);

    let out = appw.run(&["revoke-all", "--user", "deploy", "--yes"]).ok();
    assert_eq!(out.stdout.trim(), "Revoked 2 credentials.");
    appw.verify("deploy", &pw1).code(1);
    appw.verify("backup", &pw3).ok();

    let json = appw.run(&["revoke-all", "--yes", "--json"]).ok().json();
    assert_eq!(json["revoked"], 1);
    assert!(appw.list().is_empty());
    appw.verify("backup", &pw3).code(1);
}
