//! The server's group commit: an interval's uses and rejections in one transaction.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use super::rows::{insert_event, sql_error};
use crate::error::Result;
use crate::store::{Batch, Durability, NewEvent, REHASHED, kind};

impl SqliteStore {
    /// [`crate::store::Store::record_uses`]: relaxed durability, like every use record.
    pub(super) fn write_batch(&mut self, batch: &Batch) -> Result<()> {
        let path = self.path.clone();
        self.write_as(Durability::Relaxed, |tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            for u in &batch.uses {
                let (checked, rehash) = match &u.rehash {
                    Some((checked, new)) => (Some(checked.as_str()), Some(new.as_str())),
                    None => (None, None),
                };
                let row: Option<(String, String, bool)> = tx
                    .prepare_cached(
                        "UPDATE credentials
                         SET use_count = use_count + ?2,
                             last_source = CASE WHEN last_used > ?3 THEN last_source ELSE ?4 END,
                             last_used = max(coalesce(last_used, ?3), ?3),
                             hash = CASE WHEN hash = ?5 THEN coalesce(?6, hash) ELSE hash END
                         WHERE id = ?1
                         RETURNING user, name, hash IS ?6",
                    )
                    .and_then(|mut stmt| {
                        stmt.query_row(
                            params![u.id, u.count, u.at, u.source, checked, rehash],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .optional()
                    })
                    .map_err(e)?;
                // A credential deleted from under the server (by hand) leaves nothing to count.
                let Some((user, name, rehashed)) = row else {
                    continue;
                };
                let detail = (rehash.is_some() && rehashed).then_some(REHASHED);
                insert_event(
                    tx,
                    &NewEvent::about(kind::VERIFIED, u.at, &user, &u.id, &name)
                        .source(u.source.as_deref())
                        .detail(detail)
                        .count(u.count),
                )
                .map_err(e)?;
            }
            for r in &batch.rejections {
                let mut name = None;
                if let Some(id) = &r.id {
                    name = tx
                        .prepare_cached(
                            "UPDATE credentials
                             SET last_failed_source =
                                     CASE WHEN last_failed > ?2 THEN last_failed_source ELSE ?3 END,
                                 last_failed = max(coalesce(last_failed, ?2), ?2)
                             WHERE id = ?1 RETURNING name",
                        )
                        .and_then(|mut stmt| {
                            stmt.query_row(params![id, r.at, r.source], |row| {
                                row.get::<_, String>(0)
                            })
                            .optional()
                        })
                        .map_err(e)?;
                }
                let rejection = r.rejection();
                insert_event(tx, &r.event(&rejection, name.as_deref())).map_err(e)?;
            }
            Ok(())
        })
    }
}
