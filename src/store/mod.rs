//! The store: every byte of SQL lives behind the [`Store`] trait, one implementation per
//! backend. Commands see credentials, events and errors, never a connection.
//!
//! Each method that writes is one transaction that takes the write lock up front, and
//! records its audit event inside that same transaction. Times are Unix seconds (UTC) and
//! always come in as `now`, so tests control the clock.

mod events;
mod meaning;
pub mod pool;
pub mod postgres;
pub(crate) mod rows;
pub mod sqlite;
mod trust;

use std::path::PathBuf;

use crate::error::{Error, Result};

pub use events::{Batch, Durability, Event, NewEvent, RejectionCount, UseCount, kind};
pub use meaning::{
    Change, Changes, FOLDED_NAME_KEYS, KeyedRow, duplicate_name, list_text, name_key,
    refolded_keys, text_list,
};
pub(crate) use meaning::{check_empty, detail, one_match, refuse_revoked, unknown_id};

pub use crate::when::Timestamp;

/// A credential's metadata: everything but its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub id: String,
    pub user: String,
    pub name: String,
    pub app_id: Option<String>,
    pub created: Timestamp,
    pub last_used: Option<Timestamp>,
    pub last_source: Option<String>,
    pub use_count: i64,
    pub expires_at: Option<Timestamp>,
    pub last_failed: Option<Timestamp>,
    pub last_failed_source: Option<String>,
    pub revoked_at: Option<Timestamp>,
    /// What it may be used for; empty: only checks that ask for no scope.
    pub scopes: Vec<String>,
    /// Networks it may be used from, as written; empty: anywhere.
    pub allow_from: Vec<String>,
    /// Paused: it verifies nowhere until enabled again (it keeps its hash and history).
    pub disabled: bool,
}

impl Credential {
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// A credential about to be written (the store derives the key that name uniqueness is
/// checked on with [`name_key`]).
pub struct NewCredential {
    pub id: String,
    pub user: String,
    pub name: String,
    pub app_id: Option<String>,
    pub hash: String,
    pub expires_at: Option<Timestamp>,
    pub scopes: Vec<String>,
    pub allow_from: Vec<String>,
    /// Written paused (`rotate` of a disabled credential keeps it disabled).
    pub disabled: bool,
}

/// What `verify` needs to decide: the hash, and whether the credential may be used at all.
#[derive(Clone)]
pub struct HashRecord {
    pub id: String,
    pub user: String,
    pub name: String,
    /// `None` once revoked or rotated: the hash is not kept usable.
    pub hash: Option<String>,
    pub expires_at: Option<Timestamp>,
    /// What the credential may be used for; none means only checks that ask for no scope.
    pub scopes: Vec<String>,
    /// Networks it may be used from; none means anywhere.
    pub allow_from: Vec<String>,
    /// Paused: refused (after the password is checked) until enabled again.
    pub disabled: bool,
}

/// A successful verification to record. It only counts if the credential is still active
/// when the write lands: a revoke or rotate that committed in between wins. The rehash only
/// replaces the stored hash if it is still `checked_hash` (two verifiers upgrading the same
/// hash at once both count; one upgrade is kept).
pub struct Use<'a> {
    pub id: &'a str,
    pub checked_hash: &'a str,
    /// A new hash of the same password, when the stored one is weaker than the policy or
    /// salted the way an older appw did.
    pub rehash: Option<&'a str>,
    pub source: Option<&'a str>,
}

/// What became of a [`Use`]: counted, or refused because the credential changed between
/// the read of its hash and the write of its use (that change won).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Counted,
    /// Revoked or rotated meanwhile.
    Revoked,
    /// Paused meanwhile.
    Disabled,
}

/// The `verified` event's detail when the use also replaced the hash.
pub const REHASHED: &str = "rehashed: salted with the id, at least the --kdf policy's cost";

/// A failed verification to record.
pub struct Rejection<'a> {
    /// The credential the password pointed at, when it exists.
    pub id: Option<&'a str>,
    /// The user named with the password, or for a password presented alone (Bearer), its
    /// credential's user; `None` when neither is known.
    pub claimed_user: Option<&'a str>,
    pub reason: &'static str,
    pub source: Option<&'a str>,
    /// The password was right but the credential had expired.
    pub expired: bool,
}

/// Which credentials `list` shows; revoked ones never.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub user: Option<String>,
    pub expired_only: bool,
    /// Only those expiring at or before this time (and not yet expired).
    pub expiring_before: Option<Timestamp>,
}

#[derive(Debug, Default, Clone)]
pub struct LogFilter {
    /// Events about this user, and store-wide `revoke-all` events (which revoked theirs too).
    pub user: Option<String>,
    pub since: Option<Timestamp>,
}

/// Whether opening may create the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `list` and `verify`: a missing store is not created.
    Existing,
    /// Commands that write: create the store (and its folder) when missing.
    Create,
}

/// Where the store is. Printed (`{}` or `{:?}`) without any password a URL holds.
#[derive(Clone)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&postgres::redact(url)),
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({self})")
    }
}

impl Location {
    /// `--db`/`$APPW_DB` if given, else the per-user data folder.
    pub fn resolve(db: Option<PathBuf>) -> Result<Location> {
        if let Some(db) = db {
            if let Some(url) = db.to_str().filter(|s| is_postgres_url(s)) {
                return Ok(Location::Postgres(url.to_string()));
            }
            return Ok(Location::Sqlite(db));
        }
        let dirs = directories::ProjectDirs::from("", "", "appw").ok_or_else(|| {
            Error::Unavailable(
                "cannot find a home folder for the default store; pass --db PATH or set APPW_DB"
                    .into(),
            )
        })?;
        Ok(Location::Sqlite(dirs.data_dir().join("credentials.db")))
    }
}

pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// Opens the store at `location`; `Ok(None)` when it does not exist and `access` is
/// [`Access::Existing`].
pub fn open(location: &Location, access: Access) -> Result<Option<Box<dyn Store>>> {
    match location {
        Location::Sqlite(path) => {
            Ok(sqlite::SqliteStore::open(path, access)?.map(|s| Box::new(s) as Box<dyn Store>))
        }
        Location::Postgres(url) => {
            Ok(postgres::PgStore::open(url, access)?.map(|s| Box::new(s) as Box<dyn Store>))
        }
    }
}

/// The operations need; one implementation per backend. Every write that changes something
/// records `actor` (`cli:root`, `credential:ID`) on its event.
pub trait Store: Send {
    /// Inserts a credential and its `created` event. `Ok(false)` when the id is taken (the
    /// caller draws a new one); a duplicate active name is refused.
    fn insert(&mut self, new: &NewCredential, now: Timestamp, actor: &str) -> Result<bool>;

    /// The hash and usability of the credential with exactly this id.
    fn hash_record(&mut self, id: &str) -> Result<Option<HashRecord>>;

    /// Records a successful verification (one more use, last used, source, `verified`
    /// event, and the rehash if any), unless the credential was revoked, rotated or
    /// disabled since its hash was read: the verification must then be rejected, for
    /// what [`Recorded`] says.
    fn record_use(&mut self, use_: &Use<'_>, now: Timestamp) -> Result<Recorded>;

    /// Gets the writes that record a verification's outcome ready while its hash is
    /// computed: on PostgreSQL, parses their statements, so that the write after the hash
    /// is one round trip instead of two. Nothing to do elsewhere.
    fn prepare_verify_writes(&mut self) -> Result<()> {
        Ok(())
    }

    /// Called on a connection to a SQLite file that is no longer the one at the store's
    /// path (moved, replaced, removed), before it is closed: its WAL, which the path's
    /// `-wal` may still be, is folded into the orphaned file and emptied, so that a store
    /// renamed into place does not take the old store's pages for its own. Nothing to do
    /// elsewhere.
    fn retire(&mut self) {}

    /// Whether this connection may replace hashes (a verify-only database role may not):
    /// `verify` asks before spending a second argon2 evaluation on an upgrade.
    fn may_rehash(&mut self) -> Result<bool> {
        Ok(true)
    }

    /// Records a failed verification: a `rejected` event, and the credential's last failure
    /// when the password pointed at one.
    fn record_rejection(&mut self, rejection: &Rejection<'_>, now: Timestamp) -> Result<()>;

    /// Records a server's interval of uses and rejections in one transaction: use counts,
    /// last used and source, last failed, rehashes, and one event per distinct occurrence
    /// with its count.
    fn record_uses(&mut self, batch: &Batch) -> Result<()>;

    /// Active (not revoked) credentials, by user then creation.
    fn list(&mut self, filter: &ListFilter, now: Timestamp) -> Result<Vec<Credential>>;

    /// How many active (not revoked) credentials there are, of `user` or in all: what
    /// `revoke_all` would revoke now.
    fn count_active(&mut self, user: Option<&str>) -> Result<u64>;

    /// The credential with this id or unambiguous id prefix, revoked or not.
    fn get(&mut self, id_or_prefix: &str) -> Result<Credential>;

    /// The user's active credential with this name (case-insensitive).
    fn find_by_name(&mut self, user: &str, name: &str) -> Result<Option<Credential>>;

    /// Revokes the given active credentials, all or none; returns them as revoked.
    fn revoke(&mut self, ids: &[String], now: Timestamp, actor: &str) -> Result<Vec<Credential>>;

    /// Revokes every active credential (of `user`), returning how many.
    fn revoke_all(&mut self, user: Option<&str>, now: Timestamp, actor: &str) -> Result<u64>;

    /// Retires `old_id` and inserts `new` in its place, in one transaction.
    /// `Ok(false)` when `new.id` is taken.
    fn rotate(
        &mut self,
        old_id: &str,
        new: &NewCredential,
        now: Timestamp,
        actor: &str,
    ) -> Result<bool>;

    /// Changes an active credential's name (a `renamed` event), whether it is disabled (a
    /// `disabled` or `enabled` event, none when it already was), its scopes, networks or
    /// expiry (an `updated` event), in one transaction; returns it as it now is.
    fn update(
        &mut self,
        id: &str,
        changes: &Changes,
        now: Timestamp,
        actor: &str,
    ) -> Result<Credential>;

    /// The audit log, oldest first.
    fn events(&mut self, filter: &LogFilter) -> Result<Vec<Event>>;

    /// Deletes events older than `before` and records a `pruned` event with the count (so
    /// history never disappears without a trace), returning how many.
    fn prune_events(&mut self, before: Timestamp, now: Timestamp, actor: &str) -> Result<u64>;

    /// Everything in the store, hashes included, read from one consistent snapshot (for
    /// `copy-store`).
    fn export(&mut self) -> Result<Dump>;

    /// Writes a [`Dump`] as it is into this store in one transaction; refused when the
    /// store already holds credentials or events.
    fn import(&mut self, dump: &Dump) -> Result<()>;
}

/// A whole store, for moving it between backends without re-issuing any password.
/// (No `Debug`: it holds hashes, which never leave the store except into another store.)
#[derive(Clone)]
pub struct Dump {
    pub credentials: Vec<StoredCredential>,
    pub events: Vec<Event>,
}

/// A credential as stored: its metadata, its hash (`None` once revoked) and its successor.
#[derive(Clone)]
pub struct StoredCredential {
    pub credential: Credential,
    pub hash: Option<String>,
    pub replaced_by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_keyed_by_full_case_folding() {
        assert_eq!(name_key("Straße"), name_key("STRASSE"));
        assert_eq!(name_key("ΟΔΟΣ"), name_key("οδοσ"));
        assert_eq!(name_key("ΟΔΟΣ"), name_key("οδος"));
        assert_eq!(name_key("GitHub CI"), "github ci");
        assert_ne!(name_key("ci"), name_key("c i"));
    }

    #[test]
    fn refolding_keeps_names_that_now_collide_usable() {
        let row = |id: &str, user: &str, name: &str, active| KeyedRow {
            id: id.into(),
            user: user.into(),
            name: name.into(),
            active,
        };
        let keys = refolded_keys([
            row("a", "u", "STRASSE", false),
            row("b", "u", "Straße", true),
            row("c", "u", "strasse", true),
            row("d", "v", "strasse", true),
        ]);
        assert_eq!(
            keys,
            [
                ("a".to_string(), "strasse".to_string()),
                ("b".into(), "strasse".into()),
                ("c".into(), "strasse\u{1}c".into()),
                ("d".into(), "strasse".into()),
            ]
        );
    }

    #[test]
    fn a_location_never_prints_its_password() {
        let pg = Location::Postgres("postgres://appw:hunter2@db.example/appw".into());
        for shown in [pg.to_string(), format!("{pg:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("appw@db.example/appw"), "{shown}");
        }
        assert_eq!(
            Location::Sqlite("/tmp/x.db".into()).to_string(),
            "/tmp/x.db"
        );
    }
}
