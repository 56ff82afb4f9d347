use anyhow::Result;

use super::{Context, cli_error};
use crate::cli::RenameArgs;
use crate::json::CredentialJson;
use crate::ops::{self, Target};
use crate::store::Store;
use crate::{output, text};

pub fn run(mut store: Box<dyn Store>, args: RenameArgs, ctx: &Context) -> Result<()> {
    let ctx = ctx.core();
    let target = Target::Id(args.id);
    let renamed = ops::rename(store.as_mut(), &ctx, &target, &args.new_name).map_err(cli_error)?;
    let c = &renamed.credential;
    if args.json {
        output::print_json(&CredentialJson::new(c, ctx.now))?;
        return Ok(());
    }
    output::print(&format!(
        "Renamed {}: {} -> {}\n",
        c.id,
        text::clean(&renamed.old_name),
        text::clean(&c.name)
    ))?;
    Ok(())
}
