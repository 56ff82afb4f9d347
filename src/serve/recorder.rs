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
/// The claimed user of rows that count several users' rejections together: no user name
/// can be this (a `:` cannot pass in HTTP Basic, and appw refuses it in names).
pub const SEVERAL_USERS: &str = "(several users):";
/// Distinct (credential, source) uses held at most; beyond, a use is counted against its
/// credential without a source, so no use is lost and memory stays bounded.
const MAX_USES: usize = 100_000;

#[derive(Default)]
pub struct Recorder {
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    uses: HashMap<(String, Option<String>), UseCount>,
    rejections: HashMap<RejectionKey, RejectionCount>,
    /// Rejections not kept since the last commit (the table was full).
    dropped: u64,
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
        let mut key = (id.to_string(), source.map(str::to_string));
        if p.uses.len() >= MAX_USES && !p.uses.contains_key(&key) {
            key.1 = None;
        }
        let source = key.1.clone();
        let entry = p.uses.entry(key).or_insert_with(|| UseCount {
            id: id.to_string(),
            source,
            count: 0,
            at,
            rehash: None,
        });
        entry.count += 1;
        entry.at = entry.at.max(at);
        if rehash.is_some() {
            entry.rehash = rehash;
        }
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
        if p.rejections.len() >= MAX_REJECTIONS && !p.rejections.contains_key(&key) {
            p.dropped += 1;
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

    /// Everything pending, for one commit, and how many rejections were not kept.
    pub fn take(&self) -> (Batch, u64) {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let p = std::mem::take(&mut *p);
        let mut batch = Batch {
            uses: p.uses.into_values().collect(),
            rejections: p.rejections.into_values().collect(),
        };
        // Oldest first, so the last source and time written are the latest.
        batch.uses.sort_by_key(|u| u.at);
        batch.rejections.sort_by_key(|r| r.at);
        (batch, p.dropped)
    }

    /// Puts back a batch whose commit failed, to be retried with the next one.
    pub fn restore(&self, batch: Batch) {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        for u in batch.uses {
            let key = (u.id.clone(), u.source.clone());
            let key = if p.uses.len() >= MAX_USES && !p.uses.contains_key(&key) {
                (key.0, None)
            } else {
                key
            };
            match p.uses.get_mut(&key) {
                Some(e) => {
                    e.count += u.count;
                    e.at = e.at.max(u.at);
                    if e.rehash.is_none() {
                        e.rehash = u.rehash;
                    }
                }
                None => {
                    let source = key.1.clone();
                    p.uses.insert(key, UseCount { source, ..u });
                }
            }
        }
        for r in batch.rejections {
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
                None if full => p.dropped += r.count as u64,
                None => {
                    p.rejections.insert(key, r);
                }
            }
        }
    }

    pub fn pending(&self) -> usize {
        let p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        p.uses.len() + p.rejections.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_occurrences_become_one_with_a_count() {
        let r = Recorder::default();
        for at in [5, 3, 9] {
            r.used("id1", Some("10.0.0.1"), at, None);
        }
        r.used("id1", Some("10.0.0.2"), 4, None);
        for _ in 0..4 {
            let rejection = Rejection {
                id: None,
                claimed_user: Some("eve"),
                reason: "no such credential for this user",
                source: Some("10.0.0.9"),
                expired: false,
            };
            r.rejected(&rejection, 7);
        }
        let (batch, dropped) = r.take();
        assert_eq!(dropped, 0);
        assert_eq!(batch.uses.len(), 2);
        let first = batch
            .uses
            .iter()
            .find(|u| u.source.as_deref() == Some("10.0.0.1"));
        assert_eq!(first.map(|u| (u.count, u.at)), Some((3, 9)));
        assert_eq!(batch.rejections.len(), 1);
        assert_eq!(batch.rejections[0].count, 4);
        assert_eq!(r.pending(), 0, "taken");
        r.restore(batch.clone());
        r.restore(batch);
        let (again, _) = r.take();
        assert_eq!(
            again.rejections[0].count, 8,
            "a failed commit is retried, not lost"
        );
        assert_eq!(again.uses.iter().map(|u| u.count).sum::<i64>(), 8);
    }

    #[test]
    fn clients_varying_user_and_source_cannot_push_real_rejections_out() {
        let r = Recorder::default();
        // A flood of made-up users from one address, from a whole /64, and from many
        // IPv4 addresses.
        let unknown = |user: &str, source: &str| {
            r.rejected(
                &Rejection {
                    id: None,
                    claimed_user: Some(user),
                    reason: "no such credential for this user",
                    source: Some(source),
                    expired: false,
                },
                1,
            );
        };
        for n in 0..5_000 {
            unknown(&format!("u{n}"), "203.0.113.9");
            unknown(&format!("v{n}"), &format!("2001:db8::{n:x}"));
            unknown(&format!("w{n}"), &format!("10.{}.{}.1", n / 256, n % 256));
        }
        // A real integration whose password was revoked, after the flood.
        r.rejected(
            &Rejection {
                id: Some("id1"),
                claimed_user: Some("deploy"),
                reason: "the credential is revoked",
                source: Some("192.0.2.1"),
                expired: false,
            },
            2,
        );
        let (batch, dropped) = r.take();
        assert_eq!(dropped, 0, "nothing was dropped");
        assert!(
            batch.rejections.len() <= MAX_ANONYMOUS + 2,
            "{}",
            batch.rejections.len()
        );
        assert!(
            batch
                .rejections
                .iter()
                .any(|x| x.id.as_deref() == Some("id1")
                    && x.claimed_user.as_deref() == Some("deploy")),
            "the genuine rejection kept its row"
        );
        let total: i64 = batch.rejections.iter().map(|x| x.count).sum();
        assert_eq!(total, 15_001, "every rejection is counted");
        let one_host = batch
            .rejections
            .iter()
            .filter(|x| x.source.as_deref() == Some("203.0.113.9"))
            .count();
        assert!(one_host <= USERS_PER_SOURCE + 1, "{one_host}");
    }
}
