use anyhow::Result;

use super::{Context, id_prefix};
use crate::cli::RenameArgs;
use crate::store::{Credential, Store};
use crate::{input, output, text};

pub fn run(mut store: Box<dyn Store>, args: RenameArgs, ctx: &Context) -> Result<()> {
    let new_name = input::name(&args.new_name)?;
    let c = store.get(&id_prefix(&args.id)?)?;
    store.rename(&c.id, &new_name, ctx.now)?;
    if args.json {
        let renamed = Credential {
            name: new_name,
            ..c
        };
        output::print_json(&output::credential_json(&renamed, ctx.now))?;
        return Ok(());
    }
    output::print(&format!(
        "Renamed {}: {} -> {}\n",
        c.id,
        text::clean(&c.name),
        text::clean(&new_name)
    ))?;
    Ok(())
}
