use std::io::IsTerminal;

use anyhow::Result;
use serde_json::json;

use super::{Context, user_filter};
use crate::cli::RevokeAllArgs;
use crate::error::Error;
use crate::store::{ListFilter, Store};
use crate::{output, text};

pub fn run(store: Option<Box<dyn Store>>, args: RevokeAllArgs, ctx: &Context) -> Result<()> {
    let user = user_filter(args.user.as_deref())?;
    let count = match store {
        Some(mut store) => {
            if !args.yes {
                let filter = ListFilter {
                    user: user.clone(),
                    ..ListFilter::default()
                };
                let active = store.list(&filter, ctx.now)?.len();
                confirm(active, user.as_deref())?;
            }
            store.revoke_all(user.as_deref(), ctx.now)?
        }
        None => 0,
    };
    if args.json {
        output::print_json(&json!({ "revoked": count, "user": user }))?;
    } else {
        let plural = if count == 1 { "" } else { "s" };
        output::print(&format!("Revoked {count} credential{plural}.\n"))?;
    }
    Ok(())
}

/// Asks on a terminal; refuses anywhere else. An interrupted prompt (EOF, Ctrl-C) declines.
fn confirm(active: usize, user: Option<&str>) -> Result<(), Error> {
    let whose = user.map_or("in the store".to_string(), |u| {
        format!("of user {}", text::clean(u))
    });
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Error::Refused(format!(
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
        _ => Err(Error::Refused("not confirmed; nothing was revoked".into())),
    }
}
