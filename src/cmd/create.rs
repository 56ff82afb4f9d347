use anyhow::Result;

use super::{Context, cli_error, print_secret};
use crate::cli::CreateArgs;
use crate::ops::{self, CreateRequest};
use crate::store::Store;

pub fn run(mut store: Box<dyn Store>, args: CreateArgs, ctx: &Context) -> Result<()> {
    let ctx = ctx.core();
    let req = CreateRequest {
        user: args.user,
        name: args.name,
        app_id: args.app_id,
        expires: args.expires,
        scopes: args.scope,
        allow_from: args.allow_from,
    };
    let issued = ops::create(store.as_mut(), &ctx, req).map_err(cli_error)?;
    print_secret(store.as_mut(), &issued, args.output, &ctx, "Created")
}
