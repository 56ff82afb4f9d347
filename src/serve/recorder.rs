//! Uses and rejections wait here, aggregated, until the next group commit: one row update
//! and one event per credential and source (or per identical rejection) per interval,
//! however many requests there were.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::{Batch, Rejection, RejectionCount, Timestamp, UseCount};

/// Distinct rejections held at most between two commits; beyond this they are only
/// counted.
const MAX_REJECTIONS: usize = 10_000;
/// Rejections that name no credential (an unknown id, another user's) are the client's to
/// vary: the claimed user and, from many addresses or a whole IPv6 /64, the source. So
/// that they cannot push the others out, each source (an address, or an IPv6 /64) keeps
/// its own row for this many claimed users an interval, beyond which its rejections are
/// counted together under [`SEVERAL_USERS`]; and all of them together take at most
/// [`MAX_ANONYMOUS`] rows, beyond which they are counted per reason without a source.
/// Rejections of a real credential (a wrong password, a revoked or expired one) keep
/// their own rows, up to [`MAX_REJECTIONS`].
const USERS_PER_SOURCE: usize = 8;
const MAX_ANONYMOUS: usize = 2_000;
/// Ids are public and a revoked one costs no argon2, so the source is the client's to
/// vary there too (every address of an IPv6 /48): each credential keeps its own row for
/// this many sources an interval, beyond which its rejections are counted per reason
/// without a source. (Every attempt still has its line, with its address, on stderr.)
const SOURCES_PER_CREDENTIAL: usize = 16;
/// The reason of the row that counts, on the commit after it happened, the rejections no
/// row could be kept for (more than [`MAX_REJECTIONS`] distinct ones in one interval):
/// the log says how many went unrecorded rather than nothing.
pub const NOT_RECORDED: &str = "rejections not recorded (too many distinct ones at once)";
/// The claimed user of rows that count several users' rejections together: no user name
/// can be this (a `:` cannot pass in HTTP Basic, and appw refuses it in names).
pub const SEVERAL_USERS: &str = "(several users):";
/// Distinct (credential, source) uses held at most; beyond, a use is counted against its
/// credential without a source, so no use is lost and memory stays bounded (by this, plus
/// one row per credential used: only verified credentials' uses come here).
const MAX_USES: usize = 100_000;

#[derive(Default)]
pub struct Recorder {
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    uses: Uses,
    rejections: HashMap<RejectionKey, RejectionCount>,
    /// Rejections not kept since the last commit (the table was full).
    dropped: u64,
    /// Rejections not kept and not yet counted in a committed [`NOT_RECORDED`] row (those
    /// of a commit that failed, too), and the latest of their times.
    unrecorded: i64,
    unrecorded_at: Timestamp,
    /// Rows with a source per credential.
    sources: HashMap<String, usize>,
    /// Rows of rejections that name no credential, in all and per source (its throttle
    /// key).
    anonymous: usize,
    per_source: HashMap<String, usize>,
}

#[derive(PartialEq, Eq, Hash)]
struct RejectionKey {
    id: Option<String>,
    user: Option<String>,
    /// The reason's message, which is also what the store records.
    reason: &'static str,
    source: Option<String>,
}

impl Recorder {
    pub fn used(
        &self,
        id: &str,
        source: Option<&str>,
        at: Timestamp,
        rehash: Option<(String, String)>,
    ) {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        p.uses.add(id, source, 1, at, rehash);
    }

    pub fn rejected(&self, rejection: &Rejection<'_>, at: Timestamp) {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let mut key = RejectionKey {
            id: rejection.id.map(str::to_string),
            user: rejection.claimed_user.map(str::to_string),
            reason: rejection.reason,
            source: rejection.source.map(str::to_string),
        };
        if key.id.is_none() && !p.rejections.contains_key(&key) {
            let prefix = rejection
                .source
                .map(super::throttle::key)
                .unwrap_or_default();
            let seen = p.per_source.get(&prefix).copied().unwrap_or(0);
            if seen >= USERS_PER_SOURCE {
                key.user = Some(SEVERAL_USERS.to_string());
            }
            if p.anonymous >= MAX_ANONYMOUS {
                key.user = Some(SEVERAL_USERS.to_string());
                key.source = None;
            }
            if !p.rejections.contains_key(&key) {
                p.anonymous += 1;
                *p.per_source.entry(prefix).or_default() += 1;
            }
        }
        if let (Some(id), Some(_)) = (&key.id, &key.source)
            && !p.rejections.contains_key(&key)
        {
            let sourced = p.sources.get(id).copied().unwrap_or(0);
            if sourced >= SOURCES_PER_CREDENTIAL {
                key.source = None;
            } else {
                *p.sources.entry(id.clone()).or_default() += 1;
            }
        }
        if p.rejections.len() >= MAX_REJECTIONS && !p.rejections.contains_key(&key) {
            p.dropped += 1;
            p.unrecorded += 1;
            p.unrecorded_at = p.unrecorded_at.max(at);
            return;
        }
        let (user, source) = (key.user.clone(), key.source.clone());
        let entry = p.rejections.entry(key).or_insert_with(|| RejectionCount {
            id: rejection.id.map(str::to_string),
            claimed_user: user,
            reason: rejection.reason,
            source,
            expired: rejection.expired,
            count: 0,
            at,
        });
        entry.count += 1;
        entry.at = entry.at.max(at);
    }

    /// Everything pending, for one commit (with a [`NOT_RECORDED`] row when rejections
    /// could not be kept), and how many rejections were not kept since the last call.
    pub fn take(&self) -> (Batch, u64) {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let p = std::mem::take(&mut *p);
        let mut batch = Batch {
            uses: p.uses.into_rows(),
            rejections: p.rejections.into_values().collect(),
        };
        if p.unrecorded > 0 {
            batch.rejections.push(RejectionCount {
                id: None,
                claimed_user: None,
                reason: NOT_RECORDED,
                source: None,
                expired: false,
                count: p.unrecorded,
                at: p.unrecorded_at,
            });
        }
        // Oldest first, so the last source and time written are the latest.
        batch.uses.sort_by_key(|u| u.at);
        batch.rejections.sort_by_key(|r| r.at);
        (batch, p.dropped)
    }

    /// Puts back a batch whose commit failed, to be retried with the next one.
    pub fn restore(&self, batch: Batch) {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        for u in batch.uses {
            p.uses
                .add(&u.id, u.source.as_deref(), u.count, u.at, u.rehash);
        }
        for r in batch.rejections {
            if r.reason == NOT_RECORDED && r.id.is_none() {
                p.unrecorded += r.count;
                p.unrecorded_at = p.unrecorded_at.max(r.at);
                continue;
            }
            let key = RejectionKey {
                id: r.id.clone(),
                user: r.claimed_user.clone(),
                reason: r.reason,
                source: r.source.clone(),
            };
            let full = p.rejections.len() >= MAX_REJECTIONS;
            match p.rejections.get_mut(&key) {
                Some(e) => {
                    e.count += r.count;
                    e.at = e.at.max(r.at);
                }
                None if full => {
                    p.dropped += r.count as u64;
                    p.unrecorded += r.count;
                    p.unrecorded_at = p.unrecorded_at.max(r.at);
                }
                None => {
                    p.rejections.insert(key, r);
                }
            }
        }
    }

    pub fn pending(&self) -> usize {
        let p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        // A "not recorded" row put back after a failed commit is pending too.
        p.uses.rows + p.rejections.len() + usize::from(p.unrecorded > 0)
    }
}

/// The uses pending, one row per credential and source. Found by borrowed id and source:
/// a request that uses a credential again (the warm path) allocates nothing here.
#[derive(Default)]
struct Uses {
    by_id: HashMap<String, Sources>,
    /// Rows in all, of every credential.
    rows: usize,
}

#[derive(Default)]
struct Sources {
    by_source: HashMap<String, UseCount>,
    /// Uses counted without a source (none known, or no room for its own row).
    unsourced: Option<UseCount>,
}

impl Uses {
    /// Adds `count` uses of `id` from `source` at `at`. Beyond [`MAX_USES`] rows, a new
    /// source's uses are counted against the credential without one: none is lost, and
    /// memory stays bounded by the credentials there are. A rehash already pending is kept
    /// (any of them replaces the hash they were all checked against).
    fn add(
        &mut self,
        id: &str,
        source: Option<&str>,
        count: i64,
        at: Timestamp,
        rehash: Option<(String, String)>,
    ) {
        match self.by_id.get_mut(id) {
            Some(sources) => sources.add(&mut self.rows, id, source, count, at, rehash),
            None => {
                let sources = self.by_id.entry(id.to_owned()).or_default();
                sources.add(&mut self.rows, id, source, count, at, rehash);
            }
        }
    }

    fn into_rows(self) -> Vec<UseCount> {
        let mut rows = Vec::with_capacity(self.rows);
        for sources in self.by_id.into_values() {
            rows.extend(sources.by_source.into_values());
            rows.extend(sources.unsourced);
        }
        rows
    }
}

impl Sources {
    /// [`Uses::add`] for one credential's rows; `rows` counts those it makes.
    fn add(
        &mut self,
        rows: &mut usize,
        id: &str,
        source: Option<&str>,
        count: i64,
        at: Timestamp,
        rehash: Option<(String, String)>,
    ) {
        let fresh = |source: Option<&str>| UseCount {
            id: id.to_owned(),
            source: source.map(str::to_owned),
            count: 0,
            at,
            rehash: None,
        };
        let row = match source {
            Some(s) if self.by_source.contains_key(s) => self.by_source.get_mut(s),
            Some(s) if *rows < MAX_USES => {
                *rows += 1;
                Some(self.by_source.entry(s.to_owned()).or_insert(fresh(Some(s))))
            }
            _ => None,
        };
        let row = match row {
            Some(row) => row,
            None => self.unsourced.get_or_insert_with(|| {
                *rows += 1;
                fresh(None)
            }),
        };
        row.count += count;
        row.at = row.at.max(at);
        if row.rehash.is_none() {
            row.rehash = rehash;
        }
    }
}

#[cfg(test)]
mod tests;
