use anyhow::Result;

use super::{Context, id_prefix};
use crate::cli::ShowArgs;
use crate::output;
use crate::store::Store;

pub fn run(mut store: Box<dyn Store>, args: ShowArgs, ctx: &Context) -> Result<()> {
    let c = store.get(&id_prefix(&args.id)?)?;
    if args.json {
        output::print_json(&output::credential_json(&c, ctx.now))?;
    } else {
        output::print(&output::credential_details(&c, ctx.now))?;
    }
    Ok(())
}
