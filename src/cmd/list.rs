use std::io::{self, IsTerminal};

use anyhow::Result;

use super::{Context, cli_error};
use crate::cli::ListArgs;
use crate::json::CredentialJson;
use crate::ops::{self, ListRequest};
use crate::output;
use crate::store::{Credential, Store, Timestamp};

pub fn run(mut store: Option<Box<dyn Store>>, args: ListArgs, ctx: &Context) -> Result<()> {
    let req = ListRequest {
        user: args.user,
        expired_only: args.expired,
        expiring: args.expiring,
    };
    let creds = ops::list(store.as_deref_mut(), ctx.now, &req).map_err(cli_error)?;
    if args.json {
        output::print_json_array(creds.iter().map(|c| CredentialJson::new(c, ctx.now)))?;
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
