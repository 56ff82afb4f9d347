//! argon2id hashing in PHC string form and verification. A verify's one evaluation starts
//! before the stored hash is read ([`Attempt`]), which both hides the store's latency behind
//! the hash and makes a rejection for an unknown user or id cost the same as one for a
//! wrong password.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::{Algorithm, Argon2, Params, Version};
use password_hash::phc::{self, PasswordHash};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::secret::redact::quoted;

use super::memory::Arena;

const SALT_LEN: usize = 16;
const OUTPUT_LEN: usize = 32;
/// Upper bounds for `--kdf`, so a typo cannot ask for a terabyte or a day of hashing.
const MAX_M_KIB: u32 = 4 * 1024 * 1024;
const MAX_T: u32 = 100;
const MAX_P: u32 = 64;

/// argon2id cost parameters, written `m=KIB,t=ITERATIONS,p=LANES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    pub m: u32,
    pub t: u32,
    pub p: u32,
}

impl Default for KdfParams {
    /// OWASP's minimum for argon2id.
    fn default() -> Self {
        KdfParams {
            m: 19456,
            t: 2,
            p: 1,
        }
    }
}

impl KdfParams {
    /// The parameters to rehash with when a hash made with `self` is cheaper to attack than
    /// `policy` asks for: each parameter at the larger of the two, so an upgrade never lowers
    /// any cost, and hosts with different policies converge instead of flip-flopping.
    pub fn upgrade_to(&self, policy: &KdfParams) -> Option<KdfParams> {
        let target = KdfParams {
            m: self.m.max(policy.m),
            t: self.t.max(policy.t),
            p: self.p,
        };
        (target != *self).then_some(target)
    }

    fn argon2(&self) -> Argon2<'static> {
        // Validated when parsed, so this cannot fail.
        let params = Params::new(self.m, self.t, self.p, Some(OUTPUT_LEN))
            .expect("KdfParams are validated on construction");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    fn validate(self) -> Result<Self, String> {
        if self.t == 0 || self.t > MAX_T {
            return Err(format!("t must be between 1 and {MAX_T}"));
        }
        if self.p == 0 || self.p > MAX_P {
            return Err(format!("p must be between 1 and {MAX_P}"));
        }
        if self.m < 8 * self.p || self.m > MAX_M_KIB {
            return Err(format!("m must be between 8×p and {MAX_M_KIB} (KiB)"));
        }
        Ok(self)
    }
}

impl FromStr for KdfParams {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut out = KdfParams::default();
        for part in s.split(',') {
            let (key, value) = part
                .trim()
                .split_once('=')
                .ok_or_else(|| format!("expected m=KIB,t=ITERATIONS,p=LANES, got {}", quoted(s)))?;
            let value: u32 = value
                .trim()
                .parse()
                .map_err(|_| format!("{key}={} is not a whole number", quoted(value)))?;
            match key.trim() {
                "m" => out.m = value,
                "t" => out.t = value,
                "p" => out.p = value,
                other => {
                    return Err(format!(
                        "unknown parameter {} (use m, t and p)",
                        quoted(other)
                    ));
                }
            }
        }
        out.validate()
    }
}

impl fmt::Display for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={},t={},p={}", self.m, self.t, self.p)
    }
}

/// A stored hash that cannot be read (the store is damaged or was edited by hand).
#[derive(Debug, thiserror::Error)]
#[error("a stored hash is not an argon2id PHC string")]
pub struct BadHash;

/// A parsed `$argon2id$v=19$m=..,t=..,p=..$salt$hash` string (read and written with the
/// `password-hash` crate's PHC parser), held to what appw writes: argon2id, version 19,
/// exactly `m`, `t` and `p` within `--kdf`'s bounds, a salt of 8 bytes or more, a 32-byte
/// hash.
struct Phc {
    params: KdfParams,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl Phc {
    fn parse(s: &str) -> Result<Phc, BadHash> {
        let phc = PasswordHash::new(s).map_err(|_| BadHash)?;
        if phc.algorithm.as_str() != "argon2id" || phc.version != Some(0x13) {
            return Err(BadHash);
        }
        if phc.params.iter().count() != 3 {
            return Err(BadHash);
        }
        let get = |name| phc.params.get_decimal(name).ok_or(BadHash);
        let params = KdfParams {
            m: get("m")?,
            t: get("t")?,
            p: get("p")?,
        }
        .validate()
        .map_err(|_| BadHash)?;
        let (Some(salt), Some(hash)) = (phc.salt, phc.hash) else {
            return Err(BadHash);
        };
        if hash.len() != OUTPUT_LEN {
            return Err(BadHash);
        }
        Ok(Phc {
            params,
            salt: salt.as_ref().to_vec(),
            hash: hash.as_bytes().to_vec(),
        })
    }

    fn format(&self) -> String {
        let mut params = phc::ParamsString::new();
        for (name, value) in [
            ("m", self.params.m),
            ("t", self.params.t),
            ("p", self.params.p),
        ] {
            params
                .add_decimal(name, value)
                .expect("three short decimals fit a PHC parameter string");
        }
        PasswordHash {
            algorithm: phc::Ident::new("argon2id").expect("a valid identifier"),
            version: Some(0x13),
            params,
            salt: Some(phc::Salt::new(&self.salt).expect("appw's salts are 16 bytes")),
            hash: Some(phc::Output::new(&self.hash).expect("argon2's output is 32 bytes")),
        }
        .to_string()
    }
}

/// Runs argon2id evaluations for one owner (a command, a server's worker): the `--kdf`
/// policy new hashes get, where their memory comes from and what happens to it after
/// ([`Arena`]), and a count of evaluations (shared by a server's workers, read by its
/// metrics and by tests that check every path does the same work, without timing
/// anything). Everything a hash depends on is in here, handed in by the process.
pub struct Hasher {
    policy: KdfParams,
    arena: Arena,
    evaluations: Arc<AtomicU64>,
}

impl Hasher {
    pub fn new(policy: KdfParams, arena: Arena) -> Hasher {
        Hasher::counted(policy, arena, Arc::default())
    }

    /// A hasher that adds its evaluations to `evaluations` (shared with others).
    pub fn counted(policy: KdfParams, arena: Arena, evaluations: Arc<AtomicU64>) -> Hasher {
        Hasher {
            policy,
            arena,
            evaluations,
        }
    }

    pub fn policy(&self) -> KdfParams {
        self.policy
    }

    pub fn arena(&self) -> &Arena {
        &self.arena
    }

    /// How many evaluations this hasher (and any sharing its count) has run.
    pub fn evaluations(&self) -> u64 {
        self.evaluations.load(Ordering::Relaxed)
    }

    /// Starts preparing the memory of the evaluation at the policy that is about to come,
    /// in the background (see [`Arena::prepare`]).
    pub fn prepare(&self) {
        self.arena
            .prepare(self.policy.argon2().params().block_count());
    }

    /// One argon2id evaluation.
    pub fn compute(
        &self,
        password: &[u8],
        salt: &[u8],
        params: KdfParams,
    ) -> Zeroizing<[u8; OUTPUT_LEN]> {
        self.evaluations.fetch_add(1, Ordering::Relaxed);
        let argon2 = params.argon2();
        let mut memory = self.arena.take(argon2.params().block_count());
        let mut out = Zeroizing::new([0u8; OUTPUT_LEN]);
        argon2
            .hash_password_into_with_memory(password, salt, out.as_mut(), memory.blocks())
            .expect("inputs are within argon2's limits: the password is 48 bytes, the salt 16");
        self.arena.give_back(memory);
        out
    }

    /// Hashes the password of credential `id` at the policy, as a PHC string.
    pub fn hash(&self, password: &[u8], id: &str) -> String {
        let salt = salt_for(id);
        let out = self.compute(password, &salt, self.policy);
        phc_string(self.policy, salt, &out)
    }

    /// Starts verifying `password`, whose credential is `id`: its one evaluation runs now.
    pub fn attempt<'a>(&'a self, password: &'a [u8], id: &str) -> Attempt<'a> {
        let salt = salt_for(id);
        let out = self.compute(password, &salt, self.policy);
        Attempt {
            hasher: self,
            password,
            salt,
            out,
        }
    }
}

/// The salt of credential `id`'s hash: `appw` followed by the id, 16 bytes.
///
/// A salt has to be unique per hash, not secret (it is stored beside the hash in any
/// case). The id is 12 characters drawn from the OS CSPRNG when the credential is issued
/// (about 62 bits) and unique in its store, and the secret it salts has 155 bits, so no
/// table can be precomputed either way. What deriving the salt from the id buys: `verify`
/// knows the salt as soon as it has parsed the password, and starts hashing while the
/// store is still being opened (see [`Attempt`]).
fn salt_for(id: &str) -> Vec<u8> {
    let mut salt = Vec::with_capacity(SALT_LEN);
    salt.extend_from_slice(b"appw");
    salt.extend_from_slice(id.as_bytes());
    salt
}

fn phc_string(params: KdfParams, salt: Vec<u8>, out: &[u8; OUTPUT_LEN]) -> String {
    Phc {
        params,
        salt,
        hash: out.to_vec(),
    }
    .format()
}

/// A password being verified, with its one evaluation computed before the stored hash has
/// been read: the password hashed with its credential's salt ([`salt_for`] the id it
/// carries) at this host's `--kdf` policy. That is exactly the stored hash's computation
/// whenever the credential was issued (or last rehashed) under the same policy, the normal
/// case, and checking it is then a comparison. It is also the work spent on a password
/// that matches nothing (unknown user or id, revoked, no store), so those outcomes cost the
/// same one evaluation as a check of such a hash. (A hash made otherwise costs a second
/// one; see SECURITY.md, "Timing equalisation and its limits".)
pub struct Attempt<'a> {
    hasher: &'a Hasher,
    password: &'a [u8],
    salt: Vec<u8>,
    out: Zeroizing<[u8; OUTPUT_LEN]>,
}

/// What [`Attempt::check`] found.
pub struct Checked {
    /// The password is the one the stored hash was made from.
    pub valid: bool,
    /// What a successful verify should rehash to: `Some` when the stored hash was made with
    /// parameters weaker than the policy (each raised to the larger of the two), or with a
    /// salt other than the id's (an older appw's random salt).
    pub rehash: Option<KdfParams>,
}

impl<'a> Attempt<'a> {
    /// Checks the password against a stored PHC string in constant time: by comparison
    /// when the early evaluation is the stored hash's computation, else with one more
    /// evaluation at the stored salt and parameters (a hash from an older appw, or from a
    /// host with another `--kdf` policy).
    pub fn check(&self, stored: &str) -> Result<Checked, BadHash> {
        let phc = Phc::parse(stored)?;
        let own_salt = self.salt == phc.salt;
        let policy = self.hasher.policy;
        let valid = if own_salt && policy == phc.params {
            bool::from(self.out.as_slice().ct_eq(&phc.hash))
        } else {
            let out = self.hasher.compute(self.password, &phc.salt, phc.params);
            bool::from(out.as_slice().ct_eq(&phc.hash))
        };
        // Up to the policy where weaker, and re-salted (at its own parameters) where the
        // salt is not the id's.
        let rehash = phc
            .params
            .upgrade_to(&policy)
            .or((!own_salt).then_some(phc.params));
        Ok(Checked { valid, rehash })
    }

    /// Spends what [`Attempt::check`] would have spent on `stored`, for a credential that
    /// cannot be used (it belongs to another user): the answer is always false, the time is
    /// not.
    pub fn spend_like(&self, stored: Option<&str>) {
        if let Some(stored) = stored {
            let _ = self.check(stored);
        }
    }

    /// The credential's hash at `target`, reusing the early evaluation when it is that very
    /// computation (bringing a weaker or older hash up to the policy costs nothing more).
    pub fn rehash(&self, target: KdfParams) -> String {
        if target == self.hasher.policy {
            return phc_string(target, self.salt.clone(), &self.out);
        }
        let out = self.hasher.compute(self.password, &self.salt, target);
        phc_string(target, self.salt.clone(), &out)
    }
}

#[cfg(test)]
mod tests;
