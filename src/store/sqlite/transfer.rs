//! `copy-store`'s two halves: everything out of one snapshot, everything into an empty
//! store in one transaction.

use rusqlite::params;

use super::SqliteStore;
use super::rows::{CREDENTIAL_COLUMNS, EVENT_COLUMNS, event, sql_error, stored};
use crate::error::Result;
use crate::store::{Dump, list_text, name_key};

impl SqliteStore {
    pub(super) fn export_all(&mut self) -> Result<Dump> {
        // A read transaction: both tables from one snapshot, even while others write.
        let path = self.path.clone();
        let e = |err: rusqlite::Error| sql_error(&path, &err);
        let tx = self.conn.transaction().map_err(e)?;
        let credentials = tx
            .prepare(&format!(
                "SELECT {CREDENTIAL_COLUMNS}, hash, replaced_by FROM credentials
                 ORDER BY created, id"
            ))
            .and_then(|mut stmt| {
                stmt.query_map([], stored)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(e)?;
        let events = tx
            .prepare(&format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY seq"))
            .and_then(|mut stmt| {
                stmt.query_map([], event)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(Dump {
            credentials,
            events,
        })
    }

    /// Imports `dump`, then folds the WAL into the main file and empties it: a copy is
    /// often handed on as one file (a backup), which must hold every row by itself.
    pub(super) fn import_all(&mut self, dump: &Dump) -> Result<()> {
        self.import_rows(dump)?;
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if busy != 0 {
            return Err(crate::error::Error::Unavailable(format!(
                "the copy {} is written, but another process kept its rows from being folded \
                 into the main file: keep {0}-wal with it, or run copy-store again when \
                 nothing else uses the copy",
                self.path.display()
            )));
        }
        Ok(())
    }

    fn import_rows(&mut self, dump: &Dump) -> Result<()> {
        let path = self.path.clone();
        self.write(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let (credentials, events): (i64, i64) = tx
                .query_row(
                    "SELECT (SELECT count(*) FROM credentials), (SELECT count(*) FROM events)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(e)?;
            crate::store::check_empty(credentials, events)?;
            let mut insert = tx
                .prepare(
                    "INSERT INTO credentials (id, user, name, name_key, app_id, hash, created,
                        expires_at, last_used, last_source, use_count, last_failed,
                        last_failed_source, revoked_at, replaced_by, scopes, allow_from,
                        disabled)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                             ?16, ?17, ?18)",
                )
                .map_err(e)?;
            for s in &dump.credentials {
                let c = &s.credential;
                insert
                    .execute(params![
                        c.id,
                        c.user,
                        c.name,
                        name_key(&c.name),
                        c.app_id,
                        s.hash,
                        c.created,
                        c.expires_at,
                        c.last_used,
                        c.last_source,
                        c.use_count,
                        c.last_failed,
                        c.last_failed_source,
                        c.revoked_at,
                        s.replaced_by,
                        list_text(&c.scopes),
                        list_text(&c.allow_from),
                        c.disabled
                    ])
                    .map_err(e)?;
            }
            // Explicit seq values also move AUTOINCREMENT's counter past them.
            let mut insert = tx
                .prepare(
                    "INSERT INTO events
                        (seq, at, kind, user, credential_id, name, source, detail, count, actor)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(e)?;
            for ev in &dump.events {
                insert
                    .execute(params![
                        ev.seq,
                        ev.at,
                        ev.kind,
                        ev.user,
                        ev.credential_id,
                        ev.name,
                        ev.source,
                        ev.detail,
                        ev.count,
                        ev.actor
                    ])
                    .map_err(e)?;
            }
            Ok(())
        })
    }
}
