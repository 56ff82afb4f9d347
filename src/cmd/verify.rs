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
use crate::auth::{self, Outcome, Reason, Request, Schemes};
use crate::cli::VerifyArgs;
use crate::error::Error;
use crate::json::VerifiedJson;
use crate::secret::Hasher;
use crate::store::{Recorded, Store, Timestamp};
use crate::{access, input, output, text};

/// Longest input line accepted: a token is 48 characters, grouped 59; an Authorization
/// header carrying a user name of 100 characters and a grouped token is well under this.
const MAX_LINE: u64 = 1024;

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
    let scope = args
        .scope
        .as_deref()
        .map(|s| access::scopes(&[s.to_string()]))
        .transpose()?
        .and_then(|mut s| s.pop());
    // Every argument is checked before stdin is read: a usage error is one whatever was
    // presented.
    let user = match args.basic {
        true => None,
        false => Some(input::user(args.user.as_deref().unwrap_or_default())?),
    };
    let rejected = |early: auth::Early| Error::Rejected(format!("rejected: {}", early.why));
    // Stage 1 of the pipeline, parse: an Authorization value (Basic), or a user and the
    // password typed for it (wiped when dropped).
    let request = match user {
        None => {
            let line = read_line(&mut io::stdin().lock())?;
            Request::header(&line, Schemes::Basic).map_err(rejected)?
        }
        Some(user) => {
            let password = read_password(args.password_env.as_deref())?;
            Request::password(Some(user), &password).map_err(rejected)?
        }
    };
    let outcome = check(
        open,
        &request,
        scope.as_deref(),
        source.as_deref(),
        &ctx.hasher,
        ctx.now,
    )?;
    drop(request);
    match outcome {
        Outcome::Valid(valid) => {
            if args.json {
                output::print_json(&VerifiedJson {
                    valid: true,
                    id: valid.id,
                    user: valid.user,
                    name: valid.name,
                })?;
            } else if !args.quiet {
                output::print(&format!("{} {}\n", valid.id, text::clean(&valid.name)))?;
            }
            Ok(())
        }
        Outcome::Rejected(r) => {
            Err(Error::Rejected(format!("rejected: {}", r.reason.message())).into())
        }
    }
}

/// Checks a parsed password, asking for `scope` from `source`, and records the outcome in
/// the store `open` returns: stages 2 to 4 of the pipeline, with the CLI's I/O.
///
/// The one argon2 evaluation starts at once (its salt follows from the id the password
/// carries, see [`crate::secret::kdf::Attempt`]) while a helper thread opens the store and
/// reads the row: over PostgreSQL, connecting and the round trips are then hidden behind
/// the hash instead of added to it. The hash stays on this thread, which is already
/// running: on a machine that is slow to schedule a new thread, only the store's side
/// waits, and it has the length of a hash to spare.
pub fn check<S>(
    open: impl FnOnce() -> Result<Option<S>, Error> + Send,
    request: &Request,
    scope: Option<&str>,
    source: Option<&str>,
    hasher: &Hasher,
    now: Timestamp,
) -> Result<Outcome, Error>
where
    S: DerefMut<Target = dyn Store> + Send,
{
    let token = &request.token;
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
        let attempt = hasher.attempt(token.as_str().as_bytes(), token.id());
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
    let claim = request.claim(scope, source);
    let Some((mut store, record)) = read? else {
        return Ok(Outcome::rejected(Reason::NoStore, None, &claim));
    };
    let store = &mut *store;
    let outcome = auth::judge(record.as_ref(), &attempt, &claim, now, || {
        store.may_rehash()
    })?;
    record_outcome(store, outcome, source, now)
}

/// Writes an outcome at once: a use (which counts only if the credential is still active
/// when it lands), or a rejection.
fn record_outcome(
    store: &mut dyn Store,
    outcome: Outcome,
    source: Option<&str>,
    now: Timestamp,
) -> Result<Outcome, Error> {
    let rejected = match outcome {
        Outcome::Valid(valid) => {
            // Revoked, rotated or paused between our read and our write: that change won.
            let reason = match store.record_use(&valid.use_(source), now)? {
                Recorded::Counted => return Ok(Outcome::Valid(valid)),
                Recorded::Revoked => Reason::Revoked,
                Recorded::Disabled => Reason::Disabled,
            };
            valid.refused_meanwhile(reason)
        }
        Outcome::Rejected(rejected) => rejected,
    };
    store.record_rejection(&rejected.rejection(source), now)?;
    Ok(Outcome::Rejected(rejected))
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
