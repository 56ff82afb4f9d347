//! Verification, shared by `appw verify` and `appw serve`: one pipeline, whose stages are
//!
//! 1. **parse** ([`request`]): what was presented (an `Authorization` value, Basic or
//!    Bearer, or a user and a password) becomes a [`Request`], or an early refusal that
//!    costs neither a store read nor a hash ([`Early`]);
//! 2. **read**: the caller reads the one row the password's id names (its own I/O);
//! 3. **check and decide**: [`triage`] decides what the row alone decides (no such
//!    credential, another user's, revoked); else the password is checked (an argon2
//!    [`kdf::Attempt`], or a server's memory of this very password and hash) and
//!    [`conclude`] decides the rest. [`decide`] runs all of it with a [`Checker`];
//! 4. **outcome** ([`Outcome`]): what the decision means and what to record; the CLI
//!    writes it at once, the server aggregates it.
//!
//! Every fact about a rejection reason is in [`Reason`]'s one table: a new reason is a
//! variant, a line there, and its rule in [`triage`] or [`conclude`].

pub mod basic;
mod outcome;
pub mod request;

pub use outcome::{Outcome, Rejected, Valid, damaged, judge};
pub use request::{Early, Request, Schemes};

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

/// Where in the pipeline a reason refuses, which says everything callers ask of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before the store: the text is not an appw password.
    Format,
    /// From the row alone, naming no credential (none, or another user's).
    NoCredential,
    /// From the row alone: the named credential cannot be used whatever the password.
    Unusable,
    /// The password is not the credential's.
    Wrong,
    /// The password is right, but this use of it is refused; `forbidden`: for what was
    /// asked (a scope, a network: HTTP 403), not for the credential itself (401).
    RightButRefused { forbidden: bool },
}

impl Reason {
    /// The one table: each reason's message and stage.
    fn facts(self) -> (&'static str, Stage) {
        use Stage::*;
        match self {
            Reason::Malformed => ("the password is not in appw's format", Format),
            Reason::Checksum => ("the password's checksum does not match (a typo?)", Format),
            Reason::NoStore => (
                "no such credential (the store does not exist yet)",
                NoCredential,
            ),
            Reason::Unknown => ("no such credential for this user", NoCredential),
            Reason::Revoked => ("the credential is revoked", Unusable),
            Reason::WrongPassword => ("wrong password", Wrong),
            Reason::Expired => (
                "the credential has expired",
                RightButRefused { forbidden: false },
            ),
            Reason::Disabled => (
                "the credential is disabled",
                RightButRefused { forbidden: false },
            ),
            Reason::Scope => (
                "the credential lacks the scope asked for",
                RightButRefused { forbidden: true },
            ),
            Reason::Network => (
                "the source is outside the credential's allowed networks",
                RightButRefused { forbidden: true },
            ),
        }
    }

    pub fn message(self) -> &'static str {
        self.facts().0
    }

    /// Whether the rejection concerns the credential the password named (and is recorded
    /// against it): not for an unknown id or another user's.
    pub fn names_credential(self) -> bool {
        matches!(
            self.facts().1,
            Stage::Unusable | Stage::Wrong | Stage::RightButRefused { .. }
        )
    }

    /// The password was right (a server may remember it: the next request is decided
    /// without argon2 too).
    pub fn password_was_right(self) -> bool {
        matches!(self.facts().1, Stage::RightButRefused { .. })
    }

    /// The password was right, but this use of it is not allowed (HTTP 403, not 401).
    pub fn is_forbidden(self) -> bool {
        self.facts().1 == Stage::RightButRefused { forbidden: true }
    }

    /// Logged as `expired-on-use` rather than `rejected`.
    pub fn is_expiry(self) -> bool {
        self == Reason::Expired
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

/// Whether a password matches a stored hash: the argon2 attempt ([`kdf::Attempt`]).
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
    /// The user named with the password (Basic, `verify --user`); `None` when the password
    /// alone is presented (Bearer): then it is claimed for its credential's own user.
    pub user: Option<&'a str>,
    /// The scope the check asks for, if any.
    pub scope: Option<&'a str>,
    /// Where the attempt comes from (an IP address for network limits to pass).
    pub source: Option<&'a str>,
}

impl<'a> Claim<'a> {
    pub fn user(user: &'a str) -> Claim<'a> {
        Claim {
            user: Some(user),
            scope: None,
            source: None,
        }
    }
}

/// What the row alone decides, before the password is looked at.
pub enum Triage<'r> {
    /// Refused whatever the password: no such credential, another user's (`spend`: the
    /// hash an equal-cost refusal would check), or revoked.
    Refused {
        reason: Reason,
        spend: Option<&'r str>,
    },
    /// The password decides: check it against the stored hash of this row.
    Check {
        record: &'r HashRecord,
        hash: &'r str,
    },
}

/// Stage 3's first half: the row the password's id named (if any) against the claim.
pub fn triage<'r>(record: Option<&'r HashRecord>, claim: &Claim<'_>) -> Triage<'r> {
    let record = match record {
        Some(r) if claim.user.is_none_or(|u| u == r.user) => r,
        Some(r) => {
            return Triage::Refused {
                reason: Reason::Unknown,
                spend: r.hash.as_deref(),
            };
        }
        None => {
            return Triage::Refused {
                reason: Reason::Unknown,
                spend: None,
            };
        }
    };
    match record.hash.as_deref() {
        Some(hash) => Triage::Check { record, hash },
        None => Triage::Refused {
            reason: Reason::Revoked,
            spend: None,
        },
    }
}

/// Stage 3's second half, once the password has been checked against the hash [`triage`]
/// named. Expiry, a pause, scopes and networks are checked after the password, so a right
/// password refused for them costs what a wrong one costs.
pub fn conclude(
    record: &HashRecord,
    checked: &Checked,
    claim: &Claim<'_>,
    now: Timestamp,
) -> Decision {
    if !checked.valid {
        return Decision::Rejected(Reason::WrongPassword);
    }
    if record.expires_at.is_some_and(|at| at <= now) {
        return Decision::Rejected(Reason::Expired);
    }
    if record.disabled {
        return Decision::Rejected(Reason::Disabled);
    }
    if let Some(scope) = claim.scope {
        if !record.scopes.iter().any(|s| s == scope) {
            return Decision::Rejected(Reason::Scope);
        }
    }
    if !record.allow_from.is_empty() && !crate::access::allows(&record.allow_from, claim.source) {
        return Decision::Rejected(Reason::Network);
    }
    Decision::Valid {
        rehash: checked.rehash,
    }
}

/// The whole decision for the claim, given the row its id named (if any). With the CLI's
/// checker every path spends what one check costs, so timing does not tell the reasons
/// apart (except a hash made under other parameters, which costs a second evaluation).
pub fn decide(
    record: Option<&HashRecord>,
    checker: &impl Checker,
    claim: &Claim<'_>,
    now: Timestamp,
) -> Result<Decision, BadHash> {
    match triage(record, claim) {
        Triage::Refused { reason, spend } => {
            checker.spend_like(spend);
            Ok(Decision::Rejected(reason))
        }
        Triage::Check { record, hash } => {
            let checked = checker.check(hash)?;
            Ok(conclude(record, &checked, claim, now))
        }
    }
}

#[cfg(test)]
mod tests;
