use anyhow::Result;
use serde_json::{Value, json};

use super::{Context, user_filter};
use crate::cli::LogArgs;
use crate::error::Error;
use crate::output;
use crate::store::{LogFilter, Store};
use crate::when;

pub fn run(store: Option<Box<dyn Store>>, args: LogArgs, ctx: &Context) -> Result<()> {
    if let Some(before) = &args.prune {
        let before = when::parse_past(before, ctx.now)?;
        if before > ctx.now {
            // It would delete every event, down to ones written a moment ago.
            return Err(Error::Usage(format!(
                "{} is in the future; --prune deletes the events before it, so give a past \
                 time or a duration (180d)",
                when::rfc3339(before)
            ))
            .into());
        }
        let pruned = match store {
            Some(mut store) => store.prune_events(before, ctx.now)?,
            None => 0,
        };
        if args.json {
            output::print_json(&json!({ "pruned": pruned, "before": when::rfc3339(before) }))?;
        } else {
            output::print(&format!(
                "Deleted {pruned} events from before {}.\n",
                when::local(before)
            ))?;
        }
        return Ok(());
    }
    let filter = LogFilter {
        user: user_filter(args.user.as_deref())?,
        since: args
            .since
            .as_deref()
            .map(|s| when::parse_past(s, ctx.now))
            .transpose()?,
    };
    let events = match store {
        Some(mut store) => store.events(&filter)?,
        None => Vec::new(),
    };
    if args.json {
        output::print_json(&Value::Array(
            events.iter().map(output::event_json).collect(),
        ))?;
    } else if events.is_empty() {
        output::print("No events.\n")?;
    } else {
        output::print(&output::event_table(&events))?;
    }
    Ok(())
}
