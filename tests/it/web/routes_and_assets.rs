//! What every route answers besides its own work: the screen's script served from the
//! binary with the hardening headers, and a wrong method or an unknown route answered in
//! the API's error shape.

use super::{Admin, admin_credential};
use crate::harness::{Appw, basic};

#[test]
fn the_script_is_served_hardened_and_wrong_methods_get_405() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let web = Admin::start(&appw);
    let script = web.send("GET", "/copy.js", &[], b"").status(200);
    assert!(
        script
            .header("content-type")
            .unwrap_or("")
            .contains("javascript"),
        "{script:?}"
    );
    assert_eq!(script.header("x-content-type-options"), Some("nosniff"));
    assert!(script.body.contains("clipboard"), "{script:?}");

    let auth = basic(&user, &password);
    for (method, path) in [
        ("PUT", "/api/v1/credentials"),
        ("GET", "/sign-in"),
        ("DELETE", "/"),
    ] {
        let r = web
            .send(method, path, &[("Authorization", &auth)], b"")
            .status(405);
        assert!(r.body.contains(r#""error""#), "{method} {path}: {r:?}");
    }
    let r = web.send("GET", "/no/such/route", &[], b"").status(404);
    assert!(r.body.contains(r#""error""#), "{r:?}");
}
