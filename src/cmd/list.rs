use std::io::{self, IsTerminal};

use anyhow::Result;

use super::{Context, user_filter};
use crate::cli::ListArgs;
use crate::output;
use crate::store::{Credential, ListFilter, Store, Timestamp};
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
        output::print_json_array(creds.iter().map(|c| output::credential_json(c, ctx.now)))?;
    } else if creds.is_empty() {
        output::print("No credentials.\n")?;
    } else {
        output::print(&table(&creds, ctx.now, io::stdout().is_terminal()))?;
    }
    Ok(())
}

/// A person at a terminal reads a screenful, not 100,000 rows (which also take comfy-table
/// seconds to lay out): the table stops here and says how to see the rest. A pipe, a pager
/// (`appw list | less`) and `--json` always get every row.
const TERMINAL_ROWS: usize = 200;

fn table(creds: &[Credential], now: Timestamp, terminal: bool) -> String {
    if !terminal || creds.len() <= TERMINAL_ROWS {
        return output::credential_table(creds, now);
    }
    let mut text = output::credential_table(&creds[..TERMINAL_ROWS], now);
    text.push_str(&format!(
        "{} more not shown ({} in all): appw list | less shows every row; narrow with --user \
         or --expiring, or use --json\n",
        creds.len() - TERMINAL_ROWS,
        creds.len()
    ));
    text
}
