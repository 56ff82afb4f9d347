use anyhow::Result;

use super::{Context, cli_error};
use crate::cli::ShowArgs;
use crate::json::CredentialJson;
use crate::ops::{self, Target};
use crate::output;
use crate::store::Store;

pub fn run(mut store: Box<dyn Store>, args: ShowArgs, ctx: &Context) -> Result<()> {
    let c = ops::show(store.as_mut(), &Target::Id(args.id)).map_err(cli_error)?;
    if args.json {
        output::print_json(&CredentialJson::new(&c, ctx.now))?;
    } else {
        output::print(&output::credential_details(&c, ctx.now))?;
    }
    Ok(())
}
