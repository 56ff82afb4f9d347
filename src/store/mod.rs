//! The store: every byte of SQL lives behind the [`Store`] trait, one implementation per
//! backend. Commands see credentials, events and errors, never a connection.
//!
//! Each method that writes is one transaction that takes the write lock up front, and
//! records its audit event inside that same transaction. Times are Unix seconds (UTC) and
//! always come in as `now`, so tests control the clock.

pub mod pool;
pub mod postgres;
pub(crate) mod rows;
pub mod sqlite;
mod trust;

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Unix time in seconds, UTC.
pub type Timestamp = i64;

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
}

/// What `update` changes; `None` leaves an attribute as it is.
#[derive(Debug, Default, Clone)]
pub struct Changes {
    pub scopes: Option<Vec<String>>,
    pub allow_from: Option<Vec<String>>,
    pub expires_at: Option<Option<Timestamp>>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.scopes.is_none() && self.allow_from.is_none() && self.expires_at.is_none()
    }

    /// The `updated` event's detail: what was set, in the store's own words.
    pub fn detail(&self) -> String {
        let mut parts = Vec::new();
        if let Some(scopes) = &self.scopes {
            parts.push(format!("scopes={}", list_text(scopes)));
        }
        if let Some(networks) = &self.allow_from {
            parts.push(format!("allow_from={}", list_text(networks)));
        }
        if let Some(expires_at) = self.expires_at {
            parts.push(match expires_at {
                Some(at) => format!("expires_at={at}"),
                None => "expires_at=never".into(),
            });
        }
        parts.join(" ")
    }
}

/// Scopes and networks as one column: space-separated (neither can hold a space).
pub fn list_text(items: &[String]) -> String {
    items.join(" ")
}

/// The inverse of [`list_text`].
pub fn text_list(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
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

/// The `verified` event's detail when the use also replaced the hash.
pub const REHASHED: &str = "rehashed: salted with the id, at least the --kdf policy's cost";

/// A failed verification to record.
pub struct Rejection<'a> {
    /// The credential the password pointed at, when it exists.
    pub id: Option<&'a str>,
    pub claimed_user: &'a str,
    pub reason: &'a str,
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

    /// The event a rejection is logged as; `name` is the named credential's, if it exists.
    pub fn rejection(r: &'a Rejection<'a>, name: Option<&'a str>, at: Timestamp) -> Self {
        let kind = if r.expired {
            kind::EXPIRED_ON_USE
        } else {
            kind::REJECTED
        };
        NewEvent {
            user: Some(r.claimed_user),
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
    pub claimed_user: String,
    pub reason: &'static str,
    pub source: Option<String>,
    pub expired: bool,
    pub count: i64,
    pub at: Timestamp,
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
        REVOKED,
        REVOKE_ALL,
        PRUNED,
    ];
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
            Error::Store(
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

/// The operations commands need; one implementation per backend.
pub trait Store: Send {
    /// Inserts a credential and its `created` event. `Ok(false)` when the id is taken (the
    /// caller draws a new one); a duplicate active name is refused.
    fn insert(&mut self, new: &NewCredential, now: Timestamp) -> Result<bool>;

    /// The hash and usability of the credential with exactly this id.
    fn hash_record(&mut self, id: &str) -> Result<Option<HashRecord>>;

    /// Records a successful verification (one more use, last used, source, `verified`
    /// event, and the rehash if any). `Ok(false)` if the credential was revoked or rotated
    /// since its hash was read: the verification must then be rejected.
    fn record_use(&mut self, use_: &Use<'_>, now: Timestamp) -> Result<bool>;

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

    /// The credential with this id or unambiguous id prefix, revoked or not.
    fn get(&mut self, id_or_prefix: &str) -> Result<Credential>;

    /// The user's active credential with this name (case-insensitive).
    fn find_by_name(&mut self, user: &str, name: &str) -> Result<Option<Credential>>;

    /// Revokes the given active credentials, all or none.
    fn revoke(&mut self, ids: &[String], now: Timestamp) -> Result<()>;

    /// Revokes every active credential (of `user`), returning how many.
    fn revoke_all(&mut self, user: Option<&str>, now: Timestamp) -> Result<u64>;

    /// Retires `old_id` and inserts `new` in its place, in one transaction.
    /// `Ok(false)` when `new.id` is taken.
    fn rotate(&mut self, old_id: &str, new: &NewCredential, now: Timestamp) -> Result<bool>;

    /// Renames an active credential.
    fn rename(&mut self, id: &str, new_name: &str, now: Timestamp) -> Result<()>;

    /// Changes an active credential's scopes, networks or expiry (an `updated` event);
    /// returns it as it now is.
    fn update(&mut self, id: &str, changes: &Changes, now: Timestamp) -> Result<Credential>;

    /// The audit log, oldest first.
    fn events(&mut self, filter: &LogFilter) -> Result<Vec<Event>>;

    /// Deletes events older than `before` and records a `pruned` event with the count (so
    /// history never disappears without a trace), returning how many.
    fn prune_events(&mut self, before: Timestamp, now: Timestamp) -> Result<u64>;

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

/// `import` only fills an empty store: merging two stores' logs and names is not a copy.
fn check_empty(credentials: i64, events: i64) -> Result<()> {
    if credentials > 0 || events > 0 {
        return Err(Error::Refused(format!(
            "the destination store is not empty ({credentials} credentials, {events} events); \
             copy-store only fills an empty store"
        )));
    }
    Ok(())
}

/// Refusal of a change to a revoked credential: "credential ID is {how}".
fn refuse_revoked(id: &str, how: &str) -> Error {
    Error::Refused(format!("credential {id} is {how}"))
}

/// The `detail` of the events both backends write the same way.
mod detail {
    pub fn revoke_all(count: impl std::fmt::Display) -> String {
        format!("count={count}")
    }

    pub fn pruned(count: impl std::fmt::Display) -> String {
        format!("count={count}")
    }

    pub fn rotated(old_id: &str) -> String {
        format!("replaced {old_id}")
    }

    pub fn renamed(old_name: &str) -> String {
        format!("was {old_name:?}")
    }
}

/// Refusal of a second active credential with the same name (case-insensitive) for a user.
pub fn duplicate_name(user: &str, name: &str) -> Error {
    Error::Refused(format!(
        "user {} already has an active credential named {}; pick another name or \
         revoke that one first",
        crate::secret::redact::quoted(user),
        crate::secret::redact::quoted(name)
    ))
}

/// The single credential an id or prefix names, or why there is none.
fn one_match(query: &str, mut found: Vec<Credential>) -> Result<Credential> {
    match found.len() {
        0 => Err(Error::Refused(format!(
            "no credential has the id {}; see appw list",
            crate::secret::redact::quoted(query)
        ))),
        1 => Ok(found.remove(0)),
        _ => Err(Error::Refused(format!(
            "the id prefix {} matches more than one credential; give more characters",
            crate::secret::redact::quoted(query)
        ))),
    }
}

/// The key names are unique on: full Unicode case folding, so names that differ only in
/// case in any script are one name (`Straße` = `STRASSE`, `ΟΔΟΣ` = `οδοσ`), which plain
/// lower-casing misses.
pub fn name_key(name: &str) -> String {
    unicase::UniCase::new(name).to_folded_case()
}

/// The schema version from which stored name keys are [`name_key`]'s case folding (before,
/// they were lower-cased); the migration to it recomputes every key with [`refolded_keys`].
pub const FOLDED_NAME_KEYS: usize = 4;

/// One stored credential as the name-key migration reads it.
pub struct KeyedRow {
    pub id: String,
    pub user: String,
    pub name: String,
    pub active: bool,
}

/// New name keys for stored credentials (given oldest first), as `(id, key)`. Names that
/// were distinct under lower-casing may fold alike (`Straße` and `STRASSE`, both active for
/// one user): the oldest keeps the folded key, so `--name` finds it, and each later one gets
/// a key no name folds to (the folded name, U+0001, its id), so both stay usable and nothing
/// is revoked behind the admin's back; renaming it gives it an ordinary key again.
pub fn refolded_keys(rows: impl IntoIterator<Item = KeyedRow>) -> Vec<(String, String)> {
    let mut taken = std::collections::HashSet::new();
    rows.into_iter()
        .map(|row| {
            let key = name_key(&row.name);
            let key = if row.active && !taken.insert((row.user, key.clone())) {
                format!("{key}\u{1}{}", row.id)
            } else {
                key
            };
            (row.id, key)
        })
        .collect()
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
