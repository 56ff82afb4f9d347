//! The warm path: passwords this process has verified with argon2, remembered as a keyed
//! digest (HMAC-SHA-256 under a random per-process key, never the password itself) bound to
//! the stored hash they were checked against. A request whose password has the remembered
//! digest, and whose credential still holds that same hash (read from the store on every
//! request), needs no second argon2 evaluation. Revoking, rotating or re-hashing a
//! credential changes or clears its stored hash, so the very next request misses.

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{KeyInit, Mac};
use rand::RngExt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

type Digest = [u8; 32];

/// Credentials remembered at most; beyond that the cache starts over (an attacker cannot
/// fill it: only passwords that verified are remembered).
const MAX_ENTRIES: usize = 100_000;

pub struct Cache {
    key: Zeroizing<[u8; 32]>,
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
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill(&mut key[..]);
        Cache {
            key,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn digest(&self, user: &str, password: &str) -> Digest {
        let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.key[..])
            .expect("HMAC takes a key of any length");
        // The length keeps user and password apart (a user cannot hold a ':', but the
        // digest should not depend on that).
        mac.update(&(user.len() as u64).to_le_bytes());
        mac.update(user.as_bytes());
        mac.update(password.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&mac.finalize().into_bytes());
        out
    }

    /// Whether `user`'s `password` for credential `id` was verified against exactly
    /// `stored_hash`.
    pub fn recalls(&self, id: &str, user: &str, password: &str, stored_hash: &str) -> bool {
        let digest = self.digest(user, password);
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(id).is_some_and(|e| {
            e.user == user && bool::from(e.digest.ct_eq(&digest)) && e.hash == stored_hash
        })
    }

    /// Remembers a password argon2 has just verified against `hash`.
    pub fn remember(&self, id: &str, user: &str, password: &str, hash: &str) {
        let digest = self.digest(user, password);
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
        // Two processes' keys differ, so a digest says nothing outside its process.
        assert_ne!(
            Cache::new().digest("deploy", "pw"),
            cache.digest("deploy", "pw")
        );
    }
}
