//! A credential that is not there: an id no credential has points to `appw list` (where
//! ids are listed), a user and name that match nothing says so without that hint. Both
//! exit 3 with one line.

use crate::harness::Appw;

#[test]
fn an_unknown_id_points_to_list_and_an_unknown_name_does_not() {
    let appw = Appw::new();
    appw.create("deploy", "ci");
    for args in [
        &["show", "zzzzzzzzzzzz"][..],
        &["revoke", "zzzzzzzz"],
        &["rotate", "zzzzzzzzzzzz"],
        &["rename", "zzzzzzzzzzzz", "new"],
    ] {
        let out = appw.run(args).code(3).one_error_line();
        assert!(out.stderr.contains("no credential has the id"), "{out:?}");
        assert!(out.stderr.contains("; see appw list"), "{args:?}: {out:?}");
    }
    let out = appw
        .run(&["revoke", "--user", "deploy", "--name", "nope"])
        .code(3)
        .one_error_line();
    assert!(out.stderr.contains("no active credential named"), "{out:?}");
    assert!(!out.stderr.contains("see appw list"), "{out:?}");
}
