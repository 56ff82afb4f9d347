//! The one verification decision, shared by `appw verify` and `appw serve`.
//!
//! [`decide`] is a pure function of the stored record, the attempt (a [`Checker`] that
//! knows whether the password matches a stored hash), the claim and the clock. Callers do
//! the I/O around it: the CLI reads one row and writes the outcome at once; the server
//! answers from a cache or an argon2 worker and writes outcomes in batches.

pub mod basic;

use crate::secret::kdf::{self, BadHash, Checked, KdfParams};
use crate::store::{HashRecord, Timestamp};

/// Why a credential was refused. The message never contains the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Not in appw's format: refused before any store read or hash.
    Malformed,
    /// The format's checksum does not hold (a typo).
    Checksum,
    /// There is no store at all.
    NoStore,
    /// No credential with the password's id, or it belongs to another user.
    Unknown,
    Revoked,
    WrongPassword,
    /// The password is right but the credential has expired.
    Expired,
    /// The password is right but the credential is paused (`appw disable`).
    Disabled,
    /// The password is right but the credential lacks the scope the check asked for.
    Scope,
    /// The password is right but the source is outside the credential's networks.
    Network,
}

impl Reason {
    pub fn message(self) -> &'static str {
        match self {
            Reason::Malformed => "the password is not in appw's format",
            Reason::Checksum => "the password's checksum does not match (a typo?)",
            Reason::NoStore => "no such credential (the store does not exist yet)",
            Reason::Unknown => "no such credential for this user",
            Reason::Revoked => "the credential is revoked",
            Reason::WrongPassword => "wrong password",
            Reason::Expired => "the credential has expired",
            Reason::Disabled => "the credential is disabled",
            Reason::Scope => "the credential lacks the scope asked for",
            Reason::Network => "the source is outside the credential's allowed networks",
        }
    }

    /// Whether the rejection concerns the credential the password named (and is recorded
    /// against it): not for an unknown id or another user's.
    pub fn names_credential(self) -> bool {
        matches!(
            self,
            Reason::Revoked
                | Reason::WrongPassword
                | Reason::Expired
                | Reason::Disabled
                | Reason::Scope
                | Reason::Network
        )
    }

    /// The password was right, but this use of it is not allowed (HTTP 403, not 401).
    pub fn is_forbidden(self) -> bool {
        matches!(self, Reason::Scope | Reason::Network)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl From<crate::secret::TokenError> for Reason {
    fn from(e: crate::secret::TokenError) -> Reason {
        match e {
            crate::secret::TokenError::Malformed => Reason::Malformed,
            crate::secret::TokenError::Checksum => Reason::Checksum,
        }
    }
}

/// What [`decide`] concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The password is the credential's and it may be used; `rehash` asks for the stored
    /// hash to be brought up to these parameters (with the id's salt).
    Valid {
        rehash: Option<KdfParams>,
    },
    Rejected(Reason),
}

/// Whether a password matches a stored hash: the argon2 attempt ([`kdf::Attempt`]), or a
/// server's memory of a hash it has already checked.
pub trait Checker {
    fn check(&self, stored: &str) -> Result<Checked, BadHash>;

    /// Spends what checking `stored` would cost, for a credential that cannot be used
    /// anyway (another user's): the answer is always no, the time is not shorter.
    fn spend_like(&self, stored: Option<&str>);
}

impl Checker for kdf::Attempt<'_> {
    fn check(&self, stored: &str) -> Result<Checked, BadHash> {
        kdf::Attempt::check(self, stored)
    }

    fn spend_like(&self, stored: Option<&str>) {
        kdf::Attempt::spend_like(self, stored)
    }
}

/// What a password is claimed for.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub user: &'a str,
    /// The scope the check asks for, if any.
    pub scope: Option<&'a str>,
    /// Where the attempt comes from (an IP address for network limits to pass).
    pub source: Option<&'a str>,
}

impl<'a> Claim<'a> {
    pub fn user(user: &'a str) -> Claim<'a> {
        Claim {
            user,
            scope: None,
            source: None,
        }
    }
}

/// Whether a check may proceed to the password at all: the record exists, is the claimed
/// user's, and is not revoked. When it may not, [`decide`] rejects it without checking
/// (a server answers such requests without argon2).
pub fn needs_check(record: Option<&HashRecord>, claim: &Claim<'_>) -> bool {
    record.is_some_and(|r| r.user == claim.user && r.hash.is_some())
}

/// The decision for the claimed user's password, given the row its id named (if any).
/// Scopes are checked after the password, so a right password refused for its scope costs
/// what a wrong one costs. With the CLI's checker every path spends what one check costs, so
/// timing does not tell the reasons apart (except a hash made under other parameters, which
/// costs a second evaluation).
pub fn decide(
    record: Option<&HashRecord>,
    checker: &impl Checker,
    claim: &Claim<'_>,
    now: Timestamp,
) -> Result<Decision, BadHash> {
    let record = match record {
        Some(r) if r.user == claim.user => r,
        Some(r) => {
            checker.spend_like(r.hash.as_deref());
            return Ok(Decision::Rejected(Reason::Unknown));
        }
        None => return Ok(Decision::Rejected(Reason::Unknown)),
    };
    let Some(hash) = record.hash.as_deref() else {
        return Ok(Decision::Rejected(Reason::Revoked));
    };
    let checked = checker.check(hash)?;
    if !checked.valid {
        return Ok(Decision::Rejected(Reason::WrongPassword));
    }
    if record.expires_at.is_some_and(|at| at <= now) {
        return Ok(Decision::Rejected(Reason::Expired));
    }
    if record.disabled {
        return Ok(Decision::Rejected(Reason::Disabled));
    }
    if let Some(scope) = claim.scope {
        if !record.scopes.iter().any(|s| s == scope) {
            return Ok(Decision::Rejected(Reason::Scope));
        }
    }
    if !record.allow_from.is_empty() && !crate::access::allows(&record.allow_from, claim.source) {
        return Ok(Decision::Rejected(Reason::Network));
    }
    Ok(Decision::Valid {
        rehash: checked.rehash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A checker that says yes to one stored hash and counts what it was asked.
    struct Fixed {
        good: &'static str,
        checks: Cell<u32>,
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
        let fixed = || Fixed {
            good: "h",
            checks: Cell::new(0),
        };
        let cases: [(Option<HashRecord>, &str, Decision, u32); 6] = [
            (
                Some(record(Some("h"), None)),
                "deploy",
                Decision::Valid { rehash: None },
                1,
            ),
            (
                Some(record(Some("x"), None)),
                "deploy",
                Decision::Rejected(Reason::WrongPassword),
                1,
            ),
            (
                Some(record(Some("h"), None)),
                "other",
                Decision::Rejected(Reason::Unknown),
                1,
            ),
            (
                Some(record(None, None)),
                "deploy",
                Decision::Rejected(Reason::Revoked),
                0,
            ),
            (
                Some(record(Some("h"), Some(100))),
                "deploy",
                Decision::Rejected(Reason::Expired),
                1,
            ),
            (None, "deploy", Decision::Rejected(Reason::Unknown), 0),
        ];
        for (rec, user, want, checks) in cases {
            let checker = fixed();
            let got = decide(rec.as_ref(), &checker, &Claim::user(user), 100).unwrap();
            assert_eq!(
                needs_check(rec.as_ref(), &Claim::user(user)),
                checks == 1 && user == "deploy"
            );
            assert_eq!(got, want, "{user} {:?}", rec.as_ref().map(|r| &r.hash));
            assert_eq!(checker.checks.get(), checks, "{want:?}");
        }
    }

    #[test]
    fn scopes_are_checked_after_the_password() {
        let checker = Fixed {
            good: "h",
            checks: Cell::new(0),
        };
        let rec = record(Some("h"), None);
        let claim = |scope| Claim {
            user: "deploy",
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
        let checker = Fixed {
            good: "h",
            checks: Cell::new(0),
        };
        let rec = HashRecord {
            allow_from: vec!["10.0.0.0/8".into()],
            ..record(Some("h"), None)
        };
        let from = |source| {
            let claim = Claim {
                user: "deploy",
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
        let checker = Fixed {
            good: "h",
            checks: Cell::new(0),
        };
        let rec = HashRecord {
            disabled: true,
            ..record(Some("h"), None)
        };
        let with = |hash: &str| {
            let rec = HashRecord {
                hash: Some(hash.into()),
                ..rec.clone()
            };
            let claim = Claim {
                user: "deploy",
                scope: None,
                source: None,
            };
            decide(Some(&rec), &checker, &claim, 100).unwrap()
        };
        assert_eq!(with("h"), Decision::Rejected(Reason::Disabled));
        assert_eq!(with("other"), Decision::Rejected(Reason::WrongPassword));
        assert_eq!(checker.checks.get(), 2, "each refusal cost a check");
        assert!(Reason::Disabled.names_credential() && !Reason::Disabled.is_forbidden());
    }

    #[test]
    fn only_rejections_of_the_named_credential_name_it() {
        assert!(Reason::WrongPassword.names_credential());
        assert!(Reason::Expired.names_credential());
        assert!(!Reason::Unknown.names_credential());
        assert!(!Reason::Malformed.names_credential());
    }
}
