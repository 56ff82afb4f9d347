//! Expiry by duration and by time, with appw's clock set through APPW_NOW.

use serde_json::Value;

use crate::harness::{Appw, T0, at};

#[test]
fn expiry_by_duration_and_by_time() {
    let appw = Appw::new();
    let pw = at(
        &appw,
        T0,
        &[
            "create",
            "--user",
            "ci",
            "short",
            "--expires",
            "12h",
            "--porcelain",
        ],
        "",
    )
    .ok();
    let pw = pw.stdout.trim().to_string();
    let json = at(
        &appw,
        T0,
        &[
            "create",
            "--user",
            "ci",
            "dated",
            "--expires",
            "2027-03-01T00:00:00+01:00",
            "--json",
        ],
        "",
    )
    .ok()
    .json();
    assert_eq!(json["expires_at"], "2027-02-28T23:00:00Z");
    at(
        &appw,
        T0,
        &["create", "--user", "ci", "forever", "--porcelain"],
        "",
    )
    .ok();

    at(
        &appw,
        "2027-01-01T23:59:59Z",
        &["verify", "--user", "ci"],
        &pw,
    )
    .ok(); // just before 12 h
    let out = at(
        &appw,
        "2027-01-02T00:00:00Z",
        &["verify", "--user", "ci"],
        &pw,
    )
    .code(1)
    .one_error_line();
    assert!(out.stderr.contains("expired"), "{out:?}");

    let list = |now: &str, args: &[&str]| {
        let mut all = vec!["list", "--json"];
        all.extend_from_slice(args);
        at(&appw, now, &all, "")
            .ok()
            .json()
            .as_array()
            .unwrap()
            .clone()
    };
    let names = |v: Vec<Value>| {
        v.iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let later = "2027-01-03T00:00:00Z";
    assert_eq!(names(list(later, &["--expired"])), ["short"]);
    assert_eq!(names(list(later, &["--expiring", "60d"])), ["dated"]);
    assert!(list(later, &["--expiring", "7d"]).is_empty());
    assert_eq!(
        list(later, &[]).len(),
        3,
        "expired credentials stay listed, marked"
    );
    assert!(list(later, &[]).iter().any(|c| c["expired"] == true));
    let table = at(&appw, later, &["list"], "").ok().stdout;
    assert!(table.contains("EXPIRED"), "{table}");

    let log = appw.log(&[]);
    assert!(
        log.iter().any(|e| e["event"] == "expired-on-use"),
        "{log:?}"
    );

    for bad in ["0d", "-5d", "2020-01-01T00:00:00Z", "tomorrow", "5y"] {
        at(
            &appw,
            T0,
            &["create", "--user", "ci", "x", "--expires", bad],
            "",
        )
        .code(2)
        .one_error_line();
    }
}
