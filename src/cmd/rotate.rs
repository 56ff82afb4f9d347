use anyhow::Result;

use super::{Context, cli_error, print_secret, target};
use crate::cli::RotateArgs;
use crate::ops;
use crate::store::Store;

pub fn run(mut store: Box<dyn Store>, args: RotateArgs, ctx: &Context) -> Result<()> {
    let ctx = ctx.core();
    let target = target(
        args.id.as_deref(),
        args.user.as_deref(),
        args.name.as_deref(),
    )?;
    let issued = ops::rotate(store.as_mut(), &ctx, &target).map_err(cli_error)?;
    let old = issued.replaces.as_deref().unwrap_or_default();
    let verb = format!("Rotated {old} into");
    print_secret(store.as_mut(), &issued, args.output, &ctx, &verb)
}
