//! A keyed digest of a password (HMAC-SHA-256 under a random per-process key): what a
//! long-running process may remember of a password it has verified, instead of the
//! password. Without the key, which never leaves the process's memory, the digest says
//! nothing about the password; two processes' digests of one password differ.

use hmac::{KeyInit, Mac};
use rand::RngExt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A digest made by [`Keyed::digest`].
#[derive(Clone, Copy)]
pub struct Digest([u8; 32]);

impl Digest {
    /// Constant-time equality.
    pub fn matches(&self, other: &Digest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

pub struct Keyed {
    key: Zeroizing<[u8; 32]>,
}

impl Keyed {
    /// A fresh key from the OS-seeded CSPRNG.
    pub fn random() -> Keyed {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill(&mut key[..]);
        Keyed { key }
    }

    /// The digest of `user`'s `password`.
    pub fn digest(&self, user: &str, password: &str) -> Digest {
        let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.key[..])
            .expect("HMAC takes a key of any length");
        // The length keeps user and password apart (a user cannot hold a ':', but the
        // digest should not depend on that).
        mac.update(&(user.len() as u64).to_le_bytes());
        mac.update(user.as_bytes());
        mac.update(password.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&mac.finalize().into_bytes());
        Digest(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_depend_on_key_user_and_password() {
        let key = Keyed::random();
        let d = key.digest("deploy", "pw");
        assert!(d.matches(&key.digest("deploy", "pw")));
        assert!(!d.matches(&key.digest("deploy", "pw2")));
        assert!(
            !d.matches(&key.digest("deplo", "ypw")),
            "user and password kept apart"
        );
        assert!(
            !d.matches(&Keyed::random().digest("deploy", "pw")),
            "another key"
        );
    }
}
