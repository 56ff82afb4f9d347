//! The warm path: passwords this process has verified with argon2, remembered as a keyed
//! digest (HMAC-SHA-256 under a random per-process key, never the password itself) bound to
//! the stored hash they were checked against. A request whose password has the remembered
//! digest, and whose credential still holds that same hash (read from the store on every
//! request), needs no second argon2 evaluation. Revoking, rotating or re-hashing a
//! credential changes or clears its stored hash, so the very next request misses.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::secret::digest::{Digest, Keyed};

/// Credentials remembered at most; beyond that the cache starts over (an attacker cannot
/// fill it: only passwords that verified are remembered).
const MAX_ENTRIES: usize = 100_000;

pub struct Cache {
    key: Keyed,
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    user: String,
    digest: Digest,
    /// The stored hash the password was verified against.
    hash: String,
}

impl Cache {
    pub fn new() -> Cache {
        Cache {
            key: Keyed::random(),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `user`'s `password` for credential `id` was verified against exactly
    /// `stored_hash`.
    pub fn recalls(&self, id: &str, user: &str, password: &str, stored_hash: &str) -> bool {
        let digest = self.key.digest(user, password);
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(id)
            .is_some_and(|e| e.user == user && e.digest.matches(&digest) && e.hash == stored_hash)
    }

    /// Remembers a password argon2 has just verified against `hash`.
    pub fn remember(&self, id: &str, user: &str, password: &str, hash: &str) {
        let digest = self.key.digest(user, password);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(id) {
            entries.clear();
        }
        entries.insert(
            id.to_string(),
            Entry {
                user: user.to_string(),
                digest,
                hash: hash.to_string(),
            },
        );
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recalls_only_the_same_user_password_and_hash() {
        let cache = Cache::new();
        cache.remember("id1", "deploy", "pw", "h1");
        assert!(cache.recalls("id1", "deploy", "pw", "h1"));
        assert!(
            !cache.recalls("id1", "deploy", "pw2", "h1"),
            "another password"
        );
        assert!(!cache.recalls("id1", "other", "pw", "h1"), "another user");
        assert!(
            !cache.recalls("id1", "deploy", "pw", "h2"),
            "the hash changed"
        );
        assert!(!cache.recalls("id2", "deploy", "pw", "h1"), "another id");
    }
}
