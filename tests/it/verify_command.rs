//! `appw verify`: the password from stdin with any whitespace or from a named environment
//! variable, uses counted, the last source recorded, rejection as exit 1 and one line.

use crate::harness::Appw;

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
fn last_source_belongs_to_the_last_use_and_an_empty_source_is_none() {
    let appw = Appw::new();
    let (_, pw) = appw.create("u", "hook");
    appw.run_stdin(
        &["verify", "--user", "u", "--source", "10.0.0.1"],
        pw.as_bytes(),
    )
    .ok();
    assert_eq!(appw.list()[0]["last_source"], "10.0.0.1");
    // A hook whose $REMOTE_ADDR is empty still verifies; the stale address is not kept.
    appw.run_stdin(&["verify", "--user", "u", "--source", ""], pw.as_bytes())
        .ok();
    assert!(appw.list()[0]["last_source"].is_null());
}
