//! `revoke-all --user U`: the user as the store spells it (surrounding spaces trimmed) in
//! the refusal without --yes and in `--json`, and only U's credentials counted and revoked.

use crate::harness::Appw;

#[test]
fn revoke_all_names_and_counts_the_user_as_stored() {
    let appw = Appw::new();
    appw.create("deploy", "ci");
    appw.create("deploy", "cd");
    appw.create("other", "ci");
    let out = appw
        .run_stdin(&["revoke-all", "--user", "  deploy "], b"")
        .code(3)
        .one_error_line();
    assert!(
        out.stderr
            .contains("all 2 active credentials of user deploy without"),
        "{out:?}"
    );
    let done = appw
        .run(&["revoke-all", "--user", "  deploy ", "--yes", "--json"])
        .ok()
        .json();
    assert_eq!(done, serde_json::json!({"revoked": 2, "user": "deploy"}));
    let left: Vec<_> = appw.list().iter().map(|c| c["user"].clone()).collect();
    assert_eq!(left, ["other"]);
    appw.run(&["revoke-all", "--user", "bad\u{7}user", "--yes"])
        .code(2)
        .one_error_line();
}
