//! SIGHUP (a closed terminal, or `systemctl kill -s HUP`) stops the server as SIGTERM
//! does: requests in flight answered, every use committed, exit 0.

use super::{Server, wait_exit};
use crate::harness::Appw;

#[test]
fn sighup_stops_gracefully_with_every_use_written() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let mut server = Server::start(&appw, &[]);
    for _ in 0..5 {
        assert_eq!(server.auth("deploy", &password), 204);
    }
    server.signal("HUP");
    let code = wait_exit(&mut server.child);
    if let Some(reader) = server.reader.take() {
        reader.join().unwrap();
    }
    let log = server.log();
    assert_eq!(code, 0, "{log:#?}");
    assert!(log.iter().any(|l| l.contains("final commit")), "{log:#?}");
    assert_eq!(appw.list()[0]["use_count"], 5);
}
