//! Equal work on every verify path, counted rather than timed: every outcome (valid, wrong
//! password, unknown user or id, revoked, expired, disabled, outside its scope or network)
//! costs exactly one argon2 evaluation, and a
//! hash made under other parameters a second one until it is rehashed.

use std::path::PathBuf;

use appw::auth::{Outcome, Request};
use appw::cmd::verify::check;
use appw::secret::memory::{Arena, Reuse, Strategy};
use appw::secret::{Hasher, KdfParams};
use appw::store::{Access, Location, Store};

use crate::harness::{Appw, CHEAP_KDF, Rng, forged_token};

/// Verifies `password` for `user` in-process, as `appw verify` does, at the cheap policy,
/// with a hasher of its own (so counts are exact while other tests hash): whether it was
/// valid, and how many argon2 evaluations it cost.
pub fn verify_counted<S>(
    open: impl FnOnce() -> Result<Option<S>, appw::error::Error> + Send,
    user: &str,
    password: &str,
    scope: Option<&str>,
    source: Option<&str>,
    now: i64,
) -> (bool, u64)
where
    S: std::ops::DerefMut<Target = dyn Store> + Send,
{
    let policy: KdfParams = CHEAP_KDF.parse().unwrap();
    let hasher = Hasher::new(policy, Arena::new(Strategy::Ordinary, Reuse::WipeNow));
    let Ok(request) = Request::password(Some(user.to_string()), password) else {
        return (false, hasher.evaluations());
    };
    let outcome = check(open, &request, scope, source, &hasher, now).unwrap();
    (matches!(outcome, Outcome::Valid(_)), hasher.evaluations())
}

#[test]
fn every_verify_outcome_costs_exactly_one_hash_evaluation() {
    let appw = Appw::new();
    let (id, pw) = appw.create("u", "valid");
    let (revoked_id, revoked_pw) = appw.create("u", "revoked");
    appw.run(&["revoke", &revoked_id]).ok();
    let (_, expiring_pw) = appw.create("u", "expires");
    appw.run(&["create", "--user", "u", "expiring", "--expires", "1h"])
        .ok();
    let expired_pw = {
        let out = appw
            .run(&[
                "create",
                "--user",
                "u",
                "soon",
                "--expires",
                "1h",
                "--porcelain",
            ])
            .ok();
        out.stdout.trim().to_string()
    };
    let (paused_id, paused_pw) = appw.create("u", "paused");
    appw.run(&["disable", &paused_id]).ok();
    let (_, scoped_pw) = appw.created(&[
        "create", "--user", "u", "scoped", "--scope", "deploy", "--json",
    ]);
    let (_, fenced_pw) = appw.created(&[
        "create",
        "--user",
        "u",
        "fenced",
        "--allow-from",
        "10.0.0.0/8",
        "--json",
    ]);
    let mut rng = Rng::seeded();
    let wrong_pw = forged_token(&id, &mut rng);
    let (_, unknown_id_pw) = Appw::new().create("u", "elsewhere");
    let location = Location::resolve(Some(PathBuf::from(&appw.db))).unwrap();
    let mut store = appw::store::open(&location, Access::Existing)
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    // (what, user, password, now, scope, source, valid)
    type Case<'a> = (
        &'a str,
        &'a str,
        &'a str,
        i64,
        Option<&'a str>,
        Option<&'a str>,
        bool,
    );
    let cases: [Case; 12] = [
        ("valid", "u", &pw, now, None, None, true),
        ("wrong password", "u", &wrong_pw, now, None, None, false),
        ("unknown user", "nobody", &pw, now, None, None, false),
        (
            "unknown lookup id",
            "u",
            &unknown_id_pw,
            now,
            None,
            None,
            false,
        ),
        ("revoked", "u", &revoked_pw, now, None, None, false),
        (
            "expired",
            "u",
            &expired_pw,
            now + 2 * 3600,
            None,
            None,
            false,
        ),
        ("disabled", "u", &paused_pw, now, None, None, false),
        (
            "outside its scope",
            "u",
            &scoped_pw,
            now,
            Some("admin"),
            None,
            false,
        ),
        (
            "within its scope",
            "u",
            &scoped_pw,
            now,
            Some("deploy"),
            None,
            true,
        ),
        (
            "outside its networks",
            "u",
            &fenced_pw,
            now,
            None,
            Some("192.168.1.1"),
            false,
        ),
        (
            "within its networks",
            "u",
            &fenced_pw,
            now,
            None,
            Some("10.1.2.3"),
            true,
        ),
        (
            "another credential of the same user",
            "u",
            &expiring_pw,
            now,
            None,
            None,
            true,
        ),
    ];
    for (what, user, password, at, scope, source, valid) in cases {
        let (ok, evaluations) = verify_counted(
            || Ok(Some(store.as_mut())),
            user,
            password,
            scope,
            source,
            at,
        );
        assert_eq!(evaluations, 1, "{what}");
        assert_eq!(ok, valid, "{what}");
    }
    // Without a store, still one evaluation; malformed input and huge input, none (the
    // format is public, so refusing it early tells an attacker nothing).
    for (what, with_store, password, want) in [
        ("no store", false, pw.clone(), 1),
        ("malformed", true, "appw-not-a-token".to_string(), 0),
        ("10 MB", true, "a".repeat(10 << 20), 0),
        ("checksum typo", true, crate::harness::typo(&pw, 47), 0),
    ] {
        let opened = with_store.then(|| store_for(&location));
        let (ok, evaluations) = verify_counted(|| Ok(opened), "u", &password, None, None, now);
        assert_eq!(evaluations, want, "{what}");
        assert!(!ok, "{what}");
    }
}

#[test]
fn a_hash_made_under_other_parameters_costs_a_second_evaluation_until_rehashed() {
    // The limit SECURITY.md states: the early evaluation (at the policy, with the id's salt)
    // answers only for hashes made that way. Checking any other costs one more, for a wrong
    // password as for the right one; a successful verify rehashes a weaker hash, after which
    // its checks cost one again. A stronger hash stays as it is (and stays at two).
    let appw = Appw::new();
    let (weak_id, weak_pw) = appw.create_with("m=32,t=1,p=1", "u", "weak");
    let (strong_id, strong_pw) = appw.create_with("m=128,t=1,p=1", "u", "strong");
    let location = Location::resolve(Some(PathBuf::from(&appw.db))).unwrap();
    let mut store = store_for(&location);
    let now = chrono::Utc::now().timestamp();
    let mut rng = Rng::seeded();
    let cases: [(&str, String, u64, bool); 5] = [
        (
            "wrong password, weaker hash",
            forged_token(&weak_id, &mut rng),
            2,
            false,
        ),
        (
            "wrong password, stronger hash",
            forged_token(&strong_id, &mut rng),
            2,
            false,
        ),
        (
            "right password, weaker hash: rehashed",
            weak_pw.clone(),
            2,
            true,
        ),
        ("right password, rehashed hash", weak_pw, 1, true),
        ("right password, stronger hash", strong_pw, 2, true),
    ];
    for (what, password, want, valid) in cases {
        let (ok, evaluations) =
            verify_counted(|| Ok(Some(store.as_mut())), "u", &password, None, None, now);
        assert_eq!(evaluations, want, "{what}");
        assert_eq!(ok, valid, "{what}");
    }
}

fn store_for(location: &Location) -> Box<dyn appw::store::Store> {
    appw::store::open(location, Access::Existing)
        .unwrap()
        .unwrap()
}
