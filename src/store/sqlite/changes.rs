//! Changes to an active credential (name, scopes, networks, expiry), each with its event,
//! inside a transaction the caller holds: `rename` and `update` share them.

use std::path::Path;

use rusqlite::{OptionalExtension, params};

use super::rows::{CREDENTIAL_COLUMNS, credential, insert_event, is_constraint, sql_error};
use crate::error::Result;
use crate::store::{
    Changes, Credential, NewEvent, Timestamp, duplicate_name, kind, list_text, name_key,
};

/// Renames an active credential inside `tx`, with its `renamed` event.
pub(super) fn rename_in(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
    id: &str,
    new_name: &str,
    now: Timestamp,
) -> Result<Credential> {
    let e = |err: rusqlite::Error| sql_error(path, &err);
    let old: Option<(String, String)> = tx
        .query_row(
            "SELECT user, name FROM credentials WHERE id = ?1 AND revoked_at IS NULL",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(e)?;
    let Some((user, old_name)) = old else {
        return Err(crate::store::refuse_revoked(
            id,
            "revoked; it cannot be renamed",
        ));
    };
    let renamed = match tx.query_row(
        &format!(
            "UPDATE credentials SET name = ?2, name_key = ?3 WHERE id = ?1
             RETURNING {CREDENTIAL_COLUMNS}"
        ),
        params![id, new_name, name_key(new_name)],
        credential,
    ) {
        Ok(c) => c,
        Err(err) if is_constraint(&err, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE) => {
            return Err(duplicate_name(&user, new_name));
        }
        Err(err) => return Err(e(err)),
    };
    let detail = crate::store::detail::renamed(&old_name);
    insert_event(
        tx,
        &NewEvent::about(kind::RENAMED, now, &user, id, new_name).detail(Some(&detail)),
    )
    .map_err(e)?;
    Ok(renamed)
}

/// Changes an active credential's scopes, networks or expiry inside `tx`, with its
/// `updated` event.
pub(super) fn update_in(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
    id: &str,
    changes: &Changes,
    now: Timestamp,
) -> Result<Credential> {
    let e = |err: rusqlite::Error| sql_error(path, &err);
    let (set_expiry, expires_at) = match changes.expires_at {
        Some(at) => (true, at),
        None => (false, None),
    };
    let updated = tx
        .query_row(
            &format!(
                "UPDATE credentials
                 SET scopes = coalesce(?2, scopes), allow_from = coalesce(?3, allow_from),
                     expires_at = CASE WHEN ?4 THEN ?5 ELSE expires_at END
                 WHERE id = ?1 AND revoked_at IS NULL
                 RETURNING {CREDENTIAL_COLUMNS}"
            ),
            params![
                id,
                changes.scopes.as_deref().map(list_text),
                changes.allow_from.as_deref().map(list_text),
                set_expiry,
                expires_at
            ],
            credential,
        )
        .optional()
        .map_err(e)?;
    let Some(c) = updated else {
        return Err(crate::store::refuse_revoked(
            id,
            "revoked; it cannot be updated",
        ));
    };
    let detail = changes.detail();
    insert_event(
        tx,
        &NewEvent::about(kind::UPDATED, now, &c.user, &c.id, &c.name).detail(Some(&detail)),
    )
    .map_err(e)?;
    Ok(c)
}
