//! `appw verify`: one argon2id evaluation, whatever the outcome.
//!
//! The password's lookup id picks the single row to check and, since the id is its hash's
//! salt, the evaluation runs before the row arrives. Every rejection after the format check
//! (unknown id, another user's id, revoked, wrong password, expired) costs that same one
//! evaluation, so response time does not tell which users or ids exist. The exception is a
//! hash made under other `--kdf` parameters or by an older appw: checking it takes a second
//! evaluation (SECURITY.md, "Timing equalisation and its limits").

use std::io::{self, BufRead, IsTerminal, Read};
use std::ops::DerefMut;
use std::sync::Mutex;

use anyhow::Result;
use zeroize::Zeroizing;

use super::Context;
use crate::auth::{self, Claim, Decision, Reason};
use crate::cli::VerifyArgs;
use crate::error::Error;
use crate::json::VerifiedJson;
use crate::secret::{KdfParams, Token, kdf};
use crate::store::{HashRecord, Rejection, Store, Timestamp, Use};
use crate::{access, input, output, text};

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

/// Reads the password, then opens the store (`open`) while the hash is computed.
pub fn run(
    open: impl FnOnce() -> Result<Option<Box<dyn Store>>, Error> + Send,
    args: VerifyArgs,
    ctx: &Context,
) -> Result<()> {
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
    let scope = args
        .scope
        .as_deref()
        .map(|s| access::scopes(&[s.to_string()]))
        .transpose()?
        .and_then(|mut s| s.pop());
    let claim = Claim {
        user: &user,
        scope: scope.as_deref(),
        source: source.as_deref(),
    };
    let outcome = check(open, &claim, &password, ctx.kdf, ctx.now)?;
    drop(password);
    match outcome {
        Outcome::Valid { id, name } => {
            if args.json {
                output::print_json(&VerifiedJson {
                    valid: true,
                    id,
                    user,
                    name,
                })?;
            } else if !args.quiet {
                output::print(&format!("{id} {}\n", text::clean(&name)))?;
            }
            Ok(())
        }
        Outcome::Rejected(reason) => Err(Error::Rejected(format!("rejected: {reason}")).into()),
    }
}

/// Checks `password` for the claim and records the outcome in the store `open` returns.
///
/// The one argon2 evaluation starts as soon as the password has parsed (its salt follows
/// from the id it carries, see [`kdf::Attempt`]) while a helper thread opens the store and
/// reads the row: over PostgreSQL, connecting and the round trips are then hidden behind
/// the hash instead of added to it. The hash stays on this thread, which is already
/// running: on a machine that is slow to schedule a new thread, only the store's side
/// waits, and it has the length of a hash to spare.
pub fn check<S>(
    open: impl FnOnce() -> Result<Option<S>, Error> + Send,
    claim: &Claim<'_>,
    password: &str,
    policy: KdfParams,
    now: Timestamp,
) -> Result<Outcome, Error>
where
    S: DerefMut<Target = dyn Store> + Send,
{
    let token = match Token::parse(password) {
        Ok(token) => token,
        // A typo or a foreign string: rejected before the store is touched, and without a
        // hash, since the format is public and says nothing about what is stored.
        Err(e) => return Ok(Outcome::Rejected(Reason::from(e).message())),
    };
    let pw = token.as_str().as_bytes();
    // On the helper thread (on PostgreSQL: connecting, authenticating, reading the row and
    // parsing the statements that record the outcome, mostly waiting). In a Mutex so that
    // it can run here instead if no thread can be had.
    let read = Mutex::new(Some(|| -> Result<_, Error> {
        let Some(mut store) = open()? else {
            return Ok(None);
        };
        let record = store.hash_record(token.id())?;
        store.prepare_verify_writes()?;
        Ok(Some((store, record)))
    }));
    let read_once = || read.lock().ok().and_then(|mut f| f.take()).map(|f| f());
    let (attempt, read) = std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("appw-store".into())
            .spawn_scoped(scope, read_once);
        let attempt = kdf::Attempt::start(pw, token.id(), policy);
        let read = match reader {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: the same work, one after the other.
            Err(_) => read_once(),
        };
        (attempt, read)
    });
    // (The closure runs exactly once, on one thread or the other.)
    let read = read.ok_or_else(|| Error::Unavailable("the store was not read".into()))?;
    let Some((mut store, record)) = read? else {
        return Ok(Outcome::Rejected(Reason::NoStore.message()));
    };
    decide(&mut *store, record, &attempt, claim, now)
}

/// Applies the shared decision ([`auth::decide`]) for the row the password's id named, and
/// records its outcome in the store.
fn decide(
    store: &mut dyn Store,
    record: Option<HashRecord>,
    attempt: &kdf::Attempt<'_>,
    claim: &Claim<'_>,
    now: Timestamp,
) -> Result<Outcome, Error> {
    let decision = auth::decide(record.as_ref(), attempt, claim, now).map_err(|e| {
        let id = record.as_ref().map_or("", |r| r.id.as_str());
        Error::Unavailable(format!("credential {id}: {e}"))
    })?;
    let (user, source) = (claim.user, claim.source);
    let reject = |store: &mut dyn Store, reason: Reason| {
        let id = record
            .as_ref()
            .filter(|_| reason.names_credential())
            .map(|r| r.id.as_str());
        record_rejection(store, id, user, source, reason, now)
    };
    let (record, rehash) = match (decision, &record) {
        (Decision::Valid { rehash }, Some(record)) => (record, rehash),
        (Decision::Rejected(reason), _) => return reject(store, reason),
        (Decision::Valid { .. }, None) => return reject(store, Reason::Unknown),
    };
    let hash = record.hash.as_deref().unwrap_or_default();
    // Upgrade a hash made under weaker parameters (or by an older appw) while the password
    // is at hand. (Only when this connection may write hashes: a verify-only database role
    // may not.)
    let rehash = match rehash {
        Some(target) if store.may_rehash()? => Some(attempt.rehash(target)),
        _ => None,
    };
    let used = store.record_use(
        &Use {
            id: &record.id,
            checked_hash: hash,
            rehash: rehash.as_deref(),
            source,
        },
        now,
    )?;
    if !used {
        // Revoked or rotated between our read and our write: the revocation won.
        return reject(store, Reason::Revoked);
    }
    Ok(Outcome::Valid {
        id: record.id.clone(),
        name: record.name.clone(),
    })
}

fn record_rejection(
    store: &mut dyn Store,
    id: Option<&str>,
    claimed_user: &str,
    source: Option<&str>,
    reason: Reason,
    now: Timestamp,
) -> Result<Outcome, Error> {
    store.record_rejection(
        &Rejection {
            id,
            claimed_user,
            reason: reason.message(),
            source,
            expired: reason == Reason::Expired,
        },
        now,
    )?;
    Ok(Outcome::Rejected(reason.message()))
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
    let creds =
        auth::basic::parse(&line).map_err(|why| Error::Rejected(format!("rejected: {why}")))?;
    Ok((creds.user, creds.password))
}

#[cfg(test)]
mod tests {
    use super::*;

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
