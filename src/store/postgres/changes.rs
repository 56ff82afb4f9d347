//! Changes to an active credential (name, pausing, scopes, networks, expiry), each with its
//! event (as `Changes::events` says), in one transaction.

use sqlx::postgres::PgConnection;

use super::super::rows::CredentialRow;
use super::super::{
    Changes, Credential, Timestamp, duplicate_name, list_text, name_key, refuse_revoked,
};
use super::reads::CREDENTIAL_COLUMNS;
use super::writes::{ACTIVE_NAME, log};
use super::{Db, is_violation, pg_error};
use crate::error::Result;

impl Db<'_> {
    /// One READ COMMITTED transaction; FOR UPDATE holds the row from the first read, so it
    /// cannot be revoked, renamed or paused by another writer before the commit.
    pub async fn update(
        &mut self,
        id: &str,
        changes: &Changes,
        now: Timestamp,
        actor: &str,
    ) -> Result<Credential> {
        let shown = self.shown;
        let e = |err| pg_error(shown, err);
        let mut tx = sqlx::Connection::begin(&mut *self.conn).await.map_err(e)?;
        let conn: &mut PgConnection = &mut tx;
        let current: Option<(String, String, bool)> = sqlx::query_as(
            "SELECT username, name, disabled FROM appw_credentials
             WHERE id = $1 AND revoked_at IS NULL FOR UPDATE",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(e)?;
        let Some((user, name, disabled)) = current else {
            let how = format!("revoked; it cannot be {}", changes.done());
            return Err(refuse_revoked(id, &how));
        };
        let events = changes.events(&name, disabled);
        if let Some(new_name) = &changes.name {
            let renamed =
                sqlx::query("UPDATE appw_credentials SET name = $2, name_key = $3 WHERE id = $1")
                    .bind(id)
                    .bind(new_name)
                    .bind(name_key(new_name))
                    .execute(&mut *conn)
                    .await;
            match renamed {
                Ok(_) => {}
                Err(err) if is_violation(&err, ACTIVE_NAME) => {
                    return Err(duplicate_name(&user, new_name));
                }
                Err(err) => return Err(e(err)),
            }
        }
        if let Some(wanted) = changes.pause(disabled) {
            sqlx::query("UPDATE appw_credentials SET disabled = $2 WHERE id = $1")
                .bind(id)
                .bind(wanted)
                .execute(&mut *conn)
                .await
                .map_err(e)?;
        }
        if changes.sets_attributes() {
            let (set_expiry, expires_at) = match changes.expires_at {
                Some(at) => (true, at),
                None => (false, None),
            };
            sqlx::query(
                "UPDATE appw_credentials
                 SET scopes = coalesce($2, scopes), allow_from = coalesce($3, allow_from),
                     expires_at = CASE WHEN $4 THEN $5 ELSE expires_at END
                 WHERE id = $1",
            )
            .bind(id)
            .bind(changes.scopes.as_deref().map(list_text))
            .bind(changes.allow_from.as_deref().map(list_text))
            .bind(set_expiry)
            .bind(expires_at)
            .execute(&mut *conn)
            .await
            .map_err(e)?;
        }
        let name = changes.name.as_deref().unwrap_or(&name);
        for change in &events {
            log(conn, &change.event(now, &user, id, name, actor))
                .await
                .map_err(e)?;
        }
        let row: CredentialRow = sqlx::query_as(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM appw_credentials WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(e)?;
        tx.commit().await.map_err(e)?;
        Ok(row.into())
    }
}
