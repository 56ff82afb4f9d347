//! Credential names and users: trimmed, bounded, unique per user by full case folding (also
//! after migrating an older store), a user without a colon; `show` and `rename`.

use crate::harness::Appw;

/// "unique regardless of case" is full Unicode case folding, not
/// lower-casing: `Straße` = `STRASSE`, final and medial sigma alike.
#[test]
fn names_are_unique_by_full_case_folding() {
    let appw = Appw::new();
    let (id, _) = appw.create("u", "Straße");
    appw.create("u", "ΟΔΟΣ");
    for name in ["STRASSE", "strasse", "οδοσ", "Οδος"] {
        let out = appw
            .run(&["create", "--user", "u", "--", name])
            .code(3)
            .one_error_line();
        assert!(out.stderr.contains("already has"), "{out:?}");
    }
    appw.run(&["rename", &id, "STRASSE"]).ok();
    appw.run(&["revoke", "--user", "u", "--name", "straße"])
        .ok();
    appw.create("v", "STRASSE");
    assert_eq!(appw.list().len(), 2);
}

/// Stores whose name keys were lower-cased (schema 1) are re-keyed by the migration; names
/// that only now collide both stay active, the older one found by name.
#[test]
fn the_migration_refolds_stored_name_keys() {
    let appw = Appw::sqlite();
    let (older, _) = appw.create("u", "Straße");
    let (newer, newer_pw) = appw.create("u", "placeholder");
    let (sigma, _) = appw.create("u", "ΟΔΟΣ");
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    for (id, name, key, created) in [
        (&older, "Straße", "straße", 1),
        (&newer, "STRASSE", "strasse", 2),
        (&sigma, "ΟΔΟΣ", "οδος", 3),
    ] {
        conn.execute(
            "UPDATE credentials SET name = ?2, name_key = ?3, created = ?4 WHERE id = ?1",
            rusqlite::params![id, name, key, created],
        )
        .unwrap();
    }
    // As a store of the schema before the migration that folds keys was: without what
    // later migrations add (who acted, pausing), and with that version number.
    assert_eq!(
        appw::store::sqlite::SCHEMA_VERSION,
        5,
        "a new migration: undo what it adds here too"
    );
    conn.execute_batch(
        "ALTER TABLE events DROP COLUMN actor;
         ALTER TABLE credentials DROP COLUMN disabled;",
    )
    .unwrap();
    let before = appw::store::FOLDED_NAME_KEYS as i64 - 1;
    conn.pragma_update(None, "user_version", before).unwrap();
    drop(conn);

    assert_eq!(appw.list().len(), 3, "nothing is revoked by the migration");
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, appw::store::sqlite::SCHEMA_VERSION);
    drop(conn);
    for name in ["οδοσ", "strasse"] {
        appw.run(&["create", "--user", "u", "--", name])
            .code(3)
            .one_error_line();
    }
    appw.verify("u", &newer_pw).ok();
    let out = appw
        .run(&["revoke", "--user", "u", "--name", "STRASSE", "--json"])
        .ok();
    assert_eq!(
        out.json()[0]["id"],
        older.as_str(),
        "the older one is found by name"
    );
    // The newer one, renamed, gets an ordinary key and is unique again.
    appw.run(&["rename", &newer, "STRASSE"]).ok();
    appw.run(&["create", "--user", "u", "--", "Straße"])
        .code(3)
        .one_error_line();
}

#[test]
fn names_are_trimmed_bounded_and_unique_per_user_ignoring_case() {
    let appw = Appw::new();
    let (id, _) = appw.create("deploy", "  GitHub Actions  ");
    assert_eq!(appw.list()[0]["name"], "GitHub Actions");
    appw.run(&["create", "--user", "deploy", "github actions"])
        .code(3)
        .one_error_line();
    appw.run(&["create", "--user", "deploy", "GİTHUB ACTİONS"])
        .ok(); // different letters
    appw.run(&["create", "--user", "other", "GitHub Actions"])
        .ok();
    // Free again once revoked.
    appw.run(&["revoke", &id]).ok();
    appw.run(&["create", "--user", "deploy", "GitHub Actions"])
        .ok();

    let long = "x".repeat(101);
    for bad in [
        "",
        "   ",
        long.as_str(),
        "bell\u{7}",
        "esc\u{1b}[31m",
        "rtl\u{202e}",
    ] {
        appw.run(&["create", "--user", "deploy", bad])
            .code(2)
            .one_error_line();
    }
    appw.run(&["create", "--user", "deploy", &"y".repeat(100)])
        .ok();
    appw.run(&["create", "--user", "", "name"])
        .code(2)
        .one_error_line();
}

/// HTTP Basic splits `user:password` at the first colon, so a user with
/// one could never verify; create refuses it rather than print a curl line that cannot work.
#[test]
fn a_user_with_a_colon_is_refused() {
    let appw = Appw::new();
    for user in ["a:b", "deploy:", ":x"] {
        let out = appw
            .run(&["create", "--user", user, "n"])
            .code(2)
            .one_error_line();
        assert!(out.stderr.contains("':'"), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
    }
    assert!(appw.list().is_empty());
}

#[test]
fn show_and_rename() {
    let appw = Appw::new();
    let (id, pw) = appw.create("deploy", "old name");
    let shown = appw.show(&id);
    let listed = appw.list()[0].clone();
    assert_eq!(shown, listed);
    let text = appw.run(&["show", &id[..8]]).ok().stdout;
    assert!(
        text.contains("old name") && text.contains("active"),
        "{text}"
    );

    appw.create("deploy", "taken");
    appw.run(&["rename", &id, "TAKEN"]).code(3).one_error_line();
    appw.run(&["rename", &id, ""]).code(2).one_error_line();
    appw.run(&["rename", &id, "  new name  "]).ok();
    assert_eq!(appw.show(&id)["name"], "new name");
    appw.verify("deploy", &pw).ok();

    appw.run(&["revoke", &id]).ok();
    let revoked = appw.show(&id);
    assert!(revoked["revoked_at"].is_string());
    appw.run(&["rename", &id, "again"]).code(3).one_error_line();
    appw.run(&["show", "zzzzzzzz"]).code(3).one_error_line();
}
