//! The statements that only read.

use sqlx::postgres::PgConnection;

use sqlx::Row as _;
use sqlx::postgres::PgRow;

use super::super::rows::{CredentialRow, EventRow, HashRow, STORED_HASH};
use super::super::{
    Credential, Dump, Event, HashRecord, ListFilter, LogFilter, StoredCredential, name_key,
};
use super::{Db, pg_error};
use crate::error::Result;

/// The columns of [`CredentialRow`], in its order.
pub const CREDENTIAL_COLUMNS: &str = "id, username, name, app_id, created, last_used, \
    last_source, use_count, expires_at, last_failed, last_failed_source, revoked_at, scopes, \
    allow_from, disabled";

const EVENT_COLUMNS: &str =
    "seq, at, kind, username, credential_id, name, source, detail, count, actor";

/// The columns of [`HashRow`], in its order.
const HASH_COLUMNS: &str = "id, username, name, hash, expires_at, scopes, allow_from, disabled";

impl Db<'_> {
    pub async fn hash_record(&mut self, id: &str) -> Result<Option<HashRecord>> {
        let row: Option<HashRow> = sqlx::query_as(&format!(
            "SELECT {HASH_COLUMNS} FROM appw_credentials WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn)
        .await
        .map_err(|e| pg_error(self.shown, e))?;
        Ok(row.map(HashRecord::from))
    }

    /// The rows of several ids in one round trip (a server's concurrent requests).
    pub async fn hash_records(&mut self, ids: &[String]) -> Result<Vec<HashRecord>> {
        let rows: Vec<HashRow> = sqlx::query_as(&format!(
            "SELECT {HASH_COLUMNS} FROM appw_credentials WHERE id = ANY($1)"
        ))
        .bind(ids)
        .fetch_all(&mut *self.conn)
        .await
        .map_err(|e| pg_error(self.shown, e))?;
        Ok(rows.into_iter().map(HashRecord::from).collect())
    }

    pub async fn may_rehash(&mut self) -> Result<bool> {
        sqlx::query_scalar("SELECT has_column_privilege('appw_credentials', 'hash', 'UPDATE')")
            .fetch_one(&mut *self.conn)
            .await
            .map_err(|e| pg_error(self.shown, e))
    }

    pub async fn list(&mut self, filter: &ListFilter, now: i64) -> Result<Vec<Credential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM appw_credentials
             WHERE revoked_at IS NULL
               AND ($1::text IS NULL OR username = $1)
               AND (NOT $2::boolean OR expires_at <= $3)
               AND ($4::bigint IS NULL OR (expires_at > $3 AND expires_at <= $4))
             ORDER BY username, created, id"
        );
        let rows: Vec<CredentialRow> = sqlx::query_as(&sql)
            .bind(filter.user.as_deref())
            .bind(filter.expired_only)
            .bind(now)
            .bind(filter.expiring_before)
            .fetch_all(&mut *self.conn)
            .await
            .map_err(|e| pg_error(self.shown, e))?;
        Ok(rows.into_iter().map(Credential::from).collect())
    }

    pub async fn get(&mut self, id_or_prefix: &str) -> Result<Credential> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM appw_credentials WHERE starts_with(id, $1)
             ORDER BY id LIMIT 2"
        );
        let rows: Vec<CredentialRow> = sqlx::query_as(&sql)
            .bind(id_or_prefix)
            .fetch_all(&mut *self.conn)
            .await
            .map_err(|e| pg_error(self.shown, e))?;
        super::super::one_match(id_or_prefix, rows.into_iter().map(Into::into).collect())
    }

    pub async fn find_by_name(&mut self, user: &str, name: &str) -> Result<Option<Credential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM appw_credentials
             WHERE username = $1 AND name_key = $2 AND revoked_at IS NULL"
        );
        let row: Option<CredentialRow> = sqlx::query_as(&sql)
            .bind(user)
            .bind(name_key(name))
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(|e| pg_error(self.shown, e))?;
        Ok(row.map(Credential::from))
    }

    pub async fn events(&mut self, filter: &LogFilter) -> Result<Vec<Event>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM appw_events
             WHERE ($1::text IS NULL OR username = $1
                    OR (username IS NULL AND kind = 'revoke-all'))
               AND ($2::bigint IS NULL OR at >= $2)
             ORDER BY seq"
        );
        let rows: Vec<EventRow> = sqlx::query_as(&sql)
            .bind(filter.user.as_deref())
            .bind(filter.since)
            .fetch_all(&mut *self.conn)
            .await
            .map_err(|e| pg_error(self.shown, e))?;
        Ok(rows.into_iter().map(Event::from).collect())
    }

    /// Everything, from one REPEATABLE READ, read-only snapshot, so the credentials and the
    /// log agree even while other hosts keep writing.
    pub async fn export(&mut self) -> Result<Dump> {
        let shown = self.shown;
        let e = |err| pg_error(shown, err);
        let mut tx = sqlx::Connection::begin_with(
            &mut *self.conn,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )
        .await
        .map_err(e)?;
        let conn: &mut PgConnection = &mut tx;
        let credentials = sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS}, hash, replaced_by FROM appw_credentials
             ORDER BY created, id"
        ))
        .fetch_all(&mut *conn)
        .await
        .map_err(e)?
        .iter()
        .map(stored)
        .collect::<sqlx::Result<Vec<_>>>()
        .map_err(e)?;
        let events: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM appw_events ORDER BY seq"
        ))
        .fetch_all(&mut *conn)
        .await
        .map_err(e)?;
        tx.commit().await.map_err(e)?;
        Ok(Dump {
            credentials,
            events: events.into_iter().map(Into::into).collect(),
        })
    }
}

/// An exported row: [`CredentialRow`]'s columns, then `hash, replaced_by` by position.
fn stored(row: &PgRow) -> sqlx::Result<StoredCredential> {
    Ok(StoredCredential::from_parts(
        sqlx::FromRow::from_row(row)?,
        row.try_get(STORED_HASH)?,
        row.try_get(STORED_HASH + 1)?,
    ))
}
