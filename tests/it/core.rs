//! The core contract: create, list, revoke, revoke-all and verify, their output and exit
//! codes, and the store's file rules.

use std::os::unix::fs::PermissionsExt;

use crate::harness::{Appw, contains, is_token, store_bytes};

/// The `list --json` keys the contract promises.
const CONTRACT_KEYS: [&str; 9] = [
    "id",
    "user",
    "name",
    "app_id",
    "created",
    "last_used",
    "last_source",
    "use_count",
    "expires_at",
];

#[test]
fn create_prints_the_password_once_in_each_format() {
    let appw = Appw::new();
    let human = appw
        .run(&["create", "--user", "deploy", "GitHub Actions"])
        .ok();
    let grouped = human
        .stdout
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("appw "))
        .unwrap();
    let groups: Vec<&str> = grouped.split(' ').collect();
    assert_eq!(groups.len(), 12, "{grouped}");
    assert!(groups.iter().all(|g| g.len() == 4));
    assert!(is_token(&groups.concat()));
    assert!(human.stdout.contains("shown once"));

    let porcelain = appw
        .run(&["create", "--user", "deploy", "cron", "--porcelain"])
        .ok();
    assert!(
        is_token(porcelain.stdout.strip_suffix('\n').unwrap()),
        "{porcelain:?}"
    );
    assert_eq!(porcelain.stdout.lines().count(), 1);

    let json = appw
        .run(&[
            "create", "--user", "deploy", "zapier", "--app-id", "b4f1", "--json",
        ])
        .ok()
        .json();
    for key in CONTRACT_KEYS {
        assert!(json.get(key).is_some(), "missing {key} in {json}");
    }
    assert!(is_token(json["password"].as_str().unwrap()));
    assert_eq!(json["app_id"], "b4f1");
    assert_eq!(json["use_count"], 0);
    assert!(json["last_used"].is_null());
    assert_eq!(
        &json["password"].as_str().unwrap()[4..16],
        json["id"].as_str().unwrap()
    );

    // Once: list, show and log never show it again.
    let password = json["password"].as_str().unwrap();
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", json["id"].as_str().unwrap()],
        &["log", "--json"],
    ] {
        let out = appw.run(args).ok();
        assert!(
            !out.stdout.contains(password) && !out.stderr.contains(password),
            "{args:?}"
        );
    }
}

#[test]
fn passwords_and_grouping_never_reach_the_store_file() {
    let appw = Appw::sqlite();
    let mut secrets = Vec::new();
    for i in 0..5 {
        let (_, pw) = appw.create("deploy", &format!("job {i}"));
        assert_eq!(appw.verify("deploy", &pw).code, 0);
        secrets.push(pw);
    }
    let bytes = store_bytes(&appw.path());
    assert!(!bytes.is_empty());
    for pw in &secrets {
        // Neither the whole password nor its secret part (after the public id).
        assert!(!contains(&bytes, pw.as_bytes()));
        assert!(!contains(&bytes, &pw.as_bytes()[16..42]));
    }
    // The stored form is an argon2id PHC string.
    assert!(contains(&bytes, b"$argon2id$v=19$m=64,t=1,p=1$"));
}

#[test]
fn list_shows_the_contract_keys_and_a_table() {
    let appw = Appw::new();
    assert_eq!(appw.list().len(), 0);
    appw.create("alice", "laptop");
    appw.create("bob", "ci");
    let all = appw.list();
    assert_eq!(all.len(), 2);
    for c in &all {
        for key in CONTRACT_KEYS {
            assert!(c.get(key).is_some(), "{key}");
        }
        assert!(c.get("password").is_none() && c.get("hash").is_none());
        assert!(c["created"].as_str().unwrap().ends_with('Z'));
        // Fresh and never used.
        assert_eq!(c["use_count"], 0, "{c}");
        for key in ["last_used", "expires_at", "app_id"] {
            assert!(c[key].is_null(), "{key}: {c}");
        }
    }
    let only_bob = appw.run(&["list", "--user", "bob", "--json"]).ok().json();
    assert_eq!(only_bob.as_array().unwrap().len(), 1);
    assert_eq!(only_bob[0]["user"], "bob");

    let table = appw.run(&["list"]).ok().stdout;
    for text in [
        "ID",
        "USER",
        "NAME",
        "LAST USED",
        "USES",
        "laptop",
        "ci",
        "never",
    ] {
        assert!(table.contains(text), "{text} missing from\n{table}");
    }
}

#[test]
fn verify_accepts_the_password_with_any_whitespace_and_counts_uses() {
    let appw = Appw::new();
    let (id, pw) = appw.create("deploy", "GitHub Actions");
    let out = appw.run_stdin(
        &["verify", "--user", "deploy", "--source", "10.1.2.3"],
        format!("{pw}\n").as_bytes(),
    );
    out.ok();
    let grouped = crate::harness::grouped(&pw);
    let out = appw.verify("deploy", &format!("  {grouped}\t")).ok();
    assert_eq!(out.stdout.trim(), format!("{id} GitHub Actions"));
    let quiet = appw
        .run_stdin(&["verify", "--user", "deploy", "--quiet"], pw.as_bytes())
        .ok();
    assert!(quiet.stdout.is_empty());

    let c = &appw.list()[0];
    assert_eq!(c["use_count"], 3);
    assert!(c["last_source"].is_null(), "the last use gave no source");
    appw.run_stdin(
        &["verify", "--user", "deploy", "--source", "10.1.2.3"],
        pw.as_bytes(),
    )
    .ok();
    let c = &appw.list()[0];
    assert_eq!(c["use_count"], 4);
    assert_eq!(c["last_source"], "10.1.2.3");
    assert!(c["last_used"].is_string());
}

#[test]
fn verify_reads_the_named_environment_variable() {
    let appw = Appw::new();
    let (_, pw) = appw.create("ci", "runner");
    let mut cmd = appw.command(&["verify", "--user", "ci", "--password-env", "APP_PW"]);
    cmd.env("APP_PW", &pw);
    appw.run_with(cmd, b"not the password\n").ok();
    let missing = appw.run(&["verify", "--user", "ci", "--password-env", "NOPE_NOT_SET"]);
    missing.code(2).one_error_line();
}

#[test]
fn verify_rejects_with_exit_1_and_one_line() {
    let appw = Appw::new();
    let (id, pw) = appw.create("deploy", "job");
    let (_, other_pw) = appw.create("other", "job");
    let typo = crate::harness::typo(&pw, 30);
    let cases = [
        ("wrong user", "mallory", pw.as_str()),
        ("another user's password", "deploy", other_pw.as_str()),
        ("typo", "deploy", typo.as_str()),
        ("garbage", "deploy", "hunter2"),
        ("empty", "deploy", ""),
    ];
    for (what, user, password) in cases {
        let out = appw.verify(user, password).code(1).one_error_line();
        assert!(out.stdout.is_empty(), "{what}");
        assert!(
            !out.stderr.contains(password) || password.is_empty(),
            "{what}"
        );
    }
    appw.run(&["revoke", &id]).ok();
    appw.verify("deploy", &pw).code(1).one_error_line();
}

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

/// Issue 14, point 6: "unique regardless of case" is full Unicode case folding, not
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
    // As the store was before the migration that folds keys.
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

#[test]
fn hostile_names_from_another_writer_are_shown_inert() {
    let appw = Appw::sqlite();
    let (id, _) = appw.create("deploy", "plain");
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    // The log shows the name its events carry, so that is rewritten too.
    for (table, key) in [("credentials", "id"), ("events", "credential_id")] {
        conn.execute(
            &format!("UPDATE {table} SET name = ?1 WHERE {key} = ?2"),
            ["evil\u{1b}]0;pwned\u{7}\u{1b}[2J", &id],
        )
        .unwrap();
    }
    drop(conn);
    for args in [&["list"][..], &["show", &id], &["log"]] {
        let out = appw.run(args).ok();
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'),
            "{args:?}: {out:?}"
        );
        assert!(
            out.stdout.contains("evil\\u{1b}]0;pwned"),
            "{args:?}: {out:?}"
        );
    }
}

/// Issue 14, point 3: every value read from the store, whatever column and whoever wrote it
/// (ids and event kinds included), reaches stdout inert, in tables, text and JSON; the JSON
/// stays valid and parses back to exactly what is stored.
#[test]
fn every_stored_value_reaches_the_output_inert() {
    const HOSTILE: &str =
        "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{7f}\u{202e}\u{2028}\u{e0041}\u{3164}";
    let appw = Appw::sqlite();
    let (id, pw) = appw.create("deploy", "plain");
    appw.run_stdin(
        &["verify", "--user", "deploy", "--source", "ci"],
        pw.as_bytes(),
    )
    .ok();
    let evil_id = format!("{}{HOSTILE}", &id[..8]);
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    conn.execute_batch(&format!(
        "UPDATE credentials SET id = '{evil_id}', user = 'u{HOSTILE}', name = 'n{HOSTILE}',
            app_id = 'a{HOSTILE}', last_source = 's{HOSTILE}', last_failed = 1,
            last_failed_source = 'f{HOSTILE}';
         UPDATE events SET kind = kind || '{HOSTILE}', user = 'u{HOSTILE}',
            credential_id = '{evil_id}', name = 'n{HOSTILE}', source = 's{HOSTILE}',
            detail = 'd{HOSTILE}';"
    ))
    .unwrap();
    drop(conn);
    let prefix = &id[..8];
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", prefix],
        &["show", prefix, "--json"],
        &["log"],
        &["log", "--json"],
        &["rename", prefix, "renamed"],
        &["revoke", prefix],
    ] {
        let out = appw.run(args).ok();
        let raw: Vec<char> = out
            .stdout
            .chars()
            .filter(|&c| c != '\n' && appw::text::is_unprintable(c))
            .collect();
        assert!(raw.is_empty(), "{args:?} printed {raw:?}: {out:?}");
        if args.contains(&"--json") {
            fn strings(v: &serde_json::Value, into: &mut Vec<String>) {
                match v {
                    serde_json::Value::String(s) => into.push(s.clone()),
                    serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, into)),
                    serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, into)),
                    _ => {}
                }
            }
            let mut values = Vec::new();
            strings(&out.json(), &mut values);
            // The JSON parses back to exactly what the store holds.
            for stored in [
                evil_id.clone(),
                format!("n{HOSTILE}"),
                format!("s{HOSTILE}"),
            ] {
                assert!(
                    values.contains(&stored),
                    "{args:?}: {stored:?} not in {values:?}"
                );
            }
        } else {
            assert!(
                out.stdout.contains(&format!("{prefix}\\u{{1b}}]0;pwned")),
                "{args:?}: {out:?}"
            );
        }
    }
}

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

#[test]
fn usage_errors_exit_2() {
    let appw = Appw::new();
    for args in [
        &["create"][..],
        &["create", "--user", "u"],
        &["create", "--user", "u", "n", "--json", "--porcelain"],
        &["frobnicate"],
        &["verify"],
        &["revoke"],
        &["list", "--expired", "--expiring", "1d"],
        &["create", "--user", "u", "n", "--expires", "yesterday"],
    ] {
        let out = appw.run(args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        out.one_error_line();
    }
    // The store URL may hold a password: help never echoes the environment's value.
    let secret_url = appw.run(&["--help"]);
    assert!(!secret_url.stdout.contains(&appw.db));
    let bad_kdf = appw
        .run(&["--kdf", "m=1", "create", "--user", "u", "n"])
        .code(2)
        .one_error_line();
    assert!(bad_kdf.stderr.contains("--kdf"));
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
fn version_and_help_need_no_store() {
    let appw = Appw::sqlite().env("APPW_DB", "/nonexistent/dir/x.db");
    assert!(appw.run(&["--version"]).ok().stdout.starts_with("appw "));
    let help = appw.run(&["--help"]).ok().stdout;
    for cmd in [
        "create",
        "list",
        "revoke",
        "revoke-all",
        "verify",
        "rotate",
        "show",
        "rename",
        "log",
        "completions",
    ] {
        // As a line of the command list, so `revoke` is not found inside `revoke-all`.
        assert!(
            help.lines()
                .any(|l| l.split_whitespace().next() == Some(cmd)),
            "{cmd}: {help}"
        );
    }
    assert!(help.contains("Exit status"));
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
