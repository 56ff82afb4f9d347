//! Changes to an active credential (name, pausing, scopes, networks, expiry), each with its
//! event, inside the one transaction `rename` and `update` hold.

use std::path::Path;

use rusqlite::{OptionalExtension, params};

use super::rows::{CREDENTIAL_COLUMNS, credential, insert_event, is_constraint, sql_error};
use crate::error::Result;
use crate::store::{
    Changes, Credential, NewEvent, Timestamp, duplicate_name, kind, list_text, name_key,
    refuse_revoked,
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
    let Some((user, mut name, disabled)) = current else {
        let how = format!("revoked; it cannot be {}", changes.done());
        return Err(refuse_revoked(id, &how));
    };
    if let Some(new_name) = &changes.name {
        rename(tx, id, &user, &name, new_name, at).map_err(|err| match err {
            Rename::Duplicate => duplicate_name(&user, new_name),
            Rename::Sql(err) => e(err),
        })?;
        name = new_name.clone();
    }
    if let Some(wanted) = changes.disabled.filter(|&w| w != disabled) {
        tx.execute(
            "UPDATE credentials SET disabled = ?2 WHERE id = ?1",
            params![id, wanted],
        )
        .map_err(e)?;
        let kind = if wanted {
            kind::DISABLED
        } else {
            kind::ENABLED
        };
        let ev = NewEvent::about(kind, at.now, &user, id, &name).by(at.actor);
        insert_event(tx, &ev).map_err(e)?;
    }
    if changes.sets_attributes() {
        update(tx, id, &user, &name, changes, at).map_err(e)?;
    }
    tx.query_row(
        &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE id = ?1"),
        [id],
        credential,
    )
    .map_err(e)
}

enum Rename {
    Duplicate,
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for Rename {
    fn from(err: rusqlite::Error) -> Rename {
        if is_constraint(&err, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE) {
            Rename::Duplicate
        } else {
            Rename::Sql(err)
        }
    }
}

fn rename(
    tx: &rusqlite::Transaction<'_>,
    id: &str,
    user: &str,
    old_name: &str,
    new_name: &str,
    at: Stamp<'_>,
) -> Result<(), Rename> {
    tx.execute(
        "UPDATE credentials SET name = ?2, name_key = ?3 WHERE id = ?1",
        params![id, new_name, name_key(new_name)],
    )?;
    let detail = crate::store::detail::renamed(old_name);
    let ev = NewEvent::about(kind::RENAMED, at.now, user, id, new_name)
        .detail(Some(&detail))
        .by(at.actor);
    insert_event(tx, &ev).map_err(Rename::Sql)
}

fn update(
    tx: &rusqlite::Transaction<'_>,
    id: &str,
    user: &str,
    name: &str,
    changes: &Changes,
    at: Stamp<'_>,
) -> rusqlite::Result<()> {
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
    )?;
    let detail = changes.detail();
    let ev = NewEvent::about(kind::UPDATED, at.now, user, id, name)
        .detail(Some(&detail))
        .by(at.actor);
    insert_event(tx, &ev)
}
