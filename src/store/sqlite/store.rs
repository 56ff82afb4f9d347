//! The [`Store`] operations on SQLite: each write one transaction with its audit event.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use super::changes::{Stamp, change_in};
use super::rows::{
    CREDENTIAL_COLUMNS, EVENT_COLUMNS, credential, event, insert_event, insert_row, is_constraint,
    sql_error,
};
use crate::error::Result;
use crate::store::rows::HashRow;
use crate::store::{
    Batch, Changes, Credential, Dump, Durability, Event, HashRecord, ListFilter, LogFilter,
    NewCredential, NewEvent, REHASHED, Recorded, Rejection, Store, Timestamp, Use, duplicate_name,
    kind, name_key,
};

impl Store for SqliteStore {
    fn retire(&mut self) {
        // Best effort: a connection still lent out finishes its statement first, and a
        // checkpoint that cannot complete leaves only what a fresh opening would find.
        let _ = self
            .conn
            .busy_timeout(std::time::Duration::from_millis(200));
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }

    fn insert(&mut self, new: &NewCredential, now: Timestamp, actor: &str) -> Result<bool> {
        let path = self.path.clone();
        self.write(|tx| {
            match insert_row(tx, new, now) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) if is_constraint(&e, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE) => {
                    return Err(duplicate_name(&new.user, &new.name));
                }
                Err(e) => return Err(sql_error(&path, &e)),
            }
            insert_event(
                tx,
                &NewEvent::about(kind::CREATED, now, &new.user, &new.id, &new.name).by(actor),
            )
            .map_err(|e| sql_error(&path, &e))?;
            Ok(true)
        })
    }

    fn hash_record(&mut self, id: &str) -> Result<Option<HashRecord>> {
        // A server reads this row on every request: while nothing has committed to the
        // store since it was read, the row is answered from memory (`watch`).
        if let Some(record) = self.memo.as_mut().and_then(|m| m.recall(id)) {
            return Ok(Some(record));
        }
        let record = self
            .conn
            .prepare_cached(
                "SELECT id, user, name, hash, expires_at, scopes, allow_from, disabled
                 FROM credentials WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([id], |r| HashRow::try_from(r).map(HashRecord::from))
                    .optional()
            })
            .map_err(|e| self.err(e))?;
        match (&mut self.memo, &record) {
            (Some(memo), Some(record)) => memo.keep(record),
            (Some(_), None) => {}
            // The first read has mapped the WAL index; the memo starts with the next.
            (None, _) => self.memo = super::watch::Memo::new(&self.conn),
        }
        Ok(record)
    }

    fn record_use(&mut self, u: &Use<'_>, now: Timestamp) -> Result<Recorded> {
        let path = self.path.clone();
        self.write_as(Durability::Relaxed, |tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let row: Option<(String, String)> = tx
                .query_row(
                    "UPDATE credentials
                     SET use_count = use_count + 1, last_used = ?2, last_source = ?3,
                         hash = CASE WHEN hash = ?5 THEN coalesce(?4, hash) ELSE hash END
                     WHERE id = ?1 AND revoked_at IS NULL AND disabled = 0
                     RETURNING user, name",
                    params![u.id, now, u.source, u.rehash, u.checked_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(e)?;
            let Some((user, name)) = row else {
                // Not counted: tell a pause from a revocation (same transaction).
                let disabled: Option<bool> = tx
                    .query_row(
                        "SELECT disabled FROM credentials WHERE id = ?1 AND revoked_at IS NULL",
                        [u.id],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(e)?;
                return Ok(match disabled {
                    Some(true) => Recorded::Disabled,
                    _ => Recorded::Revoked,
                });
            };
            let detail = u.rehash.map(|_| REHASHED);
            insert_event(
                tx,
                &NewEvent::about(kind::VERIFIED, now, &user, u.id, &name)
                    .source(u.source)
                    .detail(detail),
            )
            .map_err(e)?;
            Ok(Recorded::Counted)
        })
    }

    fn record_rejection(&mut self, r: &Rejection<'_>, now: Timestamp) -> Result<()> {
        let path = self.path.clone();
        self.write_as(Durability::Relaxed, |tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let mut name = None;
            if let Some(id) = r.id {
                name = tx
                    .query_row(
                        "UPDATE credentials SET last_failed = ?2, last_failed_source = ?3
                         WHERE id = ?1 RETURNING name",
                        params![id, now, r.source],
                        |row| row.get::<_, String>(0),
                    )
                    .optional()
                    .map_err(e)?;
            }
            insert_event(tx, &NewEvent::rejection(r, name.as_deref(), now)).map_err(e)
        })
    }

    fn record_uses(&mut self, batch: &Batch) -> Result<()> {
        self.write_batch(batch)
    }

    fn export(&mut self) -> Result<Dump> {
        self.export_all()
    }

    fn import(&mut self, dump: &Dump) -> Result<()> {
        self.import_all(dump)
    }

    fn count_active(&mut self, user: Option<&str>) -> Result<u64> {
        self.conn
            .query_row(
                "SELECT count(*) FROM credentials
                 WHERE revoked_at IS NULL AND (?1 IS NULL OR user = ?1)",
                [user],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| sql_error(&self.path, &e))
    }

    fn list(&mut self, filter: &ListFilter, now: Timestamp) -> Result<Vec<Credential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials
             WHERE revoked_at IS NULL
               AND (?1 IS NULL OR user = ?1)
               AND (?2 = 0 OR expires_at <= ?3)
               AND (?4 IS NULL OR (expires_at > ?3 AND expires_at <= ?4))
             ORDER BY user, created, id"
        );
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(|e| sql_error(&self.path, &e))?;
        let rows = stmt
            .query_map(
                params![
                    filter.user,
                    filter.expired_only,
                    now,
                    filter.expiring_before
                ],
                credential,
            )
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| sql_error(&self.path, &e))
    }

    fn get(&mut self, id_or_prefix: &str) -> Result<Credential> {
        // Ids are [0-9a-z]; '{' sorts right after 'z', so this range is "starts with".
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE id >= ?1 AND id < ?1 || '{{'
             ORDER BY id LIMIT 2"
        );
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(|e| sql_error(&self.path, &e))?;
        let found = stmt
            .query_map([id_or_prefix], credential)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| sql_error(&self.path, &e))?;
        crate::store::one_match(id_or_prefix, found)
    }

    fn find_by_name(&mut self, user: &str, name: &str) -> Result<Option<Credential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials
             WHERE user = ?1 AND name_key = ?2 AND revoked_at IS NULL"
        );
        self.conn
            .query_row(&sql, params![user, name_key(name)], credential)
            .optional()
            .map_err(|e| self.err(e))
    }

    fn revoke(&mut self, ids: &[String], now: Timestamp, actor: &str) -> Result<Vec<Credential>> {
        let path = self.path.clone();
        self.write(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let mut revoked = Vec::with_capacity(ids.len());
            for id in ids {
                let row = tx
                    .query_row(
                        &format!(
                            "UPDATE credentials SET revoked_at = ?2, hash = NULL
                             WHERE id = ?1 AND revoked_at IS NULL RETURNING {CREDENTIAL_COLUMNS}"
                        ),
                        params![id, now],
                        credential,
                    )
                    .optional()
                    .map_err(e)?;
                let Some(c) = row else {
                    return Err(crate::store::refuse_revoked(id, "already revoked"));
                };
                insert_event(
                    tx,
                    &NewEvent::about(kind::REVOKED, now, &c.user, id, &c.name).by(actor),
                )
                .map_err(e)?;
                revoked.push(c);
            }
            Ok(revoked)
        })
    }

    fn revoke_all(&mut self, user: Option<&str>, now: Timestamp, actor: &str) -> Result<u64> {
        let path = self.path.clone();
        self.write(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let count = tx
                .execute(
                    "UPDATE credentials SET revoked_at = ?2, hash = NULL
                     WHERE revoked_at IS NULL AND (?1 IS NULL OR user = ?1)",
                    params![user, now],
                )
                .map_err(e)?;
            let detail = crate::store::detail::revoke_all(count);
            insert_event(
                tx,
                &NewEvent {
                    user,
                    ..NewEvent::new(kind::REVOKE_ALL, now)
                }
                .detail(Some(&detail))
                .by(actor),
            )
            .map_err(e)?;
            Ok(count as u64)
        })
    }

    fn rotate(
        &mut self,
        old_id: &str,
        new: &NewCredential,
        now: Timestamp,
        actor: &str,
    ) -> Result<bool> {
        let path = self.path.clone();
        let rotated = self.write_or_roll_back(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let retired = tx
                .execute(
                    "UPDATE credentials SET revoked_at = ?2, hash = NULL, replaced_by = ?3
                     WHERE id = ?1 AND revoked_at IS NULL",
                    params![old_id, now, new.id],
                )
                .map_err(e)?;
            if retired == 0 {
                return Err(crate::store::refuse_revoked(
                    old_id,
                    "revoked; create a new one instead",
                ));
            }
            match insert_row(tx, new, now) {
                Ok(true) => {}
                // The id is taken: roll the retirement back too; the caller draws anew.
                Ok(false) => return Ok(None),
                Err(err) => return Err(e(err)),
            }
            let detail = crate::store::detail::rotated(old_id);
            insert_event(
                tx,
                &NewEvent::about(kind::ROTATED, now, &new.user, &new.id, &new.name)
                    .detail(Some(&detail))
                    .by(actor),
            )
            .map_err(e)?;
            Ok(Some(()))
        })?;
        Ok(rotated.is_some())
    }

    fn update(
        &mut self,
        id: &str,
        changes: &Changes,
        now: Timestamp,
        actor: &str,
    ) -> Result<Credential> {
        let path = self.path.clone();
        self.write(|tx| change_in(tx, &path, id, changes, Stamp { now, actor }))
    }

    fn events(&mut self, filter: &LogFilter) -> Result<Vec<Event>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {EVENT_COLUMNS} FROM events
                 WHERE (?1 IS NULL OR user = ?1 OR (user IS NULL AND kind = 'revoke-all'))
                   AND (?2 IS NULL OR at >= ?2)
                 ORDER BY seq"
            ))
            .map_err(|e| sql_error(&self.path, &e))?;
        let rows = stmt
            .query_map(params![filter.user, filter.since], event)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| sql_error(&self.path, &e))
    }

    fn prune_events(&mut self, before: Timestamp, now: Timestamp, actor: &str) -> Result<u64> {
        let path = self.path.clone();
        self.write(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let count = tx
                .execute("DELETE FROM events WHERE at < ?1", [before])
                .map_err(e)?;
            let detail = crate::store::detail::pruned(count);
            let ev = NewEvent::new(kind::PRUNED, now)
                .detail(Some(&detail))
                .by(actor);
            insert_event(tx, &ev).map_err(e)?;
            Ok(count as u64)
        })
    }
}
