use anyhow::Result;

use super::{Context, cli_error};
use crate::cli::LogArgs;
use crate::json::{EventJson, PrunedJson};
use crate::ops::{self, LogRequest};
use crate::store::Store;
use crate::{output, when};

pub fn run(mut store: Option<Box<dyn Store>>, args: LogArgs, ctx: &Context) -> Result<()> {
    if let Some(before) = &args.prune {
        let pruned = ops::prune(store.as_deref_mut(), &ctx.core(), before).map_err(cli_error)?;
        if args.json {
            output::print_json(&PrunedJson::new(pruned.count, pruned.before))?;
        } else {
            output::print(&format!(
                "Deleted {} events from before {}.\n",
                pruned.count,
                when::local(pruned.before)
            ))?;
        }
        return Ok(());
    }
    let req = LogRequest {
        user: args.user,
        since: args.since,
    };
    let events = ops::log(store.as_deref_mut(), ctx.now, &req).map_err(cli_error)?;
    if args.json {
        output::print_json_array(events.iter().map(EventJson::from))?;
    } else if events.is_empty() {
        output::print("No events.\n")?;
    } else {
        output::print(&output::event_table(&events))?;
    }
    Ok(())
}
