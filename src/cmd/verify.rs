//! `appw verify`: one argon2id evaluation, whatever the outcome.
//!
//! The password's lookup id picks the single row to check. Every rejection after the
//! format check (unknown id, another user's id, revoked, wrong password, expired) costs the
//! same one evaluation, so response time does not tell which users or ids exist.

use std::io::{self, BufRead, IsTerminal, Read};

use anyhow::Result;
use base64::Engine as _;
use serde_json::json;
use zeroize::Zeroizing;

use super::Context;
use crate::cli::VerifyArgs;
use crate::error::Error;
use crate::secret::{KdfParams, Token, kdf};
use crate::store::{Rejection, Store, Timestamp, Use};
use crate::{input, output};

/// Longest input line accepted: a token is 48 characters, grouped 59; an Authorization
/// header carrying a user name of 100 characters and a grouped token is well under this.
const MAX_LINE: u64 = 1024;

/// The outcome of a check, with the reason for a rejection (for stderr and the log; it
/// never contains the password).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Valid { id: String, name: String },
    Rejected(&'static str),
}

const EXPIRED: &str = "the credential has expired";

pub fn run(store: Option<Box<dyn Store>>, args: VerifyArgs, ctx: &Context) -> Result<()> {
    // An empty source (a hook's unset $REMOTE_ADDR) is no source, not a reason to fail.
    let source = args
        .source
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(input::source)
        .transpose()?;
    let (user, password) = if args.basic {
        read_basic()?
    } else {
        let user = input::user(args.user.as_deref().unwrap_or_default())?;
        (user, read_password(args.password_env.as_deref())?)
    };
    let mut store = store;
    let outcome = check(
        store.as_deref_mut(),
        &user,
        &password,
        source.as_deref(),
        ctx.kdf,
        ctx.now,
    )?;
    drop(password);
    match outcome {
        Outcome::Valid { id, name } => {
            if args.json {
                output::print_json(
                    &json!({ "valid": true, "id": id, "user": user, "name": name }),
                )?;
            } else if !args.quiet {
                output::print(&format!("{id} {}\n", output::clean(&name)))?;
            }
            Ok(())
        }
        Outcome::Rejected(reason) => Err(Error::Rejected(format!("rejected: {reason}")).into()),
    }
}

/// Checks `password` for `user` and records the outcome in the store.
pub fn check(
    store: Option<&mut (dyn Store + '_)>,
    user: &str,
    password: &str,
    source: Option<&str>,
    policy: KdfParams,
    now: Timestamp,
) -> Result<Outcome, Error> {
    let token = match Token::parse(password) {
        Ok(token) => token,
        // A typo or a foreign string: rejected before the store is touched, and without a
        // hash, since the format is public and says nothing about what is stored.
        Err(e) => {
            let reason = match e {
                crate::secret::TokenError::Malformed => "the password is not in appw's format",
                crate::secret::TokenError::Checksum => {
                    "the password's checksum does not match (a typo?)"
                }
            };
            return Ok(Outcome::Rejected(reason));
        }
    };
    let pw = token.as_str().as_bytes();
    let Some(store) = store else {
        kdf::dummy_verify(pw, policy);
        return Ok(Outcome::Rejected(
            "no such credential (the store does not exist yet)",
        ));
    };
    let record = store.hash_record(token.id())?;
    let (id, hash, expired) = match &record {
        Some(r) if r.user == user => match &r.hash {
            Some(hash) => (
                r.id.as_str(),
                hash.as_str(),
                r.expires_at.is_some_and(|at| at <= now),
            ),
            None => {
                return reject(
                    store,
                    pw,
                    policy,
                    Some(&r.id),
                    user,
                    source,
                    "the credential is revoked",
                    now,
                );
            }
        },
        // Another user's credential: spend what checking its hash would have cost.
        Some(r) => {
            let params = r.hash.as_deref().and_then(|h| kdf::params_of(h).ok());
            return reject(
                store,
                pw,
                params.unwrap_or(policy),
                None,
                user,
                source,
                "no such credential for this user",
                now,
            );
        }
        _ => {
            return reject(
                store,
                pw,
                policy,
                None,
                user,
                source,
                "no such credential for this user",
                now,
            );
        }
    };
    let valid = kdf::verify(pw, hash).map_err(|e| Error::Store(format!("credential {id}: {e}")))?;
    if !valid {
        return record_rejection(store, Some(id), user, source, "wrong password", false, now);
    }
    if expired {
        return record_rejection(store, Some(id), user, source, EXPIRED, true, now);
    }
    // Upgrade a hash made under weaker parameters while the password is at hand.
    // (Only when this connection may write hashes: a verify-only database role may not.)
    let upgrade = kdf::params_of(hash)
        .ok()
        .and_then(|params| params.upgrade_to(&policy));
    let rehash = match upgrade {
        Some(target) if store.may_rehash()? => Some(kdf::hash(pw, target)),
        _ => None,
    };
    let used = store.record_use(
        &Use {
            id,
            checked_hash: hash,
            rehash: rehash.as_deref(),
            source,
        },
        now,
    )?;
    if !used {
        // Revoked or rotated between our read and our write: the revocation won.
        return record_rejection(
            store,
            Some(id),
            user,
            source,
            "the credential is revoked",
            false,
            now,
        );
    }
    let name = record.as_ref().map(|r| r.name.clone()).unwrap_or_default();
    Ok(Outcome::Valid {
        id: id.to_string(),
        name,
    })
}

/// Spends the same argon2 work a real check would, then records the rejection.
#[allow(clippy::too_many_arguments)]
fn reject(
    store: &mut dyn Store,
    pw: &[u8],
    policy: KdfParams,
    id: Option<&str>,
    user: &str,
    source: Option<&str>,
    reason: &'static str,
    now: Timestamp,
) -> Result<Outcome, Error> {
    kdf::dummy_verify(pw, policy);
    record_rejection(store, id, user, source, reason, false, now)
}

fn record_rejection(
    store: &mut dyn Store,
    id: Option<&str>,
    claimed_user: &str,
    source: Option<&str>,
    reason: &'static str,
    expired: bool,
    now: Timestamp,
) -> Result<Outcome, Error> {
    store.record_rejection(
        &Rejection {
            id,
            claimed_user,
            reason,
            source,
            expired,
        },
        now,
    )?;
    Ok(Outcome::Rejected(reason))
}

/// The password from `$VAR`, else stdin's first line, else a hidden prompt.
fn read_password(env_var: Option<&str>) -> Result<Zeroizing<String>, Error> {
    if let Some(var) = env_var {
        return match std::env::var_os(var) {
            None => Err(Error::Usage(format!(
                "the environment variable {var} is not set"
            ))),
            Some(value) => {
                let value = Zeroizing::new(value.into_encoded_bytes());
                utf8(value)
            }
        };
    }
    let stdin = io::stdin();
    if stdin.is_terminal() {
        return dialoguer::Password::new()
            .with_prompt("Application password")
            .allow_empty_password(true)
            .interact()
            .map(Zeroizing::new)
            .map_err(|e| Error::Rejected(format!("rejected: no password read ({e})")));
    }
    read_line(&mut stdin.lock())
}

/// The first line of `input`, refusing (without reading on) anything longer than a
/// password can be.
fn read_line(input: &mut impl BufRead) -> Result<Zeroizing<String>, Error> {
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_LINE as usize + 1));
    input
        .take(MAX_LINE + 1)
        .read_until(b'\n', &mut line)
        .map_err(|e| Error::Rejected(format!("rejected: cannot read standard input ({e})")))?;
    if line.len() as u64 > MAX_LINE {
        return Err(Error::Rejected(format!(
            "rejected: the input line is longer than {MAX_LINE} bytes; no password is that long"
        )));
    }
    utf8(line)
}

fn utf8(bytes: Zeroizing<Vec<u8>>) -> Result<Zeroizing<String>, Error> {
    match std::str::from_utf8(&bytes) {
        Ok(s) => Ok(Zeroizing::new(s.to_string())),
        Err(_) => Err(Error::Rejected(
            "rejected: the password is not valid UTF-8".into(),
        )),
    }
}

/// `Basic base64(user:password)` from stdin's first line, as an HTTP Authorization value.
fn read_basic() -> Result<(String, Zeroizing<String>), Error> {
    let line = read_line(&mut io::stdin().lock())?;
    parse_basic(&line)
}

fn parse_basic(header: &str) -> Result<(String, Zeroizing<String>), Error> {
    let bad = |why: &str| Error::Rejected(format!("rejected: {why}"));
    let value = header.trim();
    let value = value
        .strip_prefix("Authorization:")
        .map_or(value, str::trim);
    let (scheme, encoded) = value
        .split_once(' ')
        .ok_or_else(|| bad("expected 'Basic <base64>'"))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad("only the Basic scheme is supported"));
    }
    let decoded = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| bad("the Basic credentials are not valid base64"))?,
    );
    let text = utf8(decoded)?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| bad("the Basic credentials have no ':'"))?;
    let user = input::user(user).map_err(|e| bad(&e.to_string()))?;
    Ok((user, Zeroizing::new(password.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_headers() {
        let enc = base64::engine::general_purpose::STANDARD.encode("deploy:ab cd:ef");
        let (user, pw) = parse_basic(&format!("Basic {enc}\n")).unwrap();
        assert_eq!((user.as_str(), pw.as_str()), ("deploy", "ab cd:ef"));
        let (user, _) = parse_basic(&format!("Authorization: basic {enc}")).unwrap();
        assert_eq!(user, "deploy");
        for bad in [
            "",
            "Basic",
            "Bearer abc",
            "Basic !!!",
            &format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("nocolon")
            ),
        ] {
            assert!(matches!(parse_basic(bad), Err(Error::Rejected(_))), "{bad}");
        }
    }

    #[test]
    fn long_lines_are_refused_without_reading_on() {
        let big = vec![b'a'; 10 * 1024 * 1024];
        let mut input = io::Cursor::new(big);
        assert!(matches!(read_line(&mut input), Err(Error::Rejected(_))));
        assert!(input.position() <= MAX_LINE + 1);
        let mut ok = io::Cursor::new(b"first line\nsecond\n".to_vec());
        assert_eq!(read_line(&mut ok).unwrap().as_str(), "first line\n");
    }
}
