use anyhow::Result;

use super::{Context, cli_error};
use crate::cli::UpdateArgs;
use crate::json::CredentialJson;
use crate::ops::{self, Target, UpdateRequest};
use crate::output;
use crate::store::Store;

pub fn run(mut store: Box<dyn Store>, args: UpdateArgs, ctx: &Context) -> Result<()> {
    let ctx = ctx.core();
    // Each option given replaces that attribute; the --no-* ones clear it.
    let given = |items: Vec<String>, clear: bool| {
        if clear {
            Some(Vec::new())
        } else {
            Some(items).filter(|i| !i.is_empty())
        }
    };
    let req = UpdateRequest {
        scopes: given(args.scope, args.no_scopes),
        allow_from: given(args.allow_from, args.anywhere),
        expires: if args.no_expiry {
            Some(None)
        } else {
            args.expires.map(Some)
        },
        ..UpdateRequest::default()
    };
    let target = Target::Id(args.id);
    let updated = ops::update(store.as_mut(), &ctx, &target, req).map_err(cli_error)?;
    if args.json {
        output::print_json(&CredentialJson::new(&updated, ctx.now))?;
    } else {
        output::print(&format!("Updated {}\n", updated.id))?;
        output::print(&output::credential_details(&updated, ctx.now))?;
    }
    Ok(())
}
