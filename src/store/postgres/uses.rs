//! Recording uses and failures: `verify`'s one write, and a server's batches.

use super::super::{Batch, NewEvent, REHASHED, Recorded, Rejection, Timestamp, Use, kind};
use super::writes::log;
use super::{Db, pg_error};
use crate::error::Result;

/// Durability by what a write means. A use or a failure recorded is only a count and a time:
/// it may commit without waiting for the WAL to reach the disk (a crash can lose the last
/// few, never a revoke). Every write that grants or takes away access (create, revoke,
/// revoke-all, rotate, rename, update, import) keeps the server's synchronous commit, so once
/// appw reports it, it survives a crash. `verify`'s single statements say it with
/// `set_config(..., true)`, SET LOCAL's function form, inside their own transaction: a
/// BEGIN, SET LOCAL and COMMIT of their own would be three more round trips on the one write
/// `verify` waits for; the server's batches, one transaction each, begin with this.
const ASYNC_COMMIT: &str = "BEGIN; SET LOCAL synchronous_commit = off";

/// A CTE (`async`) that makes the statement's own transaction commit asynchronously; the
/// statement must read it (`EXISTS (SELECT FROM async)`) so that it runs.
const ASYNC_CTE: &str =
    "async AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))";

/// `record_use`'s statement: the UPDATE only matches while the row is neither revoked nor
/// paused (re-checked after waiting for any concurrent writer of the row, so a revoke,
/// rotate or pause that commits first wins), counts with use_count + 1, replaces the hash only if it is
/// still the one that was checked, and the event (owner and name from the row) is written
/// with it. `verify` sends a rehash only when `may_rehash` says this role may write hashes;
/// a verify-only role's statement leaves `hash` out of its SET.
fn use_sql(rehash: bool) -> String {
    let set_hash = if rehash {
        ", hash = CASE WHEN hash = $7 THEN $6 ELSE hash END"
    } else {
        ""
    };
    format!(
        "WITH {ASYNC_CTE}, used AS (
            UPDATE appw_credentials
            SET use_count = use_count + 1, last_used = $2, last_source = $3{set_hash}
            WHERE id = $1 AND revoked_at IS NULL AND NOT disabled AND EXISTS (SELECT FROM async)
            RETURNING username, name
        )
        INSERT INTO appw_events (at, kind, username, credential_id, name, source, detail)
        SELECT $2, $4, username, $1, name, $3, $5 FROM used"
    )
}

/// `record_rejection`'s statement: the failure on the credential (if the password named
/// one) and the event (with the credential's name), together.
fn rejection_sql() -> String {
    format!(
        "WITH {ASYNC_CTE}, failed AS (
            UPDATE appw_credentials SET last_failed = $2, last_failed_source = $3
            WHERE id = $1 AND EXISTS (SELECT FROM async) RETURNING name
        )
        INSERT INTO appw_events (at, kind, username, credential_id, name, source, detail)
        SELECT $2, $4, $5, $1, (SELECT name FROM failed), $3, $6 FROM async"
    )
}

impl Db<'_> {
    /// Parses the statements that record a verification's outcome (a use without rehash, a
    /// rejection) into this connection's statement cache, so that recording it later is one
    /// round trip instead of two. `verify` calls it while the hash is computed.
    pub async fn prepare_verify_writes(&mut self) -> Result<()> {
        for sql in [use_sql(false), rejection_sql()] {
            sqlx::Executor::prepare(&mut *self.conn, sql.as_str())
                .await
                .map_err(|e| pg_error(self.shown, e))?;
        }
        Ok(())
    }

    pub async fn record_use(&mut self, u: &Use<'_>, now: Timestamp) -> Result<Recorded> {
        let sql = use_sql(u.rehash.is_some());
        let mut statement = sqlx::query(&sql)
            .bind(u.id)
            .bind(now)
            .bind(u.source)
            .bind(kind::VERIFIED)
            .bind(u.rehash.map(|_| REHASHED));
        if let Some(rehash) = u.rehash {
            statement = statement.bind(rehash).bind(u.checked_hash);
        }
        let counted = statement
            .execute(&mut *self.conn)
            .await
            .map_err(|e| pg_error(self.shown, e))?;
        if counted.rows_affected() == 1 {
            return Ok(Recorded::Counted);
        }
        // Not counted (rare: a change landed between the read and this write): tell a pause
        // from a revocation. A row paused then enabled again since still counts as paused.
        let revoked: Option<bool> =
            sqlx::query_scalar("SELECT revoked_at IS NOT NULL FROM appw_credentials WHERE id = $1")
                .bind(u.id)
                .fetch_optional(&mut *self.conn)
                .await
                .map_err(|e| pg_error(self.shown, e))?;
        Ok(match revoked {
            Some(false) => Recorded::Disabled,
            _ => Recorded::Revoked,
        })
    }

    pub async fn record_rejection(&mut self, r: &Rejection<'_>, now: Timestamp) -> Result<()> {
        let ev = NewEvent::rejection(r, None, now);
        sqlx::query(&rejection_sql())
            .bind(ev.credential_id)
            .bind(ev.at)
            .bind(ev.source)
            .bind(ev.kind)
            .bind(ev.user)
            .bind(ev.detail)
            .execute(&mut *self.conn)
            .await
            .map(drop)
            .map_err(|e| pg_error(self.shown, e))
    }

    /// A server's interval of uses and rejections, in one transaction that commits
    /// asynchronously. Each use counts even if the credential was revoked since (it was
    /// answered while valid); the last use and failure keep the latest time.
    pub async fn record_uses(&mut self, batch: &Batch) -> Result<()> {
        let e = |err| pg_error(self.shown, err);
        let mut tx = sqlx::Connection::begin_with(&mut *self.conn, ASYNC_COMMIT)
            .await
            .map_err(e)?;
        for u in &batch.uses {
            let (checked, rehash) = match &u.rehash {
                Some((checked, new)) => (Some(checked.as_str()), Some(new.as_str())),
                None => (None, None),
            };
            // A verify-only role may not write `hash`, even unchanged: leave it out then.
            let set_hash = match rehash {
                None => "",
                Some(_) => ", hash = CASE WHEN hash = $5 THEN $6 ELSE hash END",
            };
            let sql = format!(
                "UPDATE appw_credentials
                 SET use_count = use_count + $2,
                     last_source = CASE WHEN last_used > $3 THEN last_source ELSE $4 END,
                     last_used = greatest(last_used, $3){set_hash}
                 WHERE id = $1
                 RETURNING username, name, hash IS NOT DISTINCT FROM $6"
            );
            let row: Option<(String, String, bool)> = sqlx::query_as(&sql)
                .bind(&u.id)
                .bind(u.count)
                .bind(u.at)
                .bind(u.source.as_deref())
                .bind(checked)
                .bind(rehash)
                .fetch_optional(&mut *tx)
                .await
                .map_err(e)?;
            // A credential deleted from under the server (by hand) leaves nothing to count.
            let Some((user, name, rehashed)) = row else {
                continue;
            };
            let detail = (rehash.is_some() && rehashed).then_some(REHASHED);
            let ev = NewEvent::about(kind::VERIFIED, u.at, &user, &u.id, &name)
                .source(u.source.as_deref())
                .detail(detail)
                .count(u.count);
            log(&mut tx, &ev).await.map_err(e)?;
        }
        for r in &batch.rejections {
            let mut name: Option<String> = None;
            if let Some(id) = &r.id {
                name = sqlx::query_scalar(
                    "UPDATE appw_credentials
                     SET last_failed_source =
                             CASE WHEN last_failed > $2 THEN last_failed_source ELSE $3 END,
                         last_failed = greatest(last_failed, $2)
                     WHERE id = $1 RETURNING name",
                )
                .bind(id)
                .bind(r.at)
                .bind(r.source.as_deref())
                .fetch_optional(&mut *tx)
                .await
                .map_err(e)?;
            }
            let rejection = r.rejection();
            let ev = r.event(&rejection, name.as_deref());
            log(&mut tx, &ev).await.map_err(e)?;
        }
        tx.commit().await.map_err(e)
    }
}
