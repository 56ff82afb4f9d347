//! What the time of a refusal can tell (SECURITY.md, "appw serve"): an id that does not
//! exist, another user's, or a revoked one is refused without argon2, a wrong password for
//! a live credential of that user costs one evaluation. Pinned by counting evaluations,
//! not by timing.

use super::Server;
use crate::harness::{Appw, basic, forge};

fn evaluations(server: &Server) -> u64 {
    let (_, m) = server.get("/metrics", &[]);
    m.lines()
        .find_map(|l| l.strip_prefix("appw_argon2_evaluations_total "))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[test]
fn refusals_cost_argon2_only_for_a_live_credential_of_the_user_named() {
    let appw = Appw::new();
    let (_, alice) = appw.create("alice", "ci");
    let (revoked_id, revoked) = appw.create("alice", "old");
    appw.run(&["revoke", &revoked_id]).ok();
    let (_, bob) = appw.create("bob", "ci");
    let server = Server::start(&appw, &["--max-failures", "1000"]);
    let mut unknown = forge(&alice);
    // Another id altogether: change a character of the id, with a valid checksum.
    unknown = {
        let mut body = unknown.as_bytes()[..42].to_vec();
        body[6] = if body[6] == b'a' { b'b' } else { b'a' };
        crate::harness::with_checksum(std::str::from_utf8(&body).unwrap())
    };
    let cost = |user: &str, password: &str| {
        let before = evaluations(&server);
        let (status, _) = server.get("/auth", &[("Authorization", &basic(user, password))]);
        assert_eq!(status, 401, "{user}");
        evaluations(&server) - before
    };
    assert_eq!(cost("alice", &unknown), 0, "an unknown id");
    assert_eq!(cost("alice", &forge(&bob)), 0, "another user's id");
    assert_eq!(cost("alice", &revoked), 0, "a revoked credential");
    assert_eq!(
        cost("alice", &forge(&alice)),
        1,
        "a live credential of alice"
    );
    server.stop();
}
