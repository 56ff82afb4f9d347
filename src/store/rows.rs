//! The shapes both backends read rows into, and how each becomes a value. The shapes are
//! plain tuples, in the order every `SELECT` lists the columns, because both drivers read a
//! row into a tuple by themselves (rusqlite's `TryFrom<&Row>`, sqlx's `FromRow`). (What an
//! event holds is [`super::NewEvent`]'s to say.)

use super::{Credential, Event, HashRecord, StoredCredential, Timestamp, text_list};

/// `id, user, name, app_id, created, last_used, last_source, use_count, expires_at,
/// last_failed, last_failed_source, revoked_at, scopes, allow_from, disabled`. (`export`
/// selects `hash, replaced_by` after these: a 17-column tuple is past what the drivers
/// read by themselves, so each backend reads those two by position.)
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
    String,
    String,
    bool,
);

/// Where `hash` is in an `export` row (`replaced_by` follows).
pub const STORED_HASH: usize = 15;

/// `seq, at, kind, user, credential_id, name, source, detail, count, actor`.
pub type EventRow = (
    i64,
    Timestamp,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Option<String>,
);

/// `id, user, name, hash, expires_at, scopes, allow_from, disabled`.
pub type HashRow = (
    String,
    String,
    String,
    Option<String>,
    Option<Timestamp>,
    String,
    String,
    bool,
);

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
            scopes: text_list(&r.12),
            allow_from: text_list(&r.13),
            disabled: r.14,
        }
    }
}

impl StoredCredential {
    /// An exported row: the credential's columns, then its hash and successor.
    pub fn from_parts(
        row: CredentialRow,
        hash: Option<String>,
        replaced_by: Option<String>,
    ) -> StoredCredential {
        StoredCredential {
            credential: row.into(),
            hash,
            replaced_by,
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
            count: r.8,
            actor: r.9,
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
            scopes: text_list(&r.5),
            allow_from: text_list(&r.6),
            disabled: r.7,
        }
    }
}
