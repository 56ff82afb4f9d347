//! Stage 4: what a decision means, and what to record. The CLI writes an outcome at once
//! ([`Valid::use_`], [`Rejected::rejection`]); the server aggregates the same values.

use super::{Claim, Decision, Reason, conclude, decide};
use crate::error::Error;
use crate::secret::kdf::{Attempt, BadHash, Checked, KdfParams};
use crate::store::{HashRecord, Rejection, Timestamp, Use};

/// The outcome of one verification.
#[derive(Debug)]
pub enum Outcome {
    Valid(Valid),
    Rejected(Rejected),
}

/// A password that may be used: the credential it opened. Its `Debug` leaves the hashes
/// out: a hash never leaves the store, not even in a debug print.
pub struct Valid {
    pub id: String,
    pub user: String,
    pub name: String,
    /// The stored hash it was checked against (a use counts only if it is still stored).
    checked_hash: String,
    /// Stored hash to bring up to these parameters, while the password is at hand.
    rehash: Option<KdfParams>,
    /// The upgraded hash, once computed ([`judge`] computes it where it may be written).
    new_hash: Option<String>,
}

impl std::fmt::Debug for Valid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Valid")
            .field("id", &self.id)
            .field("user", &self.user)
            .field("name", &self.name)
            .field("rehash", &self.rehash)
            .field("new_hash", &self.new_hash.is_some())
            .finish_non_exhaustive()
    }
}

/// A refused password: why, and whom it is recorded against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub reason: Reason,
    /// The credential the password named, when the reason concerns it.
    pub id: Option<String>,
    /// The user named with the password, or for a password presented alone, its
    /// credential's user when that credential exists.
    pub user: Option<String>,
}

impl Outcome {
    /// The outcome of `decision` for the row the password's id named.
    pub fn of(decision: Decision, record: Option<&HashRecord>, claim: &Claim<'_>) -> Outcome {
        match (decision, record) {
            (Decision::Valid { rehash }, Some(r)) => Outcome::Valid(Valid {
                id: r.id.clone(),
                user: r.user.clone(),
                name: r.name.clone(),
                checked_hash: r.hash.clone().unwrap_or_default(),
                rehash,
                new_hash: None,
            }),
            (Decision::Valid { .. }, None) => Outcome::rejected(Reason::Unknown, None, claim),
            (Decision::Rejected(reason), record) => Outcome::rejected(reason, record, claim),
        }
    }

    /// A refusal for `reason`, recorded against the row when the reason concerns it.
    pub fn rejected(reason: Reason, record: Option<&HashRecord>, claim: &Claim<'_>) -> Outcome {
        Outcome::Rejected(Rejected::new(reason, record, claim))
    }

    /// The outcome of a password this process has verified against the very hash still
    /// stored (a server's warm path): decided without argon2.
    pub fn remembered(record: &HashRecord, claim: &Claim<'_>, now: Timestamp) -> Outcome {
        let checked = Checked {
            valid: true,
            rehash: None,
        };
        Outcome::of(conclude(record, &checked, claim, now), Some(record), claim)
    }

    /// Whether the password was the credential's (whatever else refused it): a server
    /// remembers such a password.
    pub fn password_was_right(&self) -> bool {
        match self {
            Outcome::Valid(_) => true,
            Outcome::Rejected(r) => r.reason.password_was_right(),
        }
    }
}

impl Rejected {
    fn new(reason: Reason, record: Option<&HashRecord>, claim: &Claim<'_>) -> Rejected {
        let id = record
            .filter(|_| reason.names_credential())
            .map(|r| r.id.clone());
        let user = claim
            .user
            .or_else(|| record.map(|r| r.user.as_str()))
            .map(str::to_string);
        Rejected { reason, id, user }
    }

    /// The rejection to record, from `source`.
    pub fn rejection<'a>(&'a self, source: Option<&'a str>) -> Rejection<'a> {
        Rejection {
            id: self.id.as_deref(),
            claimed_user: self.user.as_deref(),
            reason: self.reason.message(),
            source,
            expired: self.reason.is_expiry(),
        }
    }
}

impl Valid {
    /// The use to record, from `source`.
    pub fn use_<'a>(&'a self, source: Option<&'a str>) -> Use<'a> {
        Use {
            id: &self.id,
            checked_hash: &self.checked_hash,
            rehash: self.new_hash.as_deref(),
            source,
        }
    }

    /// `(checked hash, new hash)` when the use should also replace the stored hash.
    pub fn rehash(&self) -> Option<(String, String)> {
        self.new_hash
            .clone()
            .map(|new| (self.checked_hash.clone(), new))
    }

    /// The credential was revoked, rotated or paused between the read and the write of
    /// its use: that change won, and the password is refused for `reason`.
    pub fn refused_meanwhile(self, reason: Reason) -> Rejected {
        Rejected {
            reason,
            id: Some(self.id),
            user: Some(self.user),
        }
    }
}

/// Stages 3 and 4 with an argon2 attempt whose one evaluation has run: the decision, its
/// outcome, and for a valid password whose stored hash is weaker than the policy or salted
/// the old way, the upgraded hash. `may_rehash` says whether it may be written (a
/// verify-only database role may not); it is asked only when an upgrade is due. A stored
/// hash that cannot be read fails the store, never the password.
pub fn judge(
    record: Option<&HashRecord>,
    attempt: &Attempt<'_>,
    claim: &Claim<'_>,
    now: Timestamp,
    may_rehash: impl FnOnce() -> Result<bool, Error>,
) -> Result<Outcome, Error> {
    let decision = decide(record, attempt, claim, now).map_err(|e| damaged(record, e))?;
    let mut outcome = Outcome::of(decision, record, claim);
    if let Outcome::Valid(valid) = &mut outcome {
        if let Some(target) = valid.rehash {
            if may_rehash()? {
                valid.new_hash = Some(attempt.rehash(target));
            }
        }
    }
    Ok(outcome)
}

/// A stored hash that is not a PHC string appw can read: the store is damaged.
pub fn damaged(record: Option<&HashRecord>, e: BadHash) -> Error {
    let id = record.map_or("", |r| r.id.as_str());
    Error::Unavailable(format!("credential {id}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_outcome_prints_no_hash_in_debug() {
        let valid = Valid {
            id: "abcdefgh1234".into(),
            user: "deploy".into(),
            name: "CI".into(),
            checked_hash: "$argon2id$stored-hash".into(),
            rehash: Some(KdfParams::default()),
            new_hash: Some("$argon2id$upgraded-hash".into()),
        };
        let printed = format!("{:?}", Outcome::Valid(valid));
        assert!(printed.contains("abcdefgh1234"), "{printed}");
        assert!(!printed.contains("stored-hash"), "{printed}");
        assert!(!printed.contains("upgraded-hash"), "{printed}");
    }
}
