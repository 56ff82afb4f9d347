//! A right password the server remembers, refused because its credential is paused, is not
//! a failure: repeating it does not throttle the client's other credentials.

use super::Server;
use crate::harness::Appw;

#[test]
fn a_remembered_right_password_refused_for_a_pause_does_not_throttle() {
    let appw = Appw::new();
    let (id, paused) = appw.create("deploy", "paused");
    let (_, other) = appw.create("deploy", "other");
    let server = Server::start(&appw, &["--max-failures", "2"]);
    assert_eq!(
        server.auth("deploy", &paused),
        204,
        "remembered from now on"
    );
    appw.run(&["disable", &id]).ok();
    for _ in 0..4 {
        assert_eq!(server.auth("deploy", &paused), 401, "paused");
    }
    assert_eq!(
        server.auth("deploy", &other),
        204,
        "the client is not throttled for a right password refused"
    );
    assert_eq!(server.stop().0, 0);
}
