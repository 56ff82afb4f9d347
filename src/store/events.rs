//! The audit log's shared meaning: what an event holds, how one is built for each kind of
//! change, and the batches a server writes. Each backend only stores and reads them.

use super::{Rejection, Timestamp};

/// One line of the audit log. Holds no secret and no hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub seq: i64,
    pub at: Timestamp,
    pub kind: String,
    pub user: Option<String>,
    pub credential_id: Option<String>,
    pub name: Option<String>,
    pub source: Option<String>,
    pub detail: Option<String>,
    /// How many identical occurrences the event stands for (`at` is the last of them): a
    /// server records one `verified` event per credential, source and interval.
    pub count: i64,
    /// Who made the change (`cli:root`, `credential:ID`); `None` for uses and rejections,
    /// and for events an older appw wrote.
    pub actor: Option<String>,
}

/// An event about to be written, built by the shared meaning below; each backend only
/// inserts it.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub at: Timestamp,
    pub kind: &'a str,
    pub user: Option<&'a str>,
    pub credential_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub source: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub count: i64,
    pub actor: Option<&'a str>,
}

impl<'a> NewEvent<'a> {
    pub fn new(kind: &'a str, at: Timestamp) -> NewEvent<'a> {
        NewEvent {
            at,
            kind,
            user: None,
            credential_id: None,
            name: None,
            source: None,
            detail: None,
            count: 1,
            actor: None,
        }
    }

    /// An event about one credential of `user`.
    pub fn about(kind: &'a str, at: Timestamp, user: &'a str, id: &'a str, name: &'a str) -> Self {
        NewEvent {
            user: Some(user),
            credential_id: Some(id),
            name: Some(name),
            ..NewEvent::new(kind, at)
        }
    }

    pub fn detail(self, detail: Option<&'a str>) -> Self {
        NewEvent { detail, ..self }
    }

    pub fn source(self, source: Option<&'a str>) -> Self {
        NewEvent { source, ..self }
    }

    pub fn count(self, count: i64) -> Self {
        NewEvent { count, ..self }
    }

    /// The change was made by `actor`.
    pub fn by(self, actor: &'a str) -> Self {
        NewEvent {
            actor: Some(actor),
            ..self
        }
    }

    /// The event a rejection is logged as; `name` is the named credential's, if it exists.
    pub fn rejection(r: &'a Rejection<'a>, name: Option<&'a str>, at: Timestamp) -> Self {
        let kind = if r.expired {
            kind::EXPIRED_ON_USE
        } else {
            kind::REJECTED
        };
        NewEvent {
            user: r.claimed_user,
            credential_id: r.id,
            name,
            source: r.source,
            detail: Some(r.reason),
            ..NewEvent::new(kind, at)
        }
    }
}

/// Uses and rejections gathered over one interval (by `appw serve`), written in one
/// transaction by [`Store::record_uses`], one event per distinct occurrence with its count.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    pub uses: Vec<UseCount>,
    pub rejections: Vec<RejectionCount>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.uses.is_empty() && self.rejections.is_empty()
    }
}

/// `count` successful verifications of one credential from one source, the last at `at`.
/// Unlike [`Use`], it counts even if the credential was revoked since: each use was
/// answered while it was valid. (No `Debug` beyond the derive's: it holds no secret, the
/// rehash is a hash, which never leaves the store, so it is skipped.)
#[derive(Clone)]
pub struct UseCount {
    pub id: String,
    pub source: Option<String>,
    pub count: i64,
    pub at: Timestamp,
    /// `(checked_hash, new_hash)`: replaces the stored hash if it is still `checked_hash`.
    pub rehash: Option<(String, String)>,
}

impl std::fmt::Debug for UseCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UseCount")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("count", &self.count)
            .field("at", &self.at)
            .field("rehash", &self.rehash.is_some())
            .finish()
    }
}

/// `count` identical rejections, the last at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RejectionCount {
    pub id: Option<String>,
    pub claimed_user: Option<String>,
    pub reason: &'static str,
    pub source: Option<String>,
    pub expired: bool,
    pub count: i64,
    pub at: Timestamp,
}

impl RejectionCount {
    /// The `rejected` (or `expired-on-use`) event these occurrences are logged as, with the
    /// named credential's name if it exists.
    pub fn event<'a>(
        &'a self,
        rejection: &'a Rejection<'a>,
        name: Option<&'a str>,
    ) -> NewEvent<'a> {
        NewEvent::rejection(rejection, name, self.at).count(self.count)
    }

    /// The occurrences as one rejection.
    pub fn rejection(&self) -> Rejection<'_> {
        Rejection {
            id: self.id.as_deref(),
            claimed_user: self.claimed_user.as_deref(),
            reason: self.reason,
            source: self.source.as_deref(),
            expired: self.expired,
        }
    }
}

/// How much a write must survive before appw reports it done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Grants or takes away access (create, revoke, rotate, rename, import...): on disk
    /// before the command says it is done, or a power loss could bring a revoked password
    /// back.
    Durable,
    /// Use records: a power loss may lose the last ones, never a revoke.
    Relaxed,
}

/// Event kinds, as stored and printed.
pub mod kind {
    pub const CREATED: &str = "created";
    pub const VERIFIED: &str = "verified";
    pub const REJECTED: &str = "rejected";
    pub const REVOKED: &str = "revoked";
    pub const REVOKE_ALL: &str = "revoke-all";
    pub const ROTATED: &str = "rotated";
    pub const RENAMED: &str = "renamed";
    pub const UPDATED: &str = "updated";
    /// `disable`: paused, refused everywhere until enabled.
    pub const DISABLED: &str = "disabled";
    pub const ENABLED: &str = "enabled";
    pub const EXPIRED_ON_USE: &str = "expired-on-use";
    /// `log --prune`: older events were deleted (the count in `detail`).
    pub const PRUNED: &str = "pruned";
    /// Every kind, in the order a credential's life meets them (for docs and tests).
    pub const ALL: &[&str] = &[
        CREATED,
        VERIFIED,
        REJECTED,
        EXPIRED_ON_USE,
        ROTATED,
        RENAMED,
        UPDATED,
        DISABLED,
        ENABLED,
        REVOKED,
        REVOKE_ALL,
        PRUNED,
    ];
}
