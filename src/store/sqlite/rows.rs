//! Rows to values and back, and SQLite's errors to appw's.

use std::path::Path;

use rusqlite::{ErrorCode, Row, params};

use super::BUSY_TIMEOUT;
use crate::error::Error;
use crate::store::rows::{CredentialRow, EventRow, STORED_HASH};
use crate::store::{
    Credential, Event, NewCredential, NewEvent, StoredCredential, Timestamp, list_text, name_key,
};

pub(super) const CREDENTIAL_COLUMNS: &str = "id, user, name, app_id, created, last_used, last_source, \
    use_count, expires_at, last_failed, last_failed_source, revoked_at, scopes, allow_from, \
    disabled";

pub(super) const EVENT_COLUMNS: &str =
    "seq, at, kind, user, credential_id, name, source, detail, count, actor";

/// Maps SQLite's errors to a store error naming the file, with a hint where one helps.
pub(super) fn sql_error(path: &Path, err: &rusqlite::Error) -> Error {
    let code = err.sqlite_error_code();
    let what = match code {
        Some(ErrorCode::NotADatabase) => "is not an appw store (not a SQLite database)".to_string(),
        Some(ErrorCode::DatabaseCorrupt) => "is corrupt".to_string(),
        Some(ErrorCode::DiskFull) => "cannot be written: the disk is full".to_string(),
        Some(ErrorCode::ReadOnly) => "cannot be written: it or its folder is read-only".to_string(),
        Some(ErrorCode::CannotOpen) => {
            "cannot be opened (check that it and its folder exist and are writable)".to_string()
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            format!(
                "stayed locked by another process for over {}s",
                BUSY_TIMEOUT.as_secs()
            )
        }
        _ => format!("cannot be used: {err}"),
    };
    Error::Unavailable(format!("the store {} {what}", path.display()))
}

pub(super) fn is_constraint(err: &rusqlite::Error, extended: i32) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _) if e.extended_code == extended)
}

/// An `events` row, selected as [`EVENT_COLUMNS`] (the shape both backends share).
pub(super) fn event(row: &Row<'_>) -> rusqlite::Result<Event> {
    EventRow::try_from(row).map(Event::from)
}

/// A credentials row, selected as [`CREDENTIAL_COLUMNS`].
pub(super) fn credential(row: &Row<'_>) -> rusqlite::Result<Credential> {
    CredentialRow::try_from(row).map(Credential::from)
}

/// A credentials row for `export`, selected as [`CREDENTIAL_COLUMNS`], `hash, replaced_by`.
pub(super) fn stored(row: &Row<'_>) -> rusqlite::Result<StoredCredential> {
    Ok(StoredCredential::from_parts(
        CredentialRow::try_from(row)?,
        row.get(STORED_HASH)?,
        row.get(STORED_HASH + 1)?,
    ))
}

pub(super) fn insert_event(
    tx: &rusqlite::Transaction<'_>,
    e: &NewEvent<'_>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO events (at, kind, user, credential_id, name, source, detail, count, actor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        e.at,
        e.kind,
        e.user,
        e.credential_id,
        e.name,
        e.source,
        e.detail,
        e.count,
        e.actor
    ])
    .map(drop)
}

/// Inserts `new`; `Ok(false)` when its id is taken.
pub(super) fn insert_row(
    tx: &rusqlite::Transaction<'_>,
    new: &NewCredential,
    now: Timestamp,
) -> Result<bool, rusqlite::Error> {
    let inserted = tx.execute(
        "INSERT INTO credentials (id, user, name, name_key, app_id, hash, created, expires_at,
            scopes, allow_from, disabled)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            new.id,
            new.user,
            new.name,
            name_key(&new.name),
            new.app_id,
            new.hash,
            now,
            new.expires_at,
            list_text(&new.scopes),
            list_text(&new.allow_from),
            new.disabled
        ],
    );
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_constraint(&e, rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => Ok(false),
        Err(e) => Err(e),
    }
}
