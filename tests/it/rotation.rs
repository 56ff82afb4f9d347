//! Rotation replaces a secret in one step: never both or neither password valid, and a
//! rotation whose new id is taken changes nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::harness::{Appw, T0, at};

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
