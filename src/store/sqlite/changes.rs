//! Changes to an active credential (name, pausing, scopes, networks, expiry), each with its
//! event (as `Changes::events` says), inside the one transaction `update` holds.

use std::path::Path;

use rusqlite::{OptionalExtension, params};

use super::rows::{CREDENTIAL_COLUMNS, credential, insert_event, is_constraint, sql_error};
use crate::error::Result;
use crate::store::{
    Changes, Credential, Timestamp, duplicate_name, list_text, name_key, refuse_revoked,
};

/// When and by whom.
#[derive(Clone, Copy)]
pub(super) struct Stamp<'a> {
    pub now: Timestamp,
    pub actor: &'a str,
}

/// Applies `changes` to the active credential `id` inside `tx`, with one event per kind of
/// change, and returns the credential as it now is.
pub(super) fn change_in(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
    id: &str,
    changes: &Changes,
    at: Stamp<'_>,
) -> Result<Credential> {
    let e = |err: rusqlite::Error| sql_error(path, &err);
    // Locked already (the write transaction is IMMEDIATE), so nothing changes it meanwhile.
    let current: Option<(String, String, bool)> = tx
        .query_row(
            "SELECT user, name, disabled FROM credentials WHERE id = ?1 AND revoked_at IS NULL",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(e)?;
    let Some((user, name, disabled)) = current else {
        let how = format!("revoked; it cannot be {}", changes.done());
        return Err(refuse_revoked(id, &how));
    };
    let events = changes.events(&name, disabled);
    if let Some(new_name) = &changes.name {
        tx.execute(
            "UPDATE credentials SET name = ?2, name_key = ?3 WHERE id = ?1",
            params![id, new_name, name_key(new_name)],
        )
        .map_err(|err| {
            if is_constraint(&err, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE) {
                duplicate_name(&user, new_name)
            } else {
                e(err)
            }
        })?;
    }
    if let Some(wanted) = changes.pause(disabled) {
        tx.execute(
            "UPDATE credentials SET disabled = ?2 WHERE id = ?1",
            params![id, wanted],
        )
        .map_err(e)?;
    }
    if changes.sets_attributes() {
        update(tx, id, changes).map_err(e)?;
    }
    let name = changes.name.as_deref().unwrap_or(&name);
    for change in &events {
        insert_event(tx, &change.event(at.now, &user, id, name, at.actor)).map_err(e)?;
    }
    tx.query_row(
        &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE id = ?1"),
        [id],
        credential,
    )
    .map_err(e)
}

fn update(tx: &rusqlite::Transaction<'_>, id: &str, changes: &Changes) -> rusqlite::Result<()> {
    let (set_expiry, expires_at) = match changes.expires_at {
        Some(at) => (true, at),
        None => (false, None),
    };
    tx.execute(
        "UPDATE credentials
         SET scopes = coalesce(?2, scopes), allow_from = coalesce(?3, allow_from),
             expires_at = CASE WHEN ?4 THEN ?5 ELSE expires_at END
         WHERE id = ?1",
        params![
            id,
            changes.scopes.as_deref().map(list_text),
            changes.allow_from.as_deref().map(list_text),
            set_expiry,
            expires_at
        ],
    )
    .map(drop)
}
