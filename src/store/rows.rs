//! What both backends mean by a row and by an event: the shapes they read rows into, and the
//! fields each kind of audit event carries. Each backend only supplies the SQL around them.
//!
//! The shapes are plain tuples, in the order every `SELECT` lists the columns, because both
//! drivers read a row into a tuple by themselves (rusqlite's `TryFrom<&Row>`, sqlx's
//! `FromRow`).

use std::borrow::Cow;

use super::{
    Credential, Event, HashRecord, NewCredential, REHASHED, Rejection, StoredCredential, Timestamp,
    Use, kind,
};

/// `id, user, name, app_id, created, last_used, last_source, use_count, expires_at,
/// last_failed, last_failed_source, revoked_at`.
pub type CredentialRow = (
    String,
    String,
    String,
    Option<String>,
    Timestamp,
    Option<Timestamp>,
    Option<String>,
    i64,
    Option<Timestamp>,
    Option<Timestamp>,
    Option<String>,
    Option<Timestamp>,
);

/// [`CredentialRow`]'s columns, then `hash, replaced_by` (for `export`).
pub type StoredRow = (
    String,
    String,
    String,
    Option<String>,
    Timestamp,
    Option<Timestamp>,
    Option<String>,
    i64,
    Option<Timestamp>,
    Option<Timestamp>,
    Option<String>,
    Option<Timestamp>,
    Option<String>,
    Option<String>,
);

/// `seq, at, kind, user, credential_id, name, source, detail`.
pub type EventRow = (
    i64,
    Timestamp,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// `id, user, name, hash, expires_at`.
pub type HashRow = (String, String, String, Option<String>, Option<Timestamp>);

impl From<CredentialRow> for Credential {
    fn from(r: CredentialRow) -> Credential {
        Credential {
            id: r.0,
            user: r.1,
            name: r.2,
            app_id: r.3,
            created: r.4,
            last_used: r.5,
            last_source: r.6,
            use_count: r.7,
            expires_at: r.8,
            last_failed: r.9,
            last_failed_source: r.10,
            revoked_at: r.11,
        }
    }
}

impl From<StoredRow> for StoredCredential {
    fn from(r: StoredRow) -> StoredCredential {
        StoredCredential {
            credential: (r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11).into(),
            hash: r.12,
            replaced_by: r.13,
        }
    }
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Event {
        Event {
            seq: r.0,
            at: r.1,
            kind: r.2,
            user: r.3,
            credential_id: r.4,
            name: r.5,
            source: r.6,
            detail: r.7,
        }
    }
}

impl From<HashRow> for HashRecord {
    fn from(r: HashRow) -> HashRecord {
        HashRecord {
            id: r.0,
            user: r.1,
            name: r.2,
            hash: r.3,
            expires_at: r.4,
        }
    }
}

/// An audit event about to be written: everything but `seq` and `at`. Each kind has one
/// constructor, which decides its fields for both backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent<'a> {
    pub kind: &'static str,
    pub user: Option<&'a str>,
    pub credential_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub source: Option<&'a str>,
    pub detail: Option<Cow<'a, str>>,
}

impl<'a> NewEvent<'a> {
    fn new(kind: &'static str) -> NewEvent<'a> {
        NewEvent {
            kind,
            user: None,
            credential_id: None,
            name: None,
            source: None,
            detail: None,
        }
    }

    /// The credential's owner and its name as the write found them (a backend that writes
    /// the event in the same statement as the row takes them from the row instead).
    pub fn about(mut self, user: &'a str, name: Option<&'a str>) -> NewEvent<'a> {
        self.user = Some(user);
        self.name = name;
        self
    }

    pub fn created(new: &'a NewCredential) -> NewEvent<'a> {
        NewEvent {
            credential_id: Some(&new.id),
            ..NewEvent::new(kind::CREATED).about(&new.user, Some(&new.name))
        }
    }

    /// A counted use; owner and name come from the row the use updated ([`Self::about`]).
    pub fn verified(u: &Use<'a>) -> NewEvent<'a> {
        NewEvent {
            credential_id: Some(u.id),
            source: u.source,
            detail: u.rehash.map(|_| Cow::Borrowed(REHASHED)),
            ..NewEvent::new(kind::VERIFIED)
        }
    }

    /// A failed verification: `expired-on-use` when the password was right but too late,
    /// else `rejected`, with the reason. The user is the one claimed; the name, the
    /// credential's when the password named one ([`Self::about`]).
    pub fn rejected(r: &Rejection<'a>) -> NewEvent<'a> {
        let kind = if r.expired {
            kind::EXPIRED_ON_USE
        } else {
            kind::REJECTED
        };
        NewEvent {
            user: Some(r.claimed_user),
            credential_id: r.id,
            source: r.source,
            detail: Some(Cow::Borrowed(r.reason)),
            ..NewEvent::new(kind)
        }
    }

    pub fn revoked(id: &'a str, user: &'a str, name: &'a str) -> NewEvent<'a> {
        NewEvent {
            credential_id: Some(id),
            ..NewEvent::new(kind::REVOKED).about(user, Some(name))
        }
    }

    /// Store-wide (no user) unless `user` was given.
    pub fn revoke_all(user: Option<&'a str>, count: u64) -> NewEvent<'a> {
        NewEvent {
            user,
            detail: Some(Cow::Owned(format!("count={count}"))),
            ..NewEvent::new(kind::REVOKE_ALL)
        }
    }

    /// About the new credential, naming the one it replaced.
    pub fn rotated(new: &'a NewCredential, old_id: &str) -> NewEvent<'a> {
        NewEvent {
            credential_id: Some(&new.id),
            detail: Some(Cow::Owned(format!("replaced {old_id}"))),
            ..NewEvent::new(kind::ROTATED).about(&new.user, Some(&new.name))
        }
    }

    pub fn renamed(id: &'a str, user: &'a str, new_name: &'a str, old_name: &str) -> NewEvent<'a> {
        NewEvent {
            credential_id: Some(id),
            detail: Some(Cow::Owned(format!("was {old_name:?}"))),
            ..NewEvent::new(kind::RENAMED).about(user, Some(new_name))
        }
    }

    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_right_password_too_late_is_expired_on_use_not_rejected() {
        let mut r = Rejection {
            id: Some("abc"),
            claimed_user: "ci",
            reason: "the credential has expired",
            source: None,
            expired: true,
        };
        assert_eq!(NewEvent::rejected(&r).kind, kind::EXPIRED_ON_USE);
        r.expired = false;
        let ev = NewEvent::rejected(&r);
        assert_eq!(ev.kind, kind::REJECTED);
        assert_eq!(ev.detail(), Some("the credential has expired"));
        assert_eq!(ev.user, Some("ci"));
    }
}
