use anyhow::Result;
use serde_json::Value;

use super::{Context, user_filter};
use crate::cli::ListArgs;
use crate::output;
use crate::store::{ListFilter, Store};
use crate::when;

pub fn run(store: Option<Box<dyn Store>>, args: ListArgs, ctx: &Context) -> Result<()> {
    let filter = ListFilter {
        user: user_filter(args.user.as_deref())?,
        expired_only: args.expired,
        expiring_before: args
            .expiring
            .as_deref()
            .map(|d| when::parse_duration(d).map(|secs| ctx.now + secs))
            .transpose()?,
    };
    let creds = match store {
        Some(mut store) => store.list(&filter, ctx.now)?,
        None => Vec::new(),
    };
    if args.json {
        let all = creds
            .iter()
            .map(|c| output::credential_json(c, ctx.now))
            .collect();
        output::print_json(&Value::Array(all))?;
    } else if creds.is_empty() {
        output::print("No credentials.\n")?;
    } else {
        output::print(&output::credential_table(&creds, ctx.now))?;
    }
    Ok(())
}
