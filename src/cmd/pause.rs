//! `appw disable ID` and `appw enable ID`.

use anyhow::Result;

use super::{Context, cli_error};
use crate::cli::PauseArgs;
use crate::json::CredentialJson;
use crate::ops::{self, Target};
use crate::store::Store;
use crate::{output, text};

pub fn run(mut store: Box<dyn Store>, args: PauseArgs, ctx: &Context, disable: bool) -> Result<()> {
    let ctx = ctx.core();
    let target = Target::Id(args.id);
    let switched = if disable {
        ops::disable(store.as_mut(), &ctx, &target)
    } else {
        ops::enable(store.as_mut(), &ctx, &target)
    }
    .map_err(cli_error)?;
    let c = &switched.credential;
    if args.json {
        output::print_json(&CredentialJson::new(c, ctx.now))?;
    } else {
        let (id, user, name) = (&c.id, text::clean(&c.user), text::clean(&c.name));
        let (done, state) = if disable {
            ("Disabled", "disabled")
        } else {
            ("Enabled", "enabled")
        };
        // Nothing written is said so, rather than claimed as a change the log does not show.
        let line = if switched.changed {
            format!("{done} {id} ({user}: {name})\n")
        } else {
            format!("{id} ({user}: {name}) was already {state}; nothing changed\n")
        };
        output::print(&line)?;
    }
    Ok(())
}
