//! The command-line front: one module per subcommand, dispatched by one `match`. Each turns
//! its arguments into a request, calls one operation of [`crate::ops`] and renders what
//! comes back. The store is opened here, once, and handed to the command; `verify` opens it
//! itself, while it hashes.

mod completions;
mod copy_store;
mod create;
mod list;
mod log;
mod pause;
mod rename;
mod revoke;
mod revoke_all;
mod rotate;
mod serve;
mod show;
mod update;
pub mod verify;

use anyhow::Result;

use crate::cli::{Cli, Command, SecretOutput};
use crate::error::Error;
use crate::json::{CredentialJson, IssuedJson};
use crate::ops::{self, Actor, Ctx, Issued, Target};
use crate::secret::memory::{Arena, Reuse, Strategy};
use crate::secret::{Hasher, KdfParams};
use crate::store::{self, Access, Location, Store, Timestamp};
use crate::when::Clock;
use crate::{output, text};

/// What the process hands the commands, read from its environment once, by `main`:
/// nothing below reads the environment for the time or the kind of memory to hash in.
#[derive(Debug, Clone, Copy)]
pub struct Process {
    pub clock: Clock,
    /// Where argon2's memory comes from (`APPW_HUGE_PAGES`).
    pub huge_pages: Strategy,
}

impl Process {
    /// The one place the process reads these variables. `APPW_HUGE_PAGES=0` (or `off`)
    /// hashes in ordinary memory, for comparisons and kernels where huge pages misbehave.
    pub fn from_env() -> Result<Process, Error> {
        let huge_pages = match std::env::var_os("APPW_HUGE_PAGES") {
            Some(v) if v == "0" || v == "off" => Strategy::Ordinary,
            _ => Strategy::HugePages,
        };
        Ok(Process {
            clock: clock_from_env()?,
            huge_pages,
        })
    }
}

/// In debug builds (what `cargo test` runs) `APPW_NOW` (RFC 3339) replaces the system
/// clock, so tests of expiry and of the log are deterministic; release builds ignore it, so
/// nobody can verify an expired password or backdate the log by setting it.
fn clock_from_env() -> Result<Clock, Error> {
    #[cfg(debug_assertions)]
    if let Ok(s) = std::env::var("APPW_NOW") {
        return crate::when::parse_rfc3339(&s)
            .map(Clock::Fixed)
            .ok_or_else(|| {
                let s = crate::secret::redact::quoted(&s);
                Error::Usage(format!("APPW_NOW={s} is not an RFC 3339 time"))
            });
    }
    Ok(Clock::System)
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

impl Context {
    /// The context of an operation that changes something: the person at this terminal
    /// acts. Their user is looked up here, so only by writes: reads take the clock alone
    /// and `verify` records no actor.
    fn core(&self) -> Ctx<'_> {
        Ctx {
            hasher: &self.hasher,
            now: self.now,
            actor: Actor::os_user(),
        }
    }
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
        Command::Disable(args) => pause::run(required(store)?, args, &ctx, true),
        Command::Enable(args) => pause::run(required(store)?, args, &ctx, false),
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
        Error::NotFound("the store does not exist yet: there are no credentials".into())
    })
}

/// An operation's error in the command line's words: its flag names, and a hint where one
/// helps.
fn cli_error(err: Error) -> Error {
    match err {
        Error::Invalid { field, .. } if field == ops::NOTHING_TO_CHANGE => Error::Usage(
            "nothing to change: give --scope, --no-scopes, --allow-from, --anywhere, --expires \
             or --no-expiry"
                .into(),
        ),
        Error::Invalid { field, .. } => Error::Invalid {
            field,
            message: err.renamed_field(flag),
        },
        Error::UnknownId(message) => Error::UnknownId(format!("{message}; see appw list")),
        other => other,
    }
}

/// The flag that sets a field, where a message names the field.
fn flag(field: &str) -> Option<&'static str> {
    match field {
        "allow_from" => Some("--allow-from"),
        "scopes" => Some("--scope"),
        _ => None,
    }
}

/// The credential named by an id (or prefix), or by user and name.
fn target(id: Option<&str>, user: Option<&str>, name: Option<&str>) -> Result<Target, Error> {
    match (id, user, name) {
        (Some(id), _, _) => Ok(Target::Id(id.into())),
        (None, Some(user), Some(name)) => Ok(Target::Name {
            user: user.into(),
            name: name.into(),
        }),
        _ => Err(Error::Usage(
            "give a credential id, or --user and --name".into(),
        )),
    }
}

/// Prints a committed credential's password, once. If stdout is gone, nobody saw the
/// password, so the credential is revoked rather than left valid and unknown.
fn print_secret(
    store: &mut dyn Store,
    issued: &Issued,
    how: SecretOutput,
    ctx: &Ctx,
    verb: &str,
) -> Result<()> {
    let (c, password) = (&issued.credential, &issued.password);
    let text = if how.porcelain {
        secret_text(format_args!("{}\n", password.as_str()))
    } else if how.json {
        let json = IssuedJson {
            credential: CredentialJson::new(c, ctx.now),
            password: password.as_str(),
        };
        secret_text(format_args!("{}\n", output::Json(&json)))
    } else {
        secret_text(format_args!(
            "{verb} credential {} for user {}: {}\n\
             Password (shown once; store it now, it cannot be shown again):\n\n    {}\n\n\
             Use it as: curl -u '{}:PASSWORD' ...\n",
            c.id,
            text::clean(&c.user),
            text::clean(&c.name),
            password.grouped().as_str(),
            text::clean(&c.user),
        ))
    };
    if let Err(err) = output::print(&text) {
        let fate = match ops::revoke(store, ctx, &[Target::Id(c.id.clone())]) {
            Ok(_) => format!(
                "credential {} was revoked so no unseen password stays valid",
                c.id
            ),
            Err(e) => format!(
                "credential {} is stored but could not be revoked ({e}); revoke it",
                c.id
            ),
        };
        return Err(
            Error::Unavailable(format!("could not print the password ({err}); {fate}")).into(),
        );
    }
    Ok(())
}

/// Text that holds a password, in a buffer that never reallocates ([`crate::secret::exact`]).
fn secret_text(args: std::fmt::Arguments<'_>) -> zeroize::Zeroizing<String> {
    crate::secret::exact(|w| w.write_fmt(args))
}
