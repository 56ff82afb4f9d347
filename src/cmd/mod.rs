//! One module per subcommand, dispatched by one `match`. The store is opened here, once,
//! and handed to the command; `verify` opens it itself, while it hashes.

mod completions;
mod copy_store;
mod create;
mod list;
mod log;
mod rename;
mod revoke;
mod revoke_all;
mod rotate;
mod serve;
mod show;
mod update;
pub mod verify;

use anyhow::Result;
use serde_json::json;

use crate::cli::{Cli, Command, SecretOutput};
use crate::error::Error;
use crate::output;
use crate::secret::memory::{Arena, Reuse, Strategy};
use crate::secret::redact::quoted;
use crate::secret::{Hasher, KdfParams, Token};
use crate::store::{self, Access, Credential, Location, NewCredential, Store, Timestamp};
use crate::when::Clock;
use crate::{input, text};

/// What the process hands the commands, read from its environment once, by `main`:
/// nothing below reads the environment for the time or the kind of memory to hash in.
#[derive(Debug, Clone, Copy)]
pub struct Process {
    pub clock: Clock,
    /// Where argon2's memory comes from (`APPW_HUGE_PAGES`).
    pub huge_pages: Strategy,
}

impl Process {
    pub fn from_env() -> Result<Process, Error> {
        Ok(Process {
            clock: Clock::from_env()?,
            huge_pages: Strategy::from_env(),
        })
    }
}

/// What every command may need besides its own arguments.
pub struct Context {
    pub location: Location,
    /// argon2 at the `--kdf` policy. A command is a short process: its memory is wiped on
    /// a background thread while the store write and the output go on, and every wipe is
    /// joined when the context is dropped, before the process exits.
    pub hasher: Hasher,
    pub now: Timestamp,
}

pub fn run(cli: Cli, process: Process) -> Result<()> {
    if let Command::Completions(args) = &cli.command {
        return completions::run(args);
    }
    let kdf = match &cli.kdf {
        Some(s) => s
            .parse()
            .map_err(|e| Error::Usage(format!("--kdf/APPW_KDF: {e}")))?,
        None => KdfParams::default(),
    };
    if matches!(cli.command, Command::Create(_) | Command::Rotate(_)) && output::stdout_closed() {
        // Refused before anything is stored: the one print of the password would be lost.
        return Err(anyhow::anyhow!(
            "standard output is closed, so the new password would be shown to nobody; nothing \
             was changed: run it with standard output on a terminal, a file or a pipe"
        ));
    }
    let location = Location::resolve(cli.db)?;
    if let Command::Serve(args) = cli.command {
        return serve::run(args, location, kdf, process);
    }
    let hasher = Hasher::new(kdf, Arena::new(process.huge_pages, Reuse::WipeInBackground));
    if matches!(
        cli.command,
        Command::Verify(_) | Command::Create(_) | Command::Rotate(_)
    ) {
        // One argon2 evaluation at `kdf` is coming: its memory is faulted in on the other
        // core while the password is read and the store opens.
        hasher.prepare();
    }
    let ctx = Context {
        location,
        hasher,
        now: process.clock.now(),
    };
    let open = |access| store::open(&ctx.location, access);
    if let Command::Verify(args) = cli.command {
        // Opens the store itself, once it has a password to hash meanwhile.
        return verify::run(|| open(Access::Existing), args, &ctx);
    }
    let access = if matches!(cli.command, Command::Create(_)) {
        Access::Create
    } else {
        Access::Existing
    };
    let store = open(access)?;
    match cli.command {
        Command::Create(args) => create::run(required(store)?, args, &ctx),
        Command::List(args) => list::run(store, args, &ctx),
        Command::Revoke(args) => revoke::run(required(store)?, args, &ctx),
        Command::RevokeAll(args) => revoke_all::run(store, args, &ctx),
        Command::Rotate(args) => rotate::run(required(store)?, args, &ctx),
        Command::Show(args) => show::run(required(store)?, args, &ctx),
        Command::Rename(args) => rename::run(required(store)?, args, &ctx),
        Command::Update(args) => update::run(required(store)?, args, &ctx),
        Command::Log(args) => log::run(store, args, &ctx),
        Command::CopyStore(args) => copy_store::run(required(store)?, args, &ctx),
        Command::Completions(_) | Command::Verify(_) | Command::Serve(_) => {
            unreachable!("handled before the store is opened")
        }
    }
}

/// Commands that act on an existing credential have nothing to act on without a store.
fn required(store: Option<Box<dyn Store>>) -> Result<Box<dyn Store>, Error> {
    store.ok_or_else(|| {
        Error::Refused("the store does not exist yet: there are no credentials".into())
    })
}

/// The credential named by an id (or prefix), or by user and name.
fn resolve(
    store: &mut dyn Store,
    id: Option<&str>,
    user: Option<&str>,
    name: Option<&str>,
) -> Result<Credential, Error> {
    match (id, user, name) {
        (Some(id), _, _) => store.get(&id_prefix(id)?),
        (None, Some(user), Some(name)) => {
            let (user, name) = (input::user(user)?, input::name(name)?);
            store.find_by_name(&user, &name)?.ok_or_else(|| {
                Error::Refused(format!(
                    "user {} has no active credential named {}",
                    quoted(&user),
                    quoted(&name)
                ))
            })
        }
        _ => Err(Error::Usage(
            "give a credential id, or --user and --name".into(),
        )),
    }
}

/// Checks the shape of an id argument: a full id, or a prefix of at least 8 characters.
fn id_prefix(raw: &str) -> Result<String, Error> {
    let id = raw.trim();
    if !crate::secret::token::looks_like_id_prefix(id) {
        // A pasted password (or something as long) is never echoed: errors carry no secret.
        if let Ok(token) = Token::parse(raw) {
            return Err(Error::Usage(format!(
                "that is a password, not a credential id; its id is {}",
                token.id()
            )));
        }
        if raw.chars().count() > crate::secret::token::ID_LEN + 4 {
            return Err(Error::Usage(
                "the argument is not a credential id (ids are 12 lowercase letters and digits)"
                    .into(),
            ));
        }
        return Err(Error::Usage(format!(
            "{} is not a credential id (ids are 12 lowercase letters and digits)",
            quoted(raw)
        )));
    }
    if id.len() < 8 {
        return Err(Error::Usage(format!(
            "the id prefix {} is too short; give at least 8 characters",
            quoted(id)
        )));
    }
    Ok(id.to_string())
}

/// Fields of a credential about to be issued (by create or rotate).
struct Issue {
    user: String,
    name: String,
    app_id: Option<String>,
    expires_at: Option<Timestamp>,
    scopes: Vec<String>,
    allow_from: Vec<String>,
}

/// Generates a password, hashes it and hands the row to `write` (which commits it); draws
/// a new id in the astronomically unlikely case the id is taken.
fn issue(
    ctx: &Context,
    fields: Issue,
    mut write: impl FnMut(&NewCredential) -> Result<bool, Error>,
) -> Result<(Token, NewCredential), Error> {
    loop {
        let token = Token::generate();
        let new = NewCredential {
            id: token.id().to_string(),
            user: fields.user.clone(),
            name: fields.name.clone(),
            app_id: fields.app_id.clone(),
            hash: ctx.hasher.hash(token.as_str().as_bytes(), token.id()),
            expires_at: fields.expires_at,
            scopes: fields.scopes.clone(),
            allow_from: fields.allow_from.clone(),
        };
        if write(&new)? {
            return Ok((token, new));
        }
    }
}

/// Prints a committed credential's password, once. If stdout is gone, nobody saw the
/// password, so the credential is revoked rather than left valid and unknown.
fn print_secret(
    store: &mut dyn Store,
    token: &Token,
    new: &NewCredential,
    how: SecretOutput,
    ctx: &Context,
    verb: &str,
) -> Result<()> {
    let text = if how.porcelain {
        secret_text(format_args!("{}\n", token.as_str()))
    } else if how.json {
        let mut obj = output::credential_json(&created(new, ctx.now), ctx.now);
        obj["password"] = json!(token.as_str());
        let s = secret_text(format_args!("{}\n", output::Json(&obj)));
        zeroize_json(obj);
        s
    } else {
        secret_text(format_args!(
            "{verb} credential {} for user {}: {}\n\
             Password (shown once; store it now, it cannot be shown again):\n\n    {}\n\n\
             Use it as: curl -u '{}:PASSWORD' ...\n",
            new.id,
            text::clean(&new.user),
            text::clean(&new.name),
            token.grouped().as_str(),
            text::clean(&new.user),
        ))
    };
    if let Err(err) = output::print(&text) {
        let fate = match store.revoke(std::slice::from_ref(&new.id), ctx.now) {
            Ok(()) => format!(
                "credential {} was revoked so no unseen password stays valid",
                new.id
            ),
            Err(e) => format!(
                "credential {} is stored but could not be revoked ({e}); revoke it",
                new.id
            ),
        };
        return Err(Error::Store(format!("could not print the password ({err}); {fate}")).into());
    }
    Ok(())
}

/// Formats text that holds a password into a buffer of exactly its size, measured by a
/// first pass that only counts: `format!` grows its String as it goes, and each reallocation
/// would free a copy of the password without zeroizing it (names and users read back from a
/// store have no length limit, so no fixed size is enough).
fn secret_text(args: std::fmt::Arguments<'_>) -> zeroize::Zeroizing<String> {
    struct Length(usize);
    impl std::fmt::Write for Length {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut length = Length(0);
    // Neither writer can fail.
    let _ = std::fmt::Write::write_fmt(&mut length, args);
    let mut text = zeroize::Zeroizing::new(String::with_capacity(length.0));
    let capacity = text.capacity();
    let _ = std::fmt::Write::write_fmt(&mut *text, args);
    debug_assert_eq!(text.capacity(), capacity, "the buffer grew");
    text
}

/// Overwrites the password inside a JSON value before it is dropped.
fn zeroize_json(mut obj: serde_json::Value) {
    if let Some(serde_json::Value::String(s)) = obj.get_mut("password") {
        zeroize::Zeroize::zeroize(s);
    }
}

/// The metadata of a credential just committed at `now`.
fn created(new: &NewCredential, now: Timestamp) -> Credential {
    Credential {
        id: new.id.clone(),
        user: new.user.clone(),
        name: new.name.clone(),
        app_id: new.app_id.clone(),
        created: now,
        last_used: None,
        last_source: None,
        use_count: 0,
        expires_at: new.expires_at,
        last_failed: None,
        last_failed_source: None,
        revoked_at: None,
        scopes: new.scopes.clone(),
        allow_from: new.allow_from.clone(),
    }
}

/// Validates a `--user` filter.
fn user_filter(user: Option<&str>) -> Result<Option<String>, Error> {
    user.map(input::user).transpose()
}
