use std::cell::Cell;

use super::*;

/// A checker that says yes to one stored hash and counts what it was asked.
struct Fixed {
    good: &'static str,
    checks: Cell<u32>,
}

fn fixed() -> Fixed {
    Fixed {
        good: "h",
        checks: Cell::new(0),
    }
}

impl Checker for Fixed {
    fn check(&self, stored: &str) -> Result<Checked, BadHash> {
        self.checks.set(self.checks.get() + 1);
        Ok(Checked {
            valid: stored == self.good,
            rehash: None,
        })
    }
    fn spend_like(&self, stored: Option<&str>) {
        if let Some(s) = stored {
            let _ = self.check(s);
        }
    }
}

fn record(hash: Option<&str>, expires_at: Option<Timestamp>) -> HashRecord {
    HashRecord {
        id: "abcdefgh1234".into(),
        user: "deploy".into(),
        name: "CI".into(),
        hash: hash.map(str::to_string),
        expires_at,
        scopes: vec!["deploy".into()],
        allow_from: Vec::new(),
        disabled: false,
    }
}

#[test]
fn each_reason_and_the_cost_it_pays() {
    let cases: [(Option<HashRecord>, Option<&str>, Decision, u32); 9] = [
        (
            Some(record(Some("h"), None)),
            Some("deploy"),
            Decision::Valid { rehash: None },
            1,
        ),
        (
            Some(record(Some("x"), None)),
            Some("deploy"),
            Decision::Rejected(Reason::WrongPassword),
            1,
        ),
        (
            Some(record(Some("h"), None)),
            Some("other"),
            Decision::Rejected(Reason::Unknown),
            1,
        ),
        (
            Some(record(None, None)),
            Some("deploy"),
            Decision::Rejected(Reason::Revoked),
            0,
        ),
        (
            Some(record(Some("h"), Some(100))),
            Some("deploy"),
            Decision::Rejected(Reason::Expired),
            1,
        ),
        (None, Some("deploy"), Decision::Rejected(Reason::Unknown), 0),
        // A password presented alone is claimed for its credential's own user: the same
        // refusals, at the same cost.
        (
            Some(record(Some("h"), None)),
            None,
            Decision::Valid { rehash: None },
            1,
        ),
        (
            Some(record(Some("x"), Some(100))),
            None,
            Decision::Rejected(Reason::WrongPassword),
            1,
        ),
        (None, None, Decision::Rejected(Reason::Unknown), 0),
    ];
    for (rec, user, want, checks) in cases {
        let checker = fixed();
        let claim = Claim {
            user,
            scope: None,
            source: None,
        };
        let got = decide(rec.as_ref(), &checker, &claim, 100).unwrap();
        assert_eq!(got, want, "{user:?} {:?}", rec.as_ref().map(|r| &r.hash));
        assert_eq!(checker.checks.get(), checks, "{want:?}");
        // The server's split: what the row alone decides needs no check.
        let needs_check = matches!(triage(rec.as_ref(), &claim), Triage::Check { .. });
        assert_eq!(
            needs_check,
            checks == 1 && user != Some("other"),
            "{want:?}"
        );
    }
}

#[test]
fn scopes_are_checked_after_the_password() {
    let checker = fixed();
    let rec = record(Some("h"), None);
    let claim = |scope| Claim {
        user: Some("deploy"),
        scope,
        source: None,
    };
    let decide = |scope| decide(Some(&rec), &checker, &claim(scope), 100).unwrap();
    assert_eq!(decide(Some("deploy")), Decision::Valid { rehash: None });
    assert_eq!(decide(Some("admin")), Decision::Rejected(Reason::Scope));
    assert_eq!(checker.checks.get(), 2, "a scope refusal costs a check too");
    let wrong = record(Some("x"), None);
    assert_eq!(
        super::decide(Some(&wrong), &checker, &claim(Some("admin")), 100).unwrap(),
        Decision::Rejected(Reason::WrongPassword),
        "a wrong password says nothing about scopes"
    );
}

#[test]
fn networks_are_checked_after_the_password() {
    let checker = fixed();
    let rec = HashRecord {
        allow_from: vec!["10.0.0.0/8".into()],
        ..record(Some("h"), None)
    };
    let from = |source| {
        let claim = Claim {
            user: Some("deploy"),
            scope: None,
            source,
        };
        decide(Some(&rec), &checker, &claim, 100).unwrap()
    };
    assert_eq!(from(Some("10.1.2.3")), Decision::Valid { rehash: None });
    assert_eq!(from(Some("192.0.2.1")), Decision::Rejected(Reason::Network));
    assert_eq!(from(Some("ci-job")), Decision::Rejected(Reason::Network));
    assert_eq!(from(None), Decision::Rejected(Reason::Network));
    assert_eq!(checker.checks.get(), 4, "each refusal cost a check");
}

#[test]
fn a_disabled_credential_is_refused_after_the_password() {
    let checker = fixed();
    let with = |hash: &str| {
        let rec = HashRecord {
            disabled: true,
            ..record(Some(hash), None)
        };
        decide(Some(&rec), &checker, &Claim::user("deploy"), 100).unwrap()
    };
    assert_eq!(with("h"), Decision::Rejected(Reason::Disabled));
    assert_eq!(with("other"), Decision::Rejected(Reason::WrongPassword));
    assert_eq!(checker.checks.get(), 2, "each refusal cost a check");
    let disabled = Reason::Disabled;
    assert!(disabled.names_credential() && disabled.password_was_right());
    assert!(!disabled.is_forbidden() && !disabled.is_expiry());
}

#[test]
fn only_rejections_of_the_named_credential_name_it() {
    assert!(Reason::WrongPassword.names_credential());
    assert!(Reason::Expired.names_credential());
    assert!(Reason::Revoked.names_credential());
    assert!(!Reason::Unknown.names_credential());
    assert!(!Reason::Malformed.names_credential());
}

#[test]
fn outcomes_say_what_to_record() {
    let rec = record(Some("h"), None);
    let basic = Claim {
        user: Some("deploy"),
        scope: Some("admin"),
        source: Some("192.0.2.1"),
    };
    let outcome = |claim: &Claim<'_>, record: Option<&HashRecord>| {
        let decision = decide(record, &fixed(), claim, 100).unwrap();
        Outcome::of(decision, record, claim)
    };
    // A right password refused for its scope: recorded against the credential, and the
    // password was right (a server remembers it).
    let Outcome::Rejected(scope) = outcome(&basic, Some(&rec)) else {
        panic!("a scope refusal")
    };
    assert_eq!(scope.id.as_deref(), Some("abcdefgh1234"));
    assert!(Outcome::Rejected(scope.clone()).password_was_right());
    let r = scope.rejection(Some("192.0.2.1"));
    assert_eq!(
        (r.id, r.claimed_user, r.reason, r.expired),
        (
            Some("abcdefgh1234"),
            Some("deploy"),
            Reason::Scope.message(),
            false
        )
    );
    // Expired: logged as such.
    let old = record(Some("h"), Some(50));
    let Outcome::Rejected(expired) = outcome(&Claim::user("deploy"), Some(&old)) else {
        panic!("expired")
    };
    assert!(expired.rejection(None).expired);
    // Another user's id: recorded against the claimed user, not the credential.
    let Outcome::Rejected(other) = outcome(&Claim::user("mallory"), Some(&rec)) else {
        panic!("another user's")
    };
    assert_eq!((other.id, other.user.as_deref()), (None, Some("mallory")));
    // A wrong password presented alone: recorded against the credential and its user.
    let wrong = record(Some("x"), None);
    let alone = Claim {
        user: None,
        scope: None,
        source: None,
    };
    let Outcome::Rejected(bearer) = outcome(&alone, Some(&wrong)) else {
        panic!("wrong")
    };
    assert_eq!(
        (bearer.reason, bearer.id.as_deref(), bearer.user.as_deref()),
        (Reason::WrongPassword, Some("abcdefgh1234"), Some("deploy"))
    );
    assert!(!Outcome::Rejected(bearer).password_was_right());
    // An unknown id presented alone: nobody to record it against.
    let Outcome::Rejected(unknown) = outcome(&alone, None) else {
        panic!("unknown")
    };
    assert_eq!((unknown.id, unknown.user), (None, None));
    // Valid: the use names the checked hash; revoked in between, it becomes a rejection.
    let Outcome::Valid(valid) = outcome(&Claim::user("deploy"), Some(&rec)) else {
        panic!("valid")
    };
    let use_ = valid.use_(Some("ci"));
    assert_eq!(
        (use_.id, use_.checked_hash, use_.rehash),
        ("abcdefgh1234", "h", None)
    );
    let refused = valid.refused_meanwhile(Reason::Disabled);
    assert_eq!(
        (
            refused.reason,
            refused.id.as_deref(),
            refused.user.as_deref()
        ),
        (Reason::Disabled, Some("abcdefgh1234"), Some("deploy")),
        "a change that lands first wins, for its own reason"
    );
}

#[test]
fn a_remembered_password_is_still_refused_for_what_the_row_says() {
    let claim = Claim {
        user: Some("deploy"),
        scope: Some("admin"),
        source: None,
    };
    let refused = Outcome::remembered(&record(Some("h"), None), &claim, 100);
    assert!(matches!(
        refused,
        Outcome::Rejected(Rejected {
            reason: Reason::Scope,
            ..
        })
    ));
    let expired = Outcome::remembered(&record(Some("h"), Some(90)), &Claim::user("deploy"), 100);
    assert!(matches!(
        expired,
        Outcome::Rejected(Rejected {
            reason: Reason::Expired,
            ..
        })
    ));
}
