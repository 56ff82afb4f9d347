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
    let c = if disable {
        ops::disable(store.as_mut(), &ctx, &target)
    } else {
        ops::enable(store.as_mut(), &ctx, &target)
    }
    .map_err(cli_error)?;
    if args.json {
        output::print_json(&CredentialJson::new(&c, ctx.now))?;
    } else {
        let done = if disable { "Disabled" } else { "Enabled" };
        output::print(&format!(
            "{done} {} ({}: {})\n",
            c.id,
            text::clean(&c.user),
            text::clean(&c.name)
        ))?;
    }
    Ok(())
}
