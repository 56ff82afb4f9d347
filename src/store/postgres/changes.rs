//! Changes to an active credential (name, pausing, scopes, networks, expiry), each with its
//! event, in one transaction: `rename` and `update` both come here.

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
        let Some((user, mut name, disabled)) = current else {
            let how = format!("revoked; it cannot be {}", changes.done());
            return Err(refuse_revoked(id, &how));
        };
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
            let detail = detail::renamed(&name);
            let ev = NewEvent::about(kind::RENAMED, now, &user, id, new_name)
                .detail(Some(&detail))
                .by(actor);
            log(conn, &ev).await.map_err(e)?;
            name = new_name.clone();
        }
        if let Some(wanted) = changes.disabled.filter(|&w| w != disabled) {
            sqlx::query("UPDATE appw_credentials SET disabled = $2 WHERE id = $1")
                .bind(id)
                .bind(wanted)
                .execute(&mut *conn)
                .await
                .map_err(e)?;
            let kind = if wanted {
                kind::DISABLED
            } else {
                kind::ENABLED
            };
            let ev = NewEvent::about(kind, now, &user, id, &name).by(actor);
            log(conn, &ev).await.map_err(e)?;
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
            let detail = changes.detail();
            let ev = NewEvent::about(kind::UPDATED, now, &user, id, &name)
                .detail(Some(&detail))
                .by(actor);
            log(conn, &ev).await.map_err(e)?;
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
