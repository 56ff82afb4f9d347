//! A malformed, oversized or mistyped request leaves one log line naming the client and
//! the status, and nothing of what it carried.

use super::{Admin, credential, eventually};
use crate::harness::{Appw, assert_no_secret, basic};

#[test]
fn each_refused_request_is_logged_once_without_its_body() {
    let appw = Appw::new();
    let (alice, _) = credential(&appw, "alice", "laptop", &["--scope", "appw:self"]);
    let web = Admin::start(&appw);
    let me = ("alice", alice.as_str());
    let marker = "do-not-log-this-body";
    let json = format!(r#"{{"user": "alice", "name": "{marker}", "nope": 1}}"#);
    web.api(me, "POST", "/api/v1/credentials", Some(&json))
        .status(400);
    let big = format!(r#"{{"user": "alice", "name": "{}"}}"#, marker.repeat(5000));
    web.api(me, "POST", "/api/v1/credentials", Some(&big))
        .status(413);
    let auth = basic("alice", &alice);
    web.send(
        "POST",
        "/api/v1/credentials",
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        marker.as_bytes(),
    )
    .status(415);
    web.send(
        "GET",
        &format!("/api/v1/log?{marker}=1"),
        &[("Authorization", &auth)],
        b"",
    )
    .status(400);

    let refused = |status: &str| -> Vec<String> {
        web.log()
            .into_iter()
            .filter(|l| l.contains("admin refused") && l.contains(&format!("status={status}")))
            .collect()
    };
    eventually("four refusals logged", || {
        ["400", "413", "415"]
            .iter()
            .map(|s| refused(s).len())
            .sum::<usize>()
            == 4
    });
    assert_eq!(refused("400").len(), 2, "{:#?}", web.log());
    for line in refused("400")
        .iter()
        .chain(&refused("413"))
        .chain(&refused("415"))
    {
        assert!(line.contains("client=127.0.0.1"), "{line}");
        assert!(
            line.contains(r#"request="POST /api/v1/credentials""#)
                || line.contains(r#"request="GET /api/v1/log""#),
            "{line}"
        );
    }
    assert!(
        web.log().iter().all(|l| !l.contains(marker)),
        "{:#?}",
        web.log()
    );

    // A password pasted where an id goes, in a path refused as malformed: logged as a
    // refusal, the password redacted.
    let pasted = format!("/api/v1/credentials/{alice}%ff");
    web.send("GET", &pasted, &[("Authorization", &auth)], b"")
        .status(400);
    eventually("the pasted path's refusal logged", || {
        refused("400").len() == 3
    });
    assert_no_secret(&web.log().join("\n"), &alice, "the refusal log");
}
