//! Beyond WordPress: expiry, atomic rotation, show/rename, the audit log and failed
//! attempts (issue 5). The clock is set with APPW_NOW.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::harness::{Appw, forge};

const T0: &str = "2027-01-01T12:00:00Z";

fn at(appw: &Appw, now: &str, args: &[&str], stdin: &str) -> crate::harness::Out {
    let mut cmd = appw.command(args);
    crate::harness::set_clock(&mut cmd, now);
    appw.run_with(cmd, stdin.as_bytes())
}

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

#[test]
fn rotate_replaces_the_secret_in_one_step() {
    let appw = Appw::new();
    let created = at(
        &appw,
        T0,
        &[
            "create",
            "--user",
            "deploy",
            "GitHub Actions",
            "--app-id",
            "gh",
            "--expires",
            "90d",
            "--json",
        ],
        "",
    )
    .ok()
    .json();
    let (old_id, old_pw) = (
        created["id"].as_str().unwrap(),
        created["password"].as_str().unwrap(),
    );
    at(&appw, T0, &["verify", "--user", "deploy"], old_pw).ok();

    let later = "2027-02-01T12:00:00Z";
    let rotated = at(&appw, later, &["rotate", &old_id[..8], "--json"], "")
        .ok()
        .json();
    let (new_id, new_pw) = (
        rotated["id"].as_str().unwrap(),
        rotated["password"].as_str().unwrap(),
    );
    assert_ne!(new_id, old_id);
    assert_eq!(rotated["name"], "GitHub Actions");
    assert_eq!(rotated["user"], "deploy");
    assert_eq!(rotated["app_id"], "gh");
    assert_eq!(
        rotated["expires_at"], "2027-05-02T12:00:00Z",
        "renewed for the same 90 days"
    );

    at(&appw, later, &["verify", "--user", "deploy"], old_pw)
        .code(1)
        .one_error_line();
    at(&appw, later, &["verify", "--user", "deploy"], new_pw).ok();
    at(&appw, later, &["rotate", old_id], "")
        .code(3)
        .one_error_line();

    let porcelain = at(
        &appw,
        later,
        &[
            "rotate",
            "--user",
            "deploy",
            "--name",
            "github actions",
            "--porcelain",
        ],
        "",
    )
    .ok();
    let newest = porcelain.stdout.trim();
    assert_eq!(newest.len(), 48);
    at(&appw, later, &["verify", "--user", "deploy"], new_pw).code(1);
    at(&appw, later, &["verify", "--user", "deploy"], newest).ok();
    assert_eq!(appw.list().len(), 1);
    at(
        &appw,
        later,
        &["rotate", "--user", "deploy", "--name", "nope"],
        "",
    )
    .code(3)
    .one_error_line();
}

#[test]
fn rotation_never_leaves_both_or_neither_password_valid() {
    let appw = Arc::new(Appw::new());
    let (old_id, old_pw) = appw.create("deploy", "rotating");
    let stop = Arc::new(AtomicBool::new(false));
    let old_results = Arc::new(Mutex::new(Vec::new()));
    let verifiers: Vec<_> = (0..3)
        .map(|_| {
            let (appw, stop, results, pw) = (
                appw.clone(),
                stop.clone(),
                old_results.clone(),
                old_pw.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let code = appw.verify("deploy", &pw).code;
                    assert!(code == 0 || code == 1, "unexpected exit {code}");
                    results.lock().unwrap().push(code);
                }
            })
        })
        .collect();
    // Waits (polling, so a busy machine only makes it slower) until the verifiers' results
    // satisfy `done`.
    let wait_for = |done: &dyn Fn(&[i32]) -> bool| {
        let began = std::time::Instant::now();
        while !done(&old_results.lock().unwrap()) {
            assert!(began.elapsed().as_secs() < 60, "the verifiers stalled");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    };
    wait_for(&|r| r.len() >= 3);
    let rotated = appw.run(&["rotate", &old_id, "--porcelain"]).ok();
    // The moment the new password is printed it works, and the old one no longer does.
    appw.verify("deploy", rotated.stdout.trim()).ok();
    appw.verify("deploy", &old_pw).code(1);
    // Before the rotation the old password only succeeds, so a failure is a verifier's run
    // after it.
    wait_for(&|r| r.contains(&1));
    stop.store(true, Ordering::Relaxed);
    verifiers.into_iter().for_each(|v| v.join().unwrap());

    // The log orders everything: every success of the old password precedes the rotation.
    let log = appw.log(&[]);
    let rotation = log.iter().find(|e| e["event"] == "rotated").unwrap()["seq"]
        .as_i64()
        .unwrap();
    let old_ok: Vec<i64> = log
        .iter()
        .filter(|e| e["event"] == "verified" && e["credential_id"] == old_id.as_str())
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert!(
        old_ok.iter().all(|&s| s < rotation),
        "old password accepted after rotation"
    );
    let results = old_results.lock().unwrap();
    assert_eq!(results.iter().filter(|&&c| c == 0).count(), old_ok.len());
    assert!(results.contains(&1), "verifiers ran after the rotation");
}

#[test]
fn show_and_rename() {
    let appw = Appw::new();
    let (id, pw) = appw.create("deploy", "old name");
    let shown = appw.show(&id);
    let listed = appw.list()[0].clone();
    assert_eq!(shown, listed);
    let text = appw.run(&["show", &id[..8]]).ok().stdout;
    assert!(
        text.contains("old name") && text.contains("active"),
        "{text}"
    );

    appw.create("deploy", "taken");
    appw.run(&["rename", &id, "TAKEN"]).code(3).one_error_line();
    appw.run(&["rename", &id, ""]).code(2).one_error_line();
    appw.run(&["rename", &id, "  new name  "]).ok();
    assert_eq!(appw.show(&id)["name"], "new name");
    appw.verify("deploy", &pw).ok();

    appw.run(&["revoke", &id]).ok();
    let revoked = appw.show(&id);
    assert!(revoked["revoked_at"].is_string());
    appw.run(&["rename", &id, "again"]).code(3).one_error_line();
    appw.run(&["show", "zzzzzzzz"]).code(3).one_error_line();
}

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

#[test]
fn a_rotation_whose_new_id_is_taken_changes_nothing() {
    use appw::store::{self, Access, Location, NewCredential};
    let appw = Appw::new();
    let (old_id, old_pw) = appw.create("deploy", "rotating");
    let (taken_id, _) = appw.create("deploy", "other");
    let location = if appw.is_postgres() {
        Location::Postgres(appw.db.clone())
    } else {
        Location::Sqlite(appw.path())
    };
    let mut store = store::open(&location, Access::Existing).unwrap().unwrap();
    let clash = NewCredential {
        id: taken_id,
        user: "deploy".into(),
        name: "rotating".into(),
        app_id: None,
        hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
        expires_at: None,
        scopes: Vec::new(),
        allow_from: Vec::new(),
        disabled: false,
    };
    assert!(
        !store.rotate(&old_id, &clash, 0, "cli:test").unwrap(),
        "an id clash is reported"
    );
    drop(store);
    // The old credential is untouched: still active, still verifying, no rotation logged.
    appw.verify("deploy", &old_pw).ok();
    assert!(appw.log(&[]).iter().all(|e| e["event"] != "rotated"));
}

#[test]
fn concurrent_verifies_that_upgrade_the_same_hash_all_succeed() {
    // Created under cheap parameters, verified under a stronger policy: every verifier
    // wants to rehash at once; each must still be accepted and counted.
    let appw = Arc::new(Appw::new());
    let out = appw
        .run(&[
            "--kdf",
            "m=8,t=1,p=1",
            "create",
            "--user",
            "u",
            "r",
            "--porcelain",
        ])
        .ok();
    let pw = Arc::new(out.stdout.trim().to_string());
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (appw, pw) = (appw.clone(), pw.clone());
            std::thread::spawn(move || {
                appw.run_stdin(&["verify", "--user", "u", "--quiet"], pw.as_bytes())
                    .code
            })
        })
        .collect();
    let codes: Vec<i32> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    assert!(codes.iter().all(|&c| c == 0), "{codes:?}");
    assert_eq!(appw.list()[0]["use_count"], 8);
    // The premise: the hash was upgraded (by one verifier or more; an upgrade already made
    // by another is not made again).
    let rehashes = appw
        .log(&[])
        .iter()
        .filter(|e| e["event"] == "verified" && e["detail"] == appw::store::REHASHED)
        .count();
    assert!((1..=8).contains(&rehashes), "{rehashes}");
    appw.verify("u", &pw).ok();
}

#[test]
fn last_source_belongs_to_the_last_use_and_an_empty_source_is_none() {
    let appw = Appw::new();
    let (_, pw) = appw.create("u", "hook");
    appw.run_stdin(
        &["verify", "--user", "u", "--source", "10.0.0.1"],
        pw.as_bytes(),
    )
    .ok();
    assert_eq!(appw.list()[0]["last_source"], "10.0.0.1");
    // A hook whose $REMOTE_ADDR is empty still verifies; the stale address is not kept.
    appw.run_stdin(&["verify", "--user", "u", "--source", ""], pw.as_bytes())
        .ok();
    assert!(appw.list()[0]["last_source"].is_null());
}

#[test]
fn passwords_in_the_wrong_place_are_neither_stored_nor_echoed() {
    let appw = Appw::new();
    let (id, pw) = appw.create("u", "real");
    let grouped = crate::harness::grouped(&pw);
    // Spaced with no-break or zero-width spaces, and cut short, as pasted from a chat.
    let nbsp = grouped[..grouped.len() - 1].replace(' ', "\u{a0}");
    let zero_width = grouped.replace(' ', "\u{200b}");
    for args in [
        vec!["verify", "--user", "u", grouped.as_str()],
        vec!["rotate", "--user", "u", "--name", grouped.as_str()],
        vec!["revoke", "--user", "u", "--name", grouped.as_str()],
        vec!["revoke", "--user", "u", "--name", &nbsp],
        vec!["create", "--user", "u", "n", "--expires", &zero_width],
        vec!["list", "--since", &nbsp],
        vec!["create", "--user", "u", &format!("{grouped} x")],
        vec!["create", "--user", "u", "n", "--app-id", &pw],
    ] {
        let out = appw.run(&args);
        assert_ne!(out.code, 0, "{args:?}");
        crate::harness::assert_no_secret(&out.stderr, &pw, &format!("{args:?}"));
    }
    assert_eq!(appw.list().len(), 1);
    assert_eq!(appw.list()[0]["id"], id.as_str());
    // Only a whole password is refused: words after "appw" are a name like any other.
    appw.create("u", "appw integration for kubernetes clusters");
}

/// Issue 14, point 4: a password in any letter case, grouped or not, alone or among words,
/// is refused in every field (exit 2), never stored and never echoed in any case.
#[test]
fn a_password_in_any_letter_case_is_refused_in_every_field() {
    let appw = Appw::new();
    let (id, pw) = appw.create("u", "real");
    let grouped = crate::harness::grouped(&pw);
    let mixed: String = pw
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    let secret = pw[16..40].to_lowercase();
    for variant in [
        pw.to_lowercase(),
        pw.to_uppercase(),
        grouped.to_lowercase(),
        grouped.to_uppercase(),
        mixed,
    ] {
        let among_words = format!("deploy {variant} prod");
        let source = format!("--source={variant}");
        for (args, stdin) in [
            (vec!["create", "--user", &variant, "n"], ""),
            (vec!["create", "--user", "u", "--", &variant], ""),
            (vec!["create", "--user", "u", "--", &among_words], ""),
            (
                vec!["create", "--user", "u", "n2", "--app-id", &variant],
                "",
            ),
            (vec!["rename", &id, "--", &variant], ""),
            (vec!["verify", "--user", "u", &source], pw.as_str()),
        ] {
            let out = appw.run_stdin(&args, stdin.as_bytes());
            let out = out.code(2).one_error_line();
            let shown: String = out
                .stderr
                .to_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            assert!(!shown.contains(&secret), "{args:?} echoed it: {out:?}");
        }
    }
    let list = appw.list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "real");
    let log = appw.log(&[]);
    assert_eq!(
        log.len(),
        1,
        "the refused verify never reached the store: {log:?}"
    );
}

/// Issue 14, point 7: HTTP Basic splits `user:password` at the first colon, so a user with
/// one could never verify; create refuses it rather than print a curl line that cannot work.
#[test]
fn a_user_with_a_colon_is_refused() {
    let appw = Appw::new();
    for user in ["a:b", "deploy:", ":x"] {
        let out = appw
            .run(&["create", "--user", user, "n"])
            .code(2)
            .one_error_line();
        assert!(out.stderr.contains("':'"), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
    }
    assert!(appw.list().is_empty());
}

/// Issue 14, point 8: pruning never erases history without a trace, and a cut-off in the
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
