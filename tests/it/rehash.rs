//! Hash parameters over time: a successful verify upgrades a hash made under weaker
//! parameters than the `--kdf` policy, or salted the way an older appw did (randomly rather
//! than from the credential id), in the same transaction as the use it records; nothing else
//! rehashes, and concurrent upgrades of one hash all succeed. Timing lives in benches/ (see
//! BENCHMARKS.md), not here.

use std::sync::Arc;

use serde_json::Value;

use crate::harness::{Appw, forge};

const WEAK: &str = "m=64,t=1,p=1";
const STRONG: &str = "m=256,t=2,p=1";

/// The stored PHC string of credential `id`, read from the SQLite file itself.
fn stored_hash(appw: &Appw, id: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    conn.query_row("SELECT hash FROM credentials WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .unwrap()
}

/// The `m=..,t=..,p=..` part of a PHC string.
fn params(phc: &str) -> &str {
    phc.split('$').nth(3).unwrap()
}

fn verify_with(appw: &Appw, kdf: &str, user: &str, password: &str) -> crate::harness::Out {
    appw.run_stdin(
        &["--kdf", kdf, "verify", "--user", user],
        format!("{password}\n").as_bytes(),
    )
}

fn verified_events(appw: &Appw) -> Vec<Value> {
    let mut events = appw.log(&[]);
    events.retain(|e| e["event"] == "verified");
    events
}

#[test]
fn a_weaker_hash_is_upgraded_by_a_successful_verify_and_still_verifies() {
    let appw = Appw::sqlite();
    let (id, pw) = appw.create_with(WEAK, "ci", "deploy");
    let before = stored_hash(&appw, &id).unwrap();
    assert_eq!(params(&before), WEAK);

    verify_with(&appw, STRONG, "ci", &pw).ok();
    let after = stored_hash(&appw, &id).unwrap();
    assert_eq!(params(&after), STRONG, "rehashed under the policy");
    assert_ne!(after, before);

    // The new hash is of the same password, and now meets the policy: left alone.
    verify_with(&appw, STRONG, "ci", &pw).ok();
    assert_eq!(stored_hash(&appw, &id).unwrap(), after);
    // An older appw with the old policy still verifies the upgraded hash.
    verify_with(&appw, WEAK, "ci", &pw).ok();
    assert_eq!(stored_hash(&appw, &id).unwrap(), after);

    let used = appw.list()[0]["use_count"].as_i64().unwrap();
    assert_eq!(used, 3, "each verify counted once, rehash or not");
}

#[test]
fn the_verified_event_notes_the_rehash() {
    let appw = Appw::sqlite();
    let (id, pw) = appw.create_with(WEAK, "ci", "deploy");
    verify_with(&appw, STRONG, "ci", &pw).ok();
    verify_with(&appw, STRONG, "ci", &pw).ok();
    let events = verified_events(&appw);
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[0]["credential_id"], id.as_str());
    let detail = events[0]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("rehash"), "{events:#?}");
    assert!(events[1]["detail"].is_null(), "{events:#?}");
    // The log holds no hash.
    let log = appw.run(&["log", "--json"]).ok().stdout;
    assert!(!log.contains("$argon2id$"), "{log}");
}

#[test]
fn a_failed_verify_does_not_rehash() {
    let appw = Appw::sqlite();
    let (id, pw) = appw.create_with(WEAK, "ci", "deploy");
    let before = stored_hash(&appw, &id).unwrap();

    // Wrong secret for the right id (valid format and checksum): argon2 runs and fails.
    verify_with(&appw, STRONG, "ci", &forge(&pw)).code(1);
    // Right password claimed for another user.
    verify_with(&appw, STRONG, "someone-else", &pw).code(1);
    // A typo caught by the checksum.
    let typo = crate::harness::typo(&pw, pw.len() - 1);
    verify_with(&appw, STRONG, "ci", &typo).code(1);

    assert_eq!(stored_hash(&appw, &id).unwrap(), before);
    assert!(verified_events(&appw).is_empty());
}

#[test]
fn an_expired_credential_is_not_rehashed() {
    let appw = Appw::sqlite();
    let v = appw
        .run(&[
            "--kdf",
            WEAK,
            "create",
            "--user",
            "ci",
            "old",
            "--expires",
            "1m",
            "--json",
        ])
        .ok()
        .json();
    let (id, pw) = (v["id"].as_str().unwrap(), v["password"].as_str().unwrap());
    let before = stored_hash(&appw, id).unwrap();
    let mut cmd = appw.command(&["--kdf", STRONG, "verify", "--user", "ci"]);
    crate::harness::set_clock(&mut cmd, "2099-01-01T00:00:00Z");
    appw.run_with(cmd, format!("{pw}\n").as_bytes()).code(1);
    assert_eq!(stored_hash(&appw, id).unwrap(), before);
}

#[test]
fn an_equal_or_stronger_hash_is_left_alone() {
    let appw = Appw::sqlite();
    let (id, pw) = appw.create_with(STRONG, "ci", "deploy");
    let before = stored_hash(&appw, &id).unwrap();
    for policy in [
        STRONG,
        WEAK,
        "m=256,t=1,p=1",
        "m=64,t=2,p=1",
        "m=256,t=2,p=2",
    ] {
        verify_with(&appw, policy, "ci", &pw).ok();
        assert_eq!(stored_hash(&appw, &id).unwrap(), before, "policy {policy}");
    }
    assert!(verified_events(&appw).iter().all(|e| e["detail"].is_null()));
}

#[test]
fn a_stronger_policy_in_one_dimension_is_enough_to_rehash() {
    let appw = Appw::sqlite();
    for (i, policy) in ["m=128,t=1,p=1", "m=64,t=2,p=1"].into_iter().enumerate() {
        let (id, pw) = appw.create_with(WEAK, "ci", &format!("n{i}"));
        verify_with(&appw, policy, "ci", &pw).ok();
        assert_eq!(params(&stored_hash(&appw, &id).unwrap()), policy);
    }
}

/// A PHC string for `password` with `salt`, computed with the argon2 crate directly (not
/// through appw), as an older appw stored them: a random salt rather than the id's.
fn phc_with_salt(password: &str, salt: &[u8], m: u32, t: u32) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
    let params = argon2::Params::new(m, t, 1, Some(32)).unwrap();
    let argon2 = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 32];
    argon2
        .hash_password_into(password.as_bytes(), salt, &mut out)
        .unwrap();
    format!(
        "$argon2id$v=19$m={m},t={t},p=1${}${}",
        B64.encode(salt),
        B64.encode(out)
    )
}

#[test]
fn new_hashes_are_salted_with_the_credential_id() {
    // What lets verify hash while the store opens: the salt is known from the password.
    let appw = Appw::sqlite();
    let (id, _) = appw.create_with(WEAK, "ci", "deploy");
    let salt = stored_hash(&appw, &id)
        .unwrap()
        .split('$')
        .nth(4)
        .unwrap()
        .to_string();
    use base64::Engine as _;
    let salt = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(salt)
        .unwrap();
    assert_eq!(salt, format!("appw{id}").into_bytes());
}

#[test]
fn a_hash_with_an_older_random_salt_verifies_and_is_resalted() {
    let appw = Appw::sqlite();
    let (id, pw) = appw.create_with(WEAK, "ci", "deploy");
    let legacy = phc_with_salt(&pw, b"0123456789abcdef", 64, 1);
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    conn.execute(
        "UPDATE credentials SET hash = ?1 WHERE id = ?2",
        [&legacy, &id],
    )
    .unwrap();
    drop(conn);

    // A wrong password leaves it alone; the right one verifies and moves it to the id's
    // salt at the same parameters, noted in the log.
    verify_with(&appw, WEAK, "ci", &forge(&pw)).code(1);
    assert_eq!(stored_hash(&appw, &id).unwrap(), legacy);
    verify_with(&appw, WEAK, "ci", &pw).ok();
    let after = stored_hash(&appw, &id).unwrap();
    assert_eq!(
        after,
        phc_with_salt(&pw, format!("appw{id}").as_bytes(), 64, 1)
    );
    verify_with(&appw, WEAK, "ci", &pw).ok();
    assert_eq!(stored_hash(&appw, &id).unwrap(), after);
    let events = verified_events(&appw);
    assert!(
        events[0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("rehash")
    );
    assert!(events[1]["detail"].is_null(), "{events:#?}");
    assert_eq!(appw.list()[0]["use_count"], 2);
}

#[test]
fn verify_leaves_the_wal_small_and_the_store_consistent() {
    // Verify keeps the WAL across processes (no checkpoint on every exit) and folds it
    // back once it grows: after many verifies the WAL stays bounded and every use counted.
    let appw = Appw::sqlite();
    let (_, pw) = appw.create("ci", "deploy");
    for _ in 0..60 {
        appw.verify("ci", &pw).ok();
    }
    let mut wal = appw.path().into_os_string();
    wal.push("-wal");
    let len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(len < 1024 * 1024, "WAL grew to {len} bytes");
    assert_eq!(appw.list()[0]["use_count"], 60);
    let conn = rusqlite::Connection::open(appw.path()).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
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
