//! Changes to an active credential (name, scopes, networks, expiry), each with its event,
//! in one transaction: `rename` and `update` share the steps.

use sqlx::postgres::PgConnection;

use super::super::rows::CredentialRow;
use super::super::{
    Changes, Credential, NewEvent, Timestamp, detail, duplicate_name, kind, list_text, name_key,
    refuse_revoked,
};
use super::reads::CREDENTIAL_COLUMNS;
use super::writes::{ACTIVE_NAME, log};
use super::{Db, is_violation, pg_error};
use crate::error::Result;

impl Db<'_> {
    pub async fn rename(&mut self, id: &str, new_name: &str, now: Timestamp) -> Result<Credential> {
        let e = |err| pg_error(self.shown, err);
        let mut tx = sqlx::Connection::begin(&mut *self.conn).await.map_err(e)?;
        let renamed = rename_in(&mut tx, self.shown, id, new_name, now).await?;
        tx.commit().await.map_err(e)?;
        Ok(renamed)
    }

    pub async fn update(
        &mut self,
        id: &str,
        changes: &Changes,
        now: Timestamp,
    ) -> Result<Credential> {
        let e = |err| pg_error(self.shown, err);
        let mut tx = sqlx::Connection::begin(&mut *self.conn).await.map_err(e)?;
        let mut renamed = None;
        if let Some(name) = &changes.name {
            renamed = Some(rename_in(&mut tx, self.shown, id, name, now).await?);
        }
        let c = match renamed {
            Some(c) if !changes.sets_attributes() => c,
            _ => update_in(&mut tx, self.shown, id, changes, now).await?,
        };
        tx.commit().await.map_err(e)?;
        Ok(c)
    }
}

/// Renames inside a READ COMMITTED transaction; FOR UPDATE holds the row so it cannot be
/// revoked or renamed between the read of the old name and the write.
async fn rename_in(
    conn: &mut PgConnection,
    shown: &str,
    id: &str,
    new_name: &str,
    now: Timestamp,
) -> Result<Credential> {
    let e = |err| pg_error(shown, err);
    let old: Option<(String, String)> = sqlx::query_as(
        "SELECT username, name FROM appw_credentials
         WHERE id = $1 AND revoked_at IS NULL FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(e)?;
    let Some((user, old_name)) = old else {
        return Err(refuse_revoked(id, "revoked; it cannot be renamed"));
    };
    let renamed: sqlx::Result<CredentialRow> = sqlx::query_as(&format!(
        "UPDATE appw_credentials SET name = $2, name_key = $3 WHERE id = $1
         RETURNING {CREDENTIAL_COLUMNS}"
    ))
    .bind(id)
    .bind(new_name)
    .bind(name_key(new_name))
    .fetch_one(&mut *conn)
    .await;
    let renamed = match renamed {
        Ok(row) => Credential::from(row),
        Err(err) if is_violation(&err, ACTIVE_NAME) => {
            return Err(duplicate_name(&user, new_name));
        }
        Err(err) => return Err(e(err)),
    };
    let detail = detail::renamed(&old_name);
    let ev = NewEvent::about(kind::RENAMED, now, &user, id, new_name).detail(Some(&detail));
    log(conn, &ev).await.map_err(e)?;
    Ok(renamed)
}

/// One statement locks, changes and returns the row; the event follows in the same
/// transaction.
async fn update_in(
    conn: &mut PgConnection,
    shown: &str,
    id: &str,
    changes: &Changes,
    now: Timestamp,
) -> Result<Credential> {
    let e = |err| pg_error(shown, err);
    let (set_expiry, expires_at) = match changes.expires_at {
        Some(at) => (true, at),
        None => (false, None),
    };
    let updated: Option<CredentialRow> = sqlx::query_as(&format!(
        "UPDATE appw_credentials
         SET scopes = coalesce($2, scopes), allow_from = coalesce($3, allow_from),
             expires_at = CASE WHEN $4 THEN $5 ELSE expires_at END
         WHERE id = $1 AND revoked_at IS NULL
         RETURNING {CREDENTIAL_COLUMNS}"
    ))
    .bind(id)
    .bind(changes.scopes.as_deref().map(list_text))
    .bind(changes.allow_from.as_deref().map(list_text))
    .bind(set_expiry)
    .bind(expires_at)
    .fetch_optional(&mut *conn)
    .await
    .map_err(e)?;
    let Some(c) = updated.map(Credential::from) else {
        return Err(refuse_revoked(id, "revoked; it cannot be updated"));
    };
    let detail = changes.detail();
    let ev = NewEvent::about(kind::UPDATED, now, &c.user, &c.id, &c.name).detail(Some(&detail));
    log(conn, &ev).await.map_err(e)?;
    Ok(c)
}
