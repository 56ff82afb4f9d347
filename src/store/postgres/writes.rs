//! The statements that grant or take away access, and the log's upkeep. Each write is one
//! transaction (or one statement) that records its audit event with it, and commits
//! synchronously (the server's default): once appw reports it, it survives a crash.

use sqlx::postgres::PgConnection;

use super::super::rows::CredentialRow;
use super::super::{
    Credential, Dump, NewCredential, NewEvent, Timestamp, check_empty, detail, duplicate_name,
    kind, list_text, name_key, refuse_revoked,
};
use super::reads::CREDENTIAL_COLUMNS;
use super::{Db, is_violation, pg_error};
use crate::error::Result;

/// Constraint names the error mapping tells apart.
const PRIMARY_KEY: &str = "appw_credentials_pkey";
pub(super) const ACTIVE_NAME: &str = "appw_credentials_active_name";

pub const INSERT_EVENT: &str = "INSERT INTO appw_events
    (at, kind, username, credential_id, name, source, detail, count, actor)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub async fn log(conn: &mut PgConnection, ev: &NewEvent<'_>) -> sqlx::Result<()> {
    sqlx::query(INSERT_EVENT)
        .bind(ev.at)
        .bind(ev.kind)
        .bind(ev.user)
        .bind(ev.credential_id)
        .bind(ev.name)
        .bind(ev.source)
        .bind(ev.detail)
        .bind(ev.count)
        .bind(ev.actor)
        .execute(conn)
        .await
        .map(drop)
}

/// Inserts `new` and its event in one statement; `Ok(false)` when the id is taken.
async fn insert_row(
    conn: &mut PgConnection,
    new: &NewCredential,
    ev: &NewEvent<'_>,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "WITH c AS (
            INSERT INTO appw_credentials
                (id, username, name, name_key, app_id, hash, created, expires_at, scopes,
                 allow_from, disabled)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $15, $16, $19)
            RETURNING id
         )
         INSERT INTO appw_events (at, kind, username, credential_id, name, source, detail, actor)
         SELECT $9, $10, $11, $12, $13, $14, $17, $18 FROM c",
    )
    .bind(&new.id)
    .bind(&new.user)
    .bind(&new.name)
    .bind(name_key(&new.name))
    .bind(new.app_id.as_deref())
    .bind(&new.hash)
    .bind(ev.at)
    .bind(new.expires_at)
    .bind(ev.at)
    .bind(ev.kind)
    .bind(ev.user)
    .bind(ev.credential_id)
    .bind(ev.name)
    .bind(ev.source)
    .bind(list_text(&new.scopes))
    .bind(list_text(&new.allow_from))
    .bind(ev.detail)
    .bind(ev.actor)
    .bind(new.disabled)
    .execute(conn)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_violation(&e, PRIMARY_KEY) => Ok(false),
        Err(e) => Err(e),
    }
}

impl Db<'_> {
    pub async fn insert(
        &mut self,
        new: &NewCredential,
        now: Timestamp,
        actor: &str,
    ) -> Result<bool> {
        // One statement (credential and event together), committed before this returns, so
        // the password is printed only once it is durable. The partial unique index decides
        // races between two creators of the same name.
        let ev = NewEvent::about(kind::CREATED, now, &new.user, &new.id, &new.name).by(actor);
        match insert_row(self.conn, new, &ev).await {
            Ok(inserted) => Ok(inserted),
            Err(err) if is_violation(&err, ACTIVE_NAME) => {
                Err(duplicate_name(&new.user, &new.name))
            }
            Err(err) => Err(pg_error(self.shown, err)),
        }
    }

    pub async fn revoke(
        &mut self,
        ids: &[String],
        now: Timestamp,
        actor: &str,
    ) -> Result<Vec<Credential>> {
        // One transaction for all ids (all or none); each conditional UPDATE locks its row
        // and re-checks `revoked_at IS NULL` after any concurrent writer, so of two revokers
        // exactly one wins.
        let e = |err| pg_error(self.shown, err);
        let mut tx = sqlx::Connection::begin(&mut *self.conn).await.map_err(e)?;
        let mut revoked = Vec::with_capacity(ids.len());
        for id in ids {
            let row: Option<CredentialRow> = sqlx::query_as(&format!(
                "UPDATE appw_credentials SET revoked_at = $2, hash = NULL
                 WHERE id = $1 AND revoked_at IS NULL RETURNING {CREDENTIAL_COLUMNS}"
            ))
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(e)?;
            let Some(c) = row.map(Credential::from) else {
                return Err(refuse_revoked(id, "already revoked"));
            };
            let ev = NewEvent::about(kind::REVOKED, now, &c.user, id, &c.name).by(actor);
            log(&mut tx, &ev).await.map_err(e)?;
            revoked.push(c);
        }
        tx.commit().await.map_err(e)?;
        Ok(revoked)
    }

    pub async fn revoke_all(
        &mut self,
        user: Option<&str>,
        now: Timestamp,
        actor: &str,
    ) -> Result<u64> {
        // One READ COMMITTED transaction: the UPDATE revokes every credential active when it
        // starts (rows it waits on are re-checked); one created concurrently and committed
        // after that is not in the count, exactly as if it had been created just after.
        let e = |err| pg_error(self.shown, err);
        let mut tx = sqlx::Connection::begin(&mut *self.conn).await.map_err(e)?;
        let count = sqlx::query(
            "UPDATE appw_credentials SET revoked_at = $2, hash = NULL
             WHERE revoked_at IS NULL AND ($1::text IS NULL OR username = $1)",
        )
        .bind(user)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(e)?
        .rows_affected();
        let detail = detail::revoke_all(count);
        let ev = NewEvent {
            user,
            ..NewEvent::new(kind::REVOKE_ALL, now)
        };
        log(&mut tx, &ev.detail(Some(&detail)).by(actor))
            .await
            .map_err(e)?;
        tx.commit().await.map_err(e)?;
        Ok(count)
    }

    pub async fn rotate(
        &mut self,
        old_id: &str,
        new: &NewCredential,
        now: Timestamp,
        actor: &str,
    ) -> Result<bool> {
        // One READ COMMITTED transaction: retiring the old row takes its lock first, so a
        // verifier's record_use either committed before (and counts) or waits and then finds
        // the hash gone. The new row becomes visible at the same commit; when its id is
        // taken, the retirement rolls back too and the caller draws anew.
        let e = |err| pg_error(self.shown, err);
        let mut tx = sqlx::Connection::begin(&mut *self.conn).await.map_err(e)?;
        let retired = sqlx::query(
            "UPDATE appw_credentials SET revoked_at = $2, hash = NULL, replaced_by = $3
             WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(old_id)
        .bind(now)
        .bind(&new.id)
        .execute(&mut *tx)
        .await
        .map_err(e)?;
        if retired.rows_affected() == 0 {
            return Err(refuse_revoked(old_id, "revoked; create a new one instead"));
        }
        let detail = detail::rotated(old_id);
        let ev = NewEvent::about(kind::ROTATED, now, &new.user, &new.id, &new.name)
            .detail(Some(&detail))
            .by(actor);
        match insert_row(&mut tx, new, &ev).await {
            Ok(true) => tx.commit().await.map_err(e)?,
            Ok(false) => {
                tx.rollback().await.map_err(e)?;
                return Ok(false);
            }
            Err(err) if is_violation(&err, ACTIVE_NAME) => {
                return Err(duplicate_name(&new.user, &new.name));
            }
            Err(err) => return Err(e(err)),
        }
        Ok(true)
    }

    pub async fn prune_events(
        &mut self,
        before: Timestamp,
        now: Timestamp,
        actor: &str,
    ) -> Result<u64> {
        // One transaction: the DELETE and the `pruned` event that says how many went.
        let e = |err| pg_error(self.shown, err);
        let mut tx = sqlx::Connection::begin(&mut *self.conn).await.map_err(e)?;
        let count = sqlx::query("DELETE FROM appw_events WHERE at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await
            .map_err(e)?
            .rows_affected();
        let detail = detail::pruned(count);
        let ev = NewEvent::new(kind::PRUNED, now)
            .detail(Some(&detail))
            .by(actor);
        log(&mut tx, &ev).await.map_err(e)?;
        tx.commit().await.map_err(e)?;
        Ok(count)
    }

    pub async fn import(&mut self, dump: &Dump) -> Result<()> {
        // One transaction. SHARE ROW EXCLUSIVE conflicts with every writer's ROW EXCLUSIVE,
        // so no credential can be created between the emptiness check and the commit.
        let e = |err| pg_error(self.shown, err);
        let mut tx = sqlx::Connection::begin(&mut *self.conn).await.map_err(e)?;
        sqlx::raw_sql("LOCK TABLE appw_credentials, appw_events IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(e)?;
        let (credentials, events): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM appw_credentials), (SELECT count(*) FROM appw_events)",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(e)?;
        check_empty(credentials, events)?;
        for s in &dump.credentials {
            let c = &s.credential;
            sqlx::query(
                "INSERT INTO appw_credentials (id, username, name, name_key, app_id, hash,
                    created, expires_at, last_used, last_source, use_count, last_failed,
                    last_failed_source, revoked_at, replaced_by, scopes, allow_from, disabled)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                         $16, $17, $18)",
            )
            .bind(&c.id)
            .bind(&c.user)
            .bind(&c.name)
            .bind(name_key(&c.name))
            .bind(c.app_id.as_deref())
            .bind(s.hash.as_deref())
            .bind(c.created)
            .bind(c.expires_at)
            .bind(c.last_used)
            .bind(c.last_source.as_deref())
            .bind(c.use_count)
            .bind(c.last_failed)
            .bind(c.last_failed_source.as_deref())
            .bind(c.revoked_at)
            .bind(s.replaced_by.as_deref())
            .bind(list_text(&c.scopes))
            .bind(list_text(&c.allow_from))
            .bind(c.disabled)
            .execute(&mut *tx)
            .await
            .map_err(e)?;
        }
        for ev in &dump.events {
            sqlx::query(
                "INSERT INTO appw_events
                    (seq, at, kind, username, credential_id, name, source, detail, count,
                     actor)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(ev.seq)
            .bind(ev.at)
            .bind(&ev.kind)
            .bind(ev.user.as_deref())
            .bind(ev.credential_id.as_deref())
            .bind(ev.name.as_deref())
            .bind(ev.source.as_deref())
            .bind(ev.detail.as_deref())
            .bind(ev.count)
            .bind(ev.actor.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(e)?;
        }
        // The next event continues the copied numbering.
        if !dump.events.is_empty() {
            sqlx::raw_sql(
                "SELECT setval(pg_get_serial_sequence('appw_events', 'seq'),
                               (SELECT max(seq) FROM appw_events))",
            )
            .execute(&mut *tx)
            .await
            .map_err(e)?;
        }
        tx.commit().await.map_err(e)
    }
}
