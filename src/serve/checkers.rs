//! The two ways `serve` decides without argon2, as [`auth::Checker`]s for the one decision.

use crate::auth;
use crate::secret::kdf::{BadHash, Checked};

/// The checker of the warm path (the password's digest matched and the stored hash is the
/// one it was verified against): the stored hash is known to be the right one, so it
/// never spends argon2.
pub struct Remembered;

impl auth::Checker for Remembered {
    fn check(&self, _stored: &str) -> Result<Checked, BadHash> {
        Ok(Checked {
            valid: true,
            rehash: None,
        })
    }

    fn spend_like(&self, _stored: Option<&str>) {}
}

/// The checker of requests that need no hash (unknown, another user's or revoked ids):
/// `decide` never asks it, and should it ever, the answer is no.
pub struct Unchecked;

impl auth::Checker for Unchecked {
    fn check(&self, _stored: &str) -> Result<Checked, BadHash> {
        Ok(Checked {
            valid: false,
            rehash: None,
        })
    }

    fn spend_like(&self, _stored: Option<&str>) {}
}
