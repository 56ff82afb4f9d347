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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
        }
    }

    /// Whether the rejection concerns the credential the password named (and is recorded
    /// against it): not for an unknown id or another user's.
    pub fn names_credential(self) -> bool {
        matches!(
            self,
            Reason::Revoked | Reason::WrongPassword | Reason::Expired
        )
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

/// The decision for `user`'s password, given the row its id named (if any). Every path
/// spends what one check costs, so timing does not tell the reasons apart (except a hash
/// made under other parameters, which costs a second evaluation).
pub fn decide(
    record: Option<&HashRecord>,
    checker: &impl Checker,
    user: &str,
    now: Timestamp,
) -> Result<Decision, BadHash> {
    let record = match record {
        Some(r) if r.user == user => r,
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
            let got = decide(rec.as_ref(), &checker, user, 100).unwrap();
            assert_eq!(got, want, "{user} {:?}", rec.as_ref().map(|r| &r.hash));
            assert_eq!(checker.checks.get(), checks, "{want:?}");
        }
    }

    #[test]
    fn only_rejections_of_the_named_credential_name_it() {
        assert!(Reason::WrongPassword.names_credential());
        assert!(Reason::Expired.names_credential());
        assert!(!Reason::Unknown.names_credential());
        assert!(!Reason::Malformed.names_credential());
    }
}
