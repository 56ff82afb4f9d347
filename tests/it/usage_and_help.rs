//! Usage errors exit 2 in one line; `--version` and `--help` need no store.

use crate::harness::Appw;

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
