//! Where a password may appear: once on create's stdout, nowhere else. Not in the store
//! (only its hash, which never leaves it), not in any other output, not echoed when given
//! where a name goes; messages that echo input redact password-shaped text, and passwords
//! match the scanner regex SECURITY.md documents.

use crate::harness::{Appw, Out, Rng, contains, forged_token, store_bytes};

#[test]
fn the_password_and_hash_never_appear_anywhere_but_the_one_print() {
    let appw = Appw::new();
    let (id, pw) = appw.create("deploy", "ci");
    let (id2, pw2) = appw.create("deploy", "to revoke");
    let secret = &pw[16..42];
    let grouped = crate::harness::grouped(&pw);
    let typo = crate::harness::typo(&pw, 30);
    let mut outputs: Vec<(String, Out)> = Vec::new();
    let mut record = |what: &str, out: Out| outputs.push((what.to_string(), out));
    record("verify ok", appw.verify("deploy", &pw));
    record("verify grouped", appw.verify("deploy", &grouped));
    record("verify wrong user", appw.verify("other", &pw));
    record("verify typo", appw.verify("deploy", &typo));
    record("verify truncated", appw.verify("deploy", &pw[..40]));
    record("verify appended", appw.verify("deploy", &format!("{pw}x")));
    record(
        "verify basic",
        appw.run_stdin(&["verify", "--basic"], format!("Basic {pw}\n").as_bytes()),
    );
    let mut cmd = appw.command(&["verify", "--user", "deploy", "--password-env", "NOPE"]);
    cmd.env("PW", &pw);
    record("verify missing env", appw.run_with(cmd, b""));
    // A password typed into another field is refused, not stored and shown.
    record(
        "verify source=password",
        appw.run_stdin(
            &["verify", "--user", "deploy", "--source", &pw],
            format!("{pw2}\n").as_bytes(),
        ),
    );
    record(
        "create name=password",
        appw.run(&["create", "--user", "deploy", &format!("{pw}\u{1b}")]),
    );
    record(
        "create name=password",
        appw.run(&["create", "--user", "deploy", &grouped]),
    );
    record(
        "create user=password",
        appw.run(&["create", "--user", &pw, "n"]),
    );
    record(
        "create app-id=password",
        appw.run(&["create", "--user", "deploy", "n", "--app-id", &pw]),
    );
    record(
        "verify password as argument",
        appw.run(&["verify", "--user", "deploy", &pw]),
    );
    record(
        "create --expires password",
        appw.run(&["create", "--user", "deploy", "x", "--expires", &pw]),
    );
    record(
        "create --kdf password",
        appw.run(&["--kdf", &pw, "create", "--user", "deploy", "y"]),
    );
    record(
        "list --expiring password",
        appw.run(&["list", "--expiring", &typo]),
    );
    record("unknown command password", appw.run(&[&pw]));
    record("revoke password", appw.run(&["revoke", &pw]));
    record("show password", appw.run(&["show", &pw]));
    record("revoke", appw.run(&["revoke", &id2]));
    record("verify revoked", appw.verify("deploy", &pw2));
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", &id],
        &["show", &id, "--json"],
        &["show", &id2, "--json"],
        &["log"],
        &["log", "--json"],
    ] {
        record(&args.join(" "), appw.run(args));
    }
    for (what, out) in &outputs {
        assert_ne!(out.code, 101, "{what}");
        for text in [&out.stdout, &out.stderr] {
            crate::harness::assert_no_secret(text, &pw, what);
            crate::harness::assert_no_secret(text, &pw2, what);
            for needle in ["$argon2id$", "argon2id$v="] {
                assert!(!text.contains(needle), "{what} printed {needle:?}: {out:?}");
            }
        }
    }
    for (what, out) in &outputs {
        if what.contains("password") && what != "verify missing env" {
            assert!(out.code == 2 || out.code == 3, "{what}: {out:?}");
        }
        if what.contains("=password") {
            assert_eq!(out.code, 2, "{what}: {out:?}");
        }
    }
    if !appw.is_postgres() {
        let bytes = store_bytes(&appw.path());
        for needle in [
            pw.as_bytes(),
            secret.as_bytes(),
            pw2.as_bytes(),
            &pw2.as_bytes()[16..42],
        ] {
            assert!(!contains(&bytes, needle), "the store holds a password");
        }
    }
}

#[test]
fn messages_that_echo_input_redact_password_shaped_text() {
    use appw::secret::redact::redact;
    let mut rng = Rng::seeded();
    let pw = forged_token("k3j4h5g6f7d8", &mut rng);
    let other = forged_token("a1b2c3d4e5f6", &mut rng);
    let grouped = crate::harness::grouped(&pw);
    // Any 8 characters of either secret left in the text is a leak (by chance, one of these
    // 38 windows turns up in these texts about once in 10^10 runs).
    let leaks = |r: &str| {
        [&pw, &other]
            .iter()
            .any(|p| (16..=42 - 8).any(|i| r.contains(&p[i..i + 8])))
    };
    for text in [
        format!("unexpected argument '{pw}' found"),
        pw.clone(),
        format!("\"{}x\" is neither", &pw[..47]),
        format!("{grouped}\n"),
        // A cut-short password run straight into a whole one, with and without space: the
        // first run ends inside the second password.
        format!("a {} b {pw}", &pw[..30]),
        format!("{}{pw}", &pw[..20]),
        format!("{} {}", &grouped[..30], grouped),
        format!("{} b {other} and {pw}", &pw[..30]),
        format!("{pw}{other}"),
        format!("{}\t{pw}", &other[..17]),
    ] {
        let r = redact(&text);
        assert!(!leaks(&r), "{text:?} -> {r:?}");
        // The public id of the first password-shaped run stays, to say which it was.
        let first = if text.starts_with(&other[..8]) {
            &other
        } else {
            &pw
        };
        assert!(r.contains(&first[..16]), "{r}");
    }
    for plain in [
        "appw: no such file",
        "/home/appwuser/x.db",
        "appw",
        "appwk3j4h5g6",
    ] {
        assert_eq!(redact(plain), plain);
    }
}

#[test]
fn passwords_match_the_documented_scanner_regex() {
    let appw = Appw::new();
    let (_, pw) = appw.create("u", "n");
    assert!(crate::harness::is_token(&pw), "{pw}");
    let security =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/SECURITY.md")).unwrap();
    assert!(security.contains(r"\bappw[0-9a-z]{12}[0-9A-Za-z]{32}\b"));
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
fn passwords_in_the_wrong_place_are_neither_stored_nor_echoed() {
    let appw = Appw::new();
    let (id, pw) = appw.create("u", "real");
    let grouped = crate::harness::grouped(&pw);
    // Spaced with no-break or zero-width spaces, and cut short, as pasted from a chat.
    let nbsp = grouped[..grouped.len() - 1].replace(' ', "\u{a0}");
    let zero_width = grouped.replace(' ', "\u{200b}");
    for args in [
        vec!["verify", "--user", "u", grouped.as_str()],
        vec!["rotate", "--user", "u", "--name", grouped.as_str()],
        vec!["revoke", "--user", "u", "--name", grouped.as_str()],
        vec!["revoke", "--user", "u", "--name", &nbsp],
        vec!["create", "--user", "u", "n", "--expires", &zero_width],
        vec!["list", "--since", &nbsp],
        vec!["create", "--user", "u", &format!("{grouped} x")],
        vec!["create", "--user", "u", "n", "--app-id", &pw],
    ] {
        let out = appw.run(&args);
        assert_ne!(out.code, 0, "{args:?}");
        crate::harness::assert_no_secret(&out.stderr, &pw, &format!("{args:?}"));
    }
    assert_eq!(appw.list().len(), 1);
    assert_eq!(appw.list()[0]["id"], id.as_str());
    // Only a whole password is refused: words after "appw" are a name like any other.
    appw.create("u", "appw integration for kubernetes clusters");
}

/// A password in any letter case, grouped or not, alone or among words,
/// is refused in every field (exit 2), never stored and never echoed in any case.
#[test]
fn a_password_in_any_letter_case_is_refused_in_every_field() {
    let appw = Appw::new();
    let (id, pw) = appw.create("u", "real");
    let grouped = crate::harness::grouped(&pw);
    let mixed: String = pw
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    let secret = pw[16..40].to_lowercase();
    for variant in [
        pw.to_lowercase(),
        pw.to_uppercase(),
        grouped.to_lowercase(),
        grouped.to_uppercase(),
        mixed,
    ] {
        let among_words = format!("deploy {variant} prod");
        let source = format!("--source={variant}");
        for (args, stdin) in [
            (vec!["create", "--user", &variant, "n"], ""),
            (vec!["create", "--user", "u", "--", &variant], ""),
            (vec!["create", "--user", "u", "--", &among_words], ""),
            (
                vec!["create", "--user", "u", "n2", "--app-id", &variant],
                "",
            ),
            (vec!["rename", &id, "--", &variant], ""),
            (vec!["verify", "--user", "u", &source], pw.as_str()),
        ] {
            let out = appw.run_stdin(&args, stdin.as_bytes());
            let out = out.code(2).one_error_line();
            let shown: String = out
                .stderr
                .to_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            assert!(!shown.contains(&secret), "{args:?} echoed it: {out:?}");
        }
    }
    let list = appw.list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "real");
    let log = appw.log(&[]);
    assert_eq!(
        log.len(),
        1,
        "the refused verify never reached the store: {log:?}"
    );
}
