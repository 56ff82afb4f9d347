//! `appw verify`'s arguments are checked before anything presented is read: a bad one is
//! a usage error (exit 2) whatever the password or Authorization value is.

use crate::harness::{Appw, basic};

#[test]
fn a_bad_scope_is_a_usage_error_whatever_was_presented() {
    let appw = Appw::new();
    let (_, pw) = appw.create("deploy", "job");
    let bad_scope = "no spaces allowed";
    let presented: [(&str, &[&str], String); 4] = [
        ("typed, right", &["--user", "deploy"], format!("{pw}\n")),
        (
            "typed, not a password",
            &["--user", "deploy"],
            "hunter2\n".into(),
        ),
        (
            "Basic, right",
            &["--basic"],
            format!("{}\n", basic("deploy", &pw)),
        ),
        (
            "Basic, not a password",
            &["--basic"],
            format!("{}\n", basic("deploy", "hunter2")),
        ),
    ];
    for (what, form, stdin) in presented {
        let mut args = vec!["verify", "--scope", bad_scope];
        args.extend_from_slice(form);
        let out = appw
            .run_stdin(&args, stdin.as_bytes())
            .code(2)
            .one_error_line();
        assert!(out.stderr.contains("scope"), "{what}: {}", out.stderr);
    }
    let out = appw
        .run_stdin(
            &["verify", "--basic", "--source", "bad\u{7}source"],
            format!("{}\n", basic("deploy", "hunter2")).as_bytes(),
        )
        .code(2);
    out.one_error_line();
    assert_eq!(appw.list()[0]["use_count"], 0, "nothing was checked");
}
