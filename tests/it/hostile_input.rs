//! Hostile text: whatever reaches the store through arguments or stdin (SQL and shell
//! metacharacters, escapes, controls, NUL, invalid UTF-8, huge inputs) is stored faithfully
//! or refused in one line, and whatever is read back from a store, whoever wrote it, reaches
//! the output inert.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use proptest::prelude::*;

use crate::harness::{Appw, Out};

/// Text that could hurt a store, a terminal or a shell: SQL and shell metacharacters,
/// escapes, controls, direction overrides, quotes, long and non-ASCII runs.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        ".{0,40}",
        "[\\x01-\\x1f\\x7f\u{80}-\u{9f}'\";%_\\\\$`|&<>(){}*?\u{202e}\u{200b}\u{feff} a-z]{0,30}",
        Just("'; DROP TABLE credentials; --".to_string()),
        Just("\" OR 1=1 --".to_string()),
        Just("%' OR name LIKE '%".to_string()),
        Just("\u{1b}]0;pwned\u{7}\u{1b}[2J".to_string()),
        Just("$(rm -rf /)`id`".to_string()),
        // Text that looks like an option, which only `--flag=VALUE` and `--` carry safely.
        Just("-h".to_string()),
        Just("--json".to_string()),
        "-[a-z -]{1,20}",
        "[a-z]{99,102}",
    ]
    // argv cannot carry NUL at all; NUL is tried on stdin and in `appw::input` below.
    .prop_map(|s| s.replace('\0', ""))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every argument that reaches the store, through the real binary: accepted values are
    /// stored exactly as validated and round-trip; refused ones are one line with exit 2.
    #[test]
    fn hostile_arguments_are_stored_faithfully_or_refused(
        user in hostile_text(),
        name in hostile_text(),
        app_id in hostile_text(),
        source in hostile_text(),
    ) {
        let appw = Appw::new();
        let seed = appw.create("seed", "seed");
        // Values go in `--flag=VALUE` form and positionals after `--`, as a script passing
        // arbitrary text must: otherwise a value starting with `-` is read as a flag.
        let (user_arg, source_arg) = (format!("--user={user}"), format!("--source={source}"));
        let app_id_arg = format!("--app-id={app_id}");
        let out = appw.run(&["create", &user_arg, &app_id_arg, "--json", "--", &name]);
        prop_assert_ne!(out.code, 101);
        // A new credential's user also may not hold a ':' (HTTP Basic could not carry it).
        let valid = appw::input::new_user(&user).is_ok()
            && appw::input::name(&name).is_ok()
            && appw::input::app_id(&app_id).is_ok();
        if valid {
            let v = out.ok().json();
            prop_assert_eq!(v["user"].as_str().unwrap(), appw::input::user(&user).unwrap());
            prop_assert_eq!(v["name"].as_str().unwrap(), appw::input::name(&name).unwrap());
            prop_assert_eq!(v["app_id"].as_str().unwrap(), appw::input::app_id(&app_id).unwrap());
            let pw = v["password"].as_str().unwrap().to_string();
            let out = appw.run_stdin(
                &["verify", &user_arg, &source_arg],
                format!("{pw}\n").as_bytes(),
            );
            if source.trim().is_empty() {
                // An empty source (a hook's unset $REMOTE_ADDR) is no source.
                out.ok();
                let listed = appw.list();
                let c = listed.iter().find(|c| c["id"] == v["id"]).unwrap();
                prop_assert!(c["last_source"].is_null());
            } else if appw::input::source(&source).is_ok() {
                out.ok();
                let listed = appw.list();
                let c = listed.iter().find(|c| c["id"] == v["id"]).unwrap();
                prop_assert_eq!(c["last_source"].as_str().unwrap(), appw::input::source(&source).unwrap());
                prop_assert_eq!(&c["name"], &v["name"]);
            } else {
                out.code(2).one_error_line();
            }
            // The table shows nothing a terminal would act on.
            let table = appw.run(&["list"]).ok().stdout;
            prop_assert!(!table.chars().any(|c| appw::text::is_unprintable(c) && c != '\n'));
        } else {
            let out = out.code(2).one_error_line();
            prop_assert!(!out.stderr.chars().any(|c| appw::text::is_unprintable(c) && c != '\n'));
        }
        // Filters and lookups with the same text never match what they should not.
        let out = appw.run(&["list", &user_arg, "--json"]);
        prop_assert_ne!(out.code, 101);
        if out.code == 0 {
            for c in out.json().as_array().unwrap() {
                prop_assert_eq!(c["user"].as_str().unwrap(), user.trim());
            }
        }
        let out = appw.run(&["revoke", &user_arg, &format!("--name={name}")]);
        prop_assert!([0, 2, 3].contains(&out.code), "{:?}", out);
        let out = appw.run(&["revoke", "--", &name]);
        prop_assert!([2, 3].contains(&out.code), "{:?}", out);
        // The seed credential survived whatever the text was.
        appw.verify("seed", &seed.1).ok();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// The validators in-process, many more cases than the binary can afford: whatever they
    /// accept is trimmed, bounded, printable and not a password.
    #[test]
    fn validators_accept_only_clean_text(raw in prop_oneof![hostile_text(), ".*", "[\\x00-\\x7f]{0,210}"]) {
        for (check, max) in [
            (appw::input::name as fn(&str) -> _, 100),
            (appw::input::user, 100),
            (appw::input::app_id, 100),
            (appw::input::source, 200),
        ] {
            if let Ok(v) = check(&raw) {
                prop_assert!(!v.is_empty() && v.chars().count() <= max);
                prop_assert_eq!(v.trim(), v.as_str());
                prop_assert!(!v.chars().any(appw::text::is_unprintable));
                prop_assert!(appw::secret::Token::parse(&v).is_err());
            }
        }
    }
}

#[test]
fn nul_bytes_invalid_utf8_and_huge_inputs_are_refused_without_a_hash() {
    let appw = Appw::new();
    let (_, pw) = appw.create("u", "real");
    let rejected = |out: Out| -> Out {
        assert_ne!(out.code, 101);
        out.code(1).one_error_line()
    };
    // 10 MB on stdin: refused before any hashing (no `rejected` event: the store is not
    // even reached), whatever the content.
    let before = appw.log(&[]).len();
    for big in [
        vec![b'a'; 10 << 20],
        [b"appw".as_slice(), &vec![b'0'; 10 << 20]].concat(),
    ] {
        let out = rejected(appw.run_stdin(&["verify", "--user", "u"], &big));
        assert!(out.stderr.contains("longer than"), "{out:?}");
        let out = rejected(appw.run_stdin(&["verify", "--basic"], &big));
        assert!(out.stderr.contains("longer than"), "{out:?}");
    }
    assert_eq!(
        appw.log(&[]).len(),
        before,
        "a huge input reached the store"
    );
    // NUL bytes and invalid UTF-8 in the password.
    for bad in [
        format!("{pw}\0\n").into_bytes(),
        format!("\0{pw}\n").into_bytes(),
        [
            &pw.as_bytes()[..20],
            b"\xff\xfe",
            &pw.as_bytes()[20..],
            b"\n",
        ]
        .concat(),
        b"\xc3\x28\n".to_vec(),
        b"\n".to_vec(),
        Vec::new(),
    ] {
        rejected(appw.run_stdin(&["verify", "--user", "u"], &bad));
    }
    // ... and in the environment variable it may come from.
    let mut cmd = appw.command(&["verify", "--user", "u", "--password-env", "PW"]);
    cmd.env("PW", OsStr::from_bytes(b"appw\xff\xfe"));
    rejected(appw.run_with(cmd, b""));
    // Invalid UTF-8 in arguments: usage errors, one line.
    for args in [
        vec![
            OsStr::from_bytes(b"create"),
            OsStr::new("--user"),
            OsStr::from_bytes(b"\xffu"),
            OsStr::new("n"),
        ],
        vec![
            OsStr::new("create"),
            OsStr::new("--user"),
            OsStr::new("u"),
            OsStr::from_bytes(b"n\xc0"),
        ],
        vec![
            OsStr::new("verify"),
            OsStr::new("--user"),
            OsStr::new("u"),
            OsStr::new("--source"),
            OsStr::from_bytes(b"\xfe"),
        ],
        vec![
            OsStr::new("list"),
            OsStr::new("--user"),
            OsStr::from_bytes(b"\x80"),
        ],
        vec![OsStr::new("revoke"), OsStr::from_bytes(b"abcdefgh\xff")],
    ] {
        let mut cmd = appw.command(&[]);
        cmd.args(&args);
        let out = appw.run_with(cmd, format!("{pw}\n").as_bytes());
        assert_ne!(out.code, 101, "{args:?}");
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
    }
    // ... and in the environment appw reads.
    for (var, value) in [
        ("APPW_KDF", &b"m=\xff"[..]),
        ("APPW_DB", b"/tmp/\xff\xfe/x.db"),
        ("HOME", b"/\xff"),
    ] {
        let mut cmd = appw.command(&["list"]);
        cmd.env(var, OsStr::from_bytes(value));
        if var == "HOME" {
            cmd.env_remove("APPW_DB");
        }
        let out = appw.run_with(cmd, b"");
        assert!([0, 2, 4].contains(&out.code), "{var}: {out:?}");
        if out.code != 0 {
            out.one_error_line();
        }
    }
    // Still exactly one credential, untouched.
    appw.verify("u", &pw).ok();
    // NUL and escapes where the validators see them directly.
    for raw in ["a\0b", "\0", "x\u{1b}[31m", "\u{9b}2J"] {
        assert!(appw::input::name(raw).is_err(), "{raw:?}");
        assert!(appw::input::user(raw).is_err(), "{raw:?}");
        assert!(appw::input::source(raw).is_err(), "{raw:?}");
        assert!(appw::input::app_id(raw).is_err(), "{raw:?}");
    }
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

/// Every value read from the store, whatever column and whoever wrote it
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
