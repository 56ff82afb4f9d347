//! What is recorded: failed attempts next to the last use, the log's whole story, and
//! pruning, which leaves a trace and never reaches into the future. The clock is set with
//! APPW_NOW.

use serde_json::Value;

use crate::harness::{Appw, at, forge};

#[test]
fn failed_attempts_are_shown_next_to_last_use() {
    let appw = Appw::new();
    let (id, pw) = appw.create("deploy", "leaky");
    // A typo is caught by the checksum before the store is touched: nothing recorded.
    let typo = crate::harness::typo(&pw, 20);
    appw.run_stdin(
        &["verify", "--user", "deploy", "--source", "198.51.100.7"],
        typo.as_bytes(),
    )
    .code(1);
    assert!(appw.list()[0]["last_failed"].is_null());
    // A well-formed wrong secret under this id is a failed attempt on this credential.
    appw.run_stdin(
        &["verify", "--user", "deploy", "--source", "198.51.100.7"],
        forge(&pw).as_bytes(),
    )
    .code(1);
    let c = &appw.list()[0];
    assert_eq!(c["last_failed_source"], "198.51.100.7");
    assert!(c["last_failed"].is_string());
    assert!(appw.run(&["list"]).ok().stdout.contains("LAST FAILED"));

    appw.run(&["revoke", &id]).ok();
    appw.run_stdin(
        &["verify", "--user", "deploy", "--source", "203.0.113.9"],
        pw.as_bytes(),
    )
    .code(1);
    let shown = appw.show(&id);
    assert!(shown["last_failed"].is_string());
    assert_eq!(shown["last_failed_source"], "203.0.113.9");

    let (_, pw2) = appw.create("deploy", "live");
    appw.run_stdin(
        &["verify", "--user", "deploy", "--source", "192.0.2.1"],
        pw2.as_bytes(),
    )
    .ok();
    let c = &appw.list()[0];
    assert_eq!(c["last_source"], "192.0.2.1");
    // The other user's claim on this id is a rejection, recorded on the log, not on the row.
    appw.run_stdin(
        &["verify", "--user", "mallory", "--source", "192.0.2.66"],
        pw2.as_bytes(),
    )
    .code(1);
    let table = appw.run(&["list"]).ok().stdout;
    assert!(table.contains("192.0.2.1"), "{table}");
    let live = appw.show(&pw2[4..16]);
    assert!(live["last_failed"].is_null(), "{live}");
    assert!(live["last_failed_source"].is_null(), "{live}");
    let claims: Vec<Value> = appw
        .log(&[])
        .into_iter()
        .filter(|e| e["user"] == "mallory")
        .collect();
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert_eq!(claims[0]["event"], "rejected");
    assert_eq!(claims[0]["source"], "192.0.2.66");
}

#[test]
fn the_log_tells_the_whole_story() {
    let appw = Appw::new();
    let t = |h: u32| format!("2027-01-01T{h:02}:00:00Z");
    let a = at(
        &appw,
        &t(1),
        &["create", "--user", "deploy", "ci", "--json"],
        "",
    )
    .ok()
    .json();
    at(
        &appw,
        &t(2),
        &["verify", "--user", "deploy", "--source", "10.0.0.1"],
        a["password"].as_str().unwrap(),
    )
    .ok();
    at(
        &appw,
        &t(3),
        &["verify", "--user", "eve", "--source", "10.6.6.6"],
        a["password"].as_str().unwrap(),
    )
    .code(1);
    let id = a["id"].as_str().unwrap();
    at(&appw, &t(4), &["rename", id, "ci-main"], "").ok();
    let r = at(&appw, &t(5), &["rotate", id, "--json"], "").ok().json();
    at(&appw, &t(6), &["create", "--user", "backup", "nightly"], "").ok();
    at(&appw, &t(7), &["revoke-all", "--yes"], "").ok();

    let log = appw.log(&[]);
    let kinds: Vec<&str> = log.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "created",
            "verified",
            "rejected",
            "renamed",
            "rotated",
            "created",
            "revoke-all"
        ]
    );
    assert_eq!(log[1]["source"], "10.0.0.1");
    assert_eq!(log[2]["user"], "eve");
    assert_eq!(log[2]["source"], "10.6.6.6");
    assert!(
        log[2]["detail"]
            .as_str()
            .unwrap()
            .contains("no such credential")
    );
    assert_eq!(log[4]["credential_id"], r["id"]);
    assert!(log[4]["detail"].as_str().unwrap().contains(id));
    assert_eq!(log[6]["detail"], "count=2");
    assert_eq!(log[0]["at"], "2027-01-01T01:00:00Z");

    // Nothing secret: neither password nor any hash.
    let text = appw.run(&["log"]).ok().stdout + &appw.run(&["log", "--json"]).ok().stdout;
    assert!(!text.contains(a["password"].as_str().unwrap()));
    assert!(!text.contains(r["password"].as_str().unwrap()));
    assert!(!text.contains("$argon2"));

    // deploy's own four events, and the store-wide revoke-all that revoked theirs too.
    let deploy = appw.log(&["--user", "deploy"]);
    assert_eq!(deploy.len(), 5);
    assert_eq!(deploy[4]["event"], "revoke-all");
    let recent = at(&appw, &t(8), &["log", "--json", "--since", "3h"], "")
        .ok()
        .json();
    assert_eq!(
        recent.as_array().unwrap().len(),
        3,
        "events at 5, 6 and 7 o'clock"
    );

    let pruned = at(
        &appw,
        &t(8),
        &["log", "--prune", "2027-01-01T04:00:00Z"],
        "",
    )
    .ok()
    .stdout;
    assert!(pruned.contains("Deleted 3 events"), "{pruned}");
    // The four left, and the `pruned` event that records the deletion.
    assert_eq!(appw.log(&[]).len(), 5);
}

/// Pruning never erases history without a trace, and a cut-off in the
/// future (which would delete everything) is refused.
#[test]
fn pruning_is_recorded_and_never_reaches_into_the_future() {
    let appw = Appw::new();
    for (now, name) in [("2027-01-01T01:00:00Z", "a"), ("2027-01-01T05:00:00Z", "b")] {
        at(
            &appw,
            now,
            &["create", "--user", "deploy", name, "--json"],
            "",
        )
        .ok();
    }
    for future in ["2999-01-01T00:00:00Z", "2027-01-01T08:00:01Z"] {
        let out = at(
            &appw,
            "2027-01-01T08:00:00Z",
            &["log", "--prune", future],
            "",
        );
        let out = out.code(2).one_error_line();
        assert!(out.stderr.contains("future"), "{out:?}");
    }
    assert_eq!(appw.log(&[]).len(), 2, "a refused prune deletes nothing");
    let out = at(
        &appw,
        "2027-01-01T08:00:00Z",
        &["log", "--prune", "2027-01-01T04:00:00Z", "--json"],
        "",
    )
    .ok();
    assert_eq!(out.json()["pruned"], 1);
    let log = appw.log(&[]);
    let kinds: Vec<_> = log.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "pruned"]);
    assert_eq!(log[1]["detail"], "count=1");
    assert_eq!(log[1]["at"], "2027-01-01T08:00:00Z");
    assert!(log[1]["user"].is_null() && log[1]["credential_id"].is_null());
    // A prune that finds nothing is recorded too, and keeps the earlier record.
    at(
        &appw,
        "2027-01-01T09:00:00Z",
        &["log", "--prune", "2027-01-01T04:00:00Z"],
        "",
    )
    .ok();
    let log = appw.log(&[]);
    assert_eq!(log.len(), 3);
    assert_eq!(log[2]["detail"], "count=0");
}
