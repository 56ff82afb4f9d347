//! Which store a command opens and what it refuses: private and in the data folder by
//! default, never created by a command that only reads, a missing store answered without
//! creating it, files that are not appw stores and newer schemas refused untouched, and a
//! store made by appw 0.1.0 migrated.

use std::os::unix::fs::PermissionsExt;

use crate::harness::Appw;

#[test]
fn verify_and_list_never_create_a_store() {
    let appw = Appw::sqlite();
    let (_, pw) = Appw::sqlite().create("deploy", "elsewhere");
    appw.verify("deploy", &pw).code(1).one_error_line();
    appw.run(&["list"]).ok();
    assert_eq!(appw.run(&["list", "--json"]).ok().stdout.trim(), "[]");
    assert!(!appw.path().exists());
    assert!(!appw.path().parent().unwrap().exists());
}

#[test]
fn the_store_is_private_and_in_the_data_folder_by_default() {
    let appw = Appw::sqlite();
    let mut cmd = appw.command(&["create", "--user", "u", "n", "--porcelain"]);
    cmd.env_remove("APPW_DB");
    appw.run_with(cmd, b"").ok();
    let store = appw
        .dir
        .path()
        .join("xdg")
        .join("appw")
        .join("credentials.db");
    assert!(store.exists());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store), 0o600);
    assert_eq!(mode(store.parent().unwrap()), 0o700);

    appw.run(&["create", "--user", "u", "n", "--porcelain"])
        .ok();
    assert_eq!(mode(&appw.path()), 0o600);
    assert_eq!(mode(appw.path().parent().unwrap()), 0o700);
}

#[test]
fn commands_on_a_missing_store_answer_without_creating_it() {
    let appw = Appw::sqlite();
    appw.run(&["revoke", "abcdefgh"]).code(3).one_error_line();
    appw.run(&["show", "abcdefgh"]).code(3).one_error_line();
    assert_eq!(
        appw.run(&["revoke-all", "--yes"]).ok().stdout.trim(),
        "Revoked 0 credentials."
    );
    assert!(!appw.path().exists());
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let appw = Appw::sqlite();
    let (_, pw) = appw.create("deploy", "a");
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    drop(conn);
    let before = std::fs::read(appw.path()).unwrap();
    for out in [
        appw.run(&["list"]),
        appw.run(&["create", "--user", "u", "n"]),
        appw.verify("deploy", &pw),
        appw.run(&["revoke-all", "--yes"]),
    ] {
        let out = out.code(4).one_error_line();
        assert!(out.stderr.contains("newer appw"), "{out:?}");
    }
    assert_eq!(std::fs::read(appw.path()).unwrap(), before);
}

#[test]
fn files_that_are_not_appw_stores_are_refused_with_exit_4() {
    let appw = Appw::sqlite();
    let path = appw.path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();

    type Maker<'a> = Box<dyn Fn() + 'a>;
    let cases: Vec<(&str, Maker)> = vec![
        (
            "random bytes",
            Box::new(|| std::fs::write(&path, [0x5a_u8; 4096]).unwrap()),
        ),
        (
            "zero bytes",
            Box::new(|| std::fs::write(&path, b"").unwrap()),
        ),
        (
            "text",
            Box::new(|| std::fs::write(&path, "user:$apr1$xyz\n").unwrap()),
        ),
        (
            "another program's database",
            Box::new(|| {
                let conn = rusqlite::Connection::open(&path).unwrap();
                conn.execute_batch(
                    "CREATE TABLE moz_places (url TEXT); INSERT INTO moz_places VALUES ('x');",
                )
                .unwrap();
            }),
        ),
    ];
    for (what, make) in cases {
        let _ = std::fs::remove_file(&path);
        make();
        let before = std::fs::read(&path).unwrap();
        for args in [
            &["list"][..],
            &["create", "--user", "u", "n"],
            &["revoke-all", "--yes"],
        ] {
            let out = appw.run(args);
            assert_eq!(out.code, 4, "{what} {args:?}: {out:?}");
            out.one_error_line();
        }
        let (_, pw) = Appw::new().create("u", "elsewhere");
        appw.verify("u", &pw).code(4).one_error_line();
        assert_eq!(std::fs::read(&path).unwrap(), before, "{what} was modified");
    }

    let _ = std::fs::remove_file(&path);
    std::fs::create_dir(&path).unwrap();
    appw.run(&["list"]).code(4).one_error_line();
    appw.run(&["create", "--user", "u", "n"])
        .code(4)
        .one_error_line();
}

/// A store written by appw 0.1.0 (tests/fixtures, made by the release at b5014dd) opens,
/// migrates in one step, and every credential in it keeps working, with no scopes and no
/// network limit; revoked ones stay revoked.
#[test]
fn a_store_made_by_appw_0_1_0_migrates_and_keeps_working() {
    let appw = Appw::sqlite();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    std::fs::create_dir_all(appw.path().parent().unwrap()).unwrap();
    std::fs::copy(fixtures.join("store-0.1.0.db"), appw.path()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(appw.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let known: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("store-0.1.0.json")).unwrap())
            .unwrap();
    let version = |path: &std::path::Path| -> i64 {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(version(&appw.path()), 1, "the fixture is a 0.1.0 store");

    let listed = appw.list();
    assert_eq!(listed.len(), 3);
    assert_eq!(version(&appw.path()), appw::store::sqlite::SCHEMA_VERSION);
    for c in &listed {
        assert_eq!(c["scopes"], serde_json::json!([]));
        assert_eq!(c["allow_from"], serde_json::json!([]));
    }
    let used = listed
        .iter()
        .find(|c| c["name"] == "GitHub Actions")
        .unwrap();
    assert_eq!(used["use_count"], 1, "history is kept");
    assert_eq!(used["last_source"], "198.51.100.7");
    for c in known["active"].as_array().unwrap() {
        let (user, password) = (c["user"].as_str().unwrap(), c["password"].as_str().unwrap());
        appw.verify(user, password).ok();
        // A check that asks for a scope refuses a credential that has none.
        appw.run_stdin(
            &["verify", "--user", user, "--scope", "deploy"],
            password.as_bytes(),
        )
        .code(1);
    }
    for c in known["revoked"].as_array().unwrap() {
        let (user, password) = (c["user"].as_str().unwrap(), c["password"].as_str().unwrap());
        appw.verify(user, password).code(1);
    }
    let kinds: Vec<String> = appw
        .log(&[])
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect();
    for kind in ["created", "verified", "rejected", "revoked", "rotated"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} kept: {kinds:?}");
    }
    assert!(appw.log(&[]).iter().all(|e| e["count"] == 1));
}
