use std::io::IsTerminal;

use anyhow::Result;

use super::{Context, cli_error};
use crate::cli::RevokeAllArgs;
use crate::error::Error;
use crate::json::RevokedJson;
use crate::ops;
use crate::store::Store;
use crate::{output, text};

pub fn run(mut store: Option<Box<dyn Store>>, args: RevokeAllArgs, ctx: &Context) -> Result<()> {
    let ctx = ctx.core();
    let user = ops::user_filter(args.user.as_deref()).map_err(cli_error)?;
    if !args.yes {
        let exists = store.is_some();
        let active =
            ops::count_active(store.as_deref_mut(), &ctx, user.as_deref()).map_err(cli_error)?;
        if exists {
            confirm(active, user.as_deref())?;
        }
    }
    let count = ops::revoke_all(store.as_deref_mut(), &ctx, user.as_deref()).map_err(cli_error)?;
    if args.json {
        output::print_json(&RevokedJson {
            revoked: count,
            user,
        })?;
    } else {
        let plural = if count == 1 { "" } else { "s" };
        output::print(&format!("Revoked {count} credential{plural}.\n"))?;
    }
    Ok(())
}

/// Asks on a terminal; refuses anywhere else. An interrupted prompt (EOF, Ctrl-C) declines.
fn confirm(active: u64, user: Option<&str>) -> Result<(), Error> {
    let whose = user.map_or("in the store".to_string(), |u| {
        format!("of user {}", text::clean(u))
    });
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Error::Declined(format!(
            "refusing to revoke all {active} active credentials {whose} without confirmation; \
             pass --yes (stdin is not a terminal)"
        )));
    }
    let answer = dialoguer::Confirm::new()
        .with_prompt(format!(
            "Revoke all {active} active credentials {whose}? This cannot be undone"
        ))
        .default(false)
        .interact_opt();
    match answer {
        Ok(Some(true)) => Ok(()),
        _ => Err(Error::Declined("not confirmed; nothing was revoked".into())),
    }
}
