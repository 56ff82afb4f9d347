use anyhow::Result;

use super::{Context, cli_error, target};
use crate::cli::RevokeArgs;
use crate::json::CredentialJson;
use crate::ops::{self, Target};
use crate::store::Store;
use crate::{output, text};

pub fn run(mut store: Box<dyn Store>, args: RevokeArgs, ctx: &Context) -> Result<()> {
    let ctx = ctx.core();
    let targets = if args.ids.is_empty() {
        vec![target(None, args.user.as_deref(), args.name.as_deref())?]
    } else {
        args.ids.iter().map(|id| Target::Id(id.clone())).collect()
    };
    let revoked = ops::revoke(store.as_mut(), &ctx, &targets).map_err(cli_error)?;
    if args.json {
        let all: Vec<CredentialJson> = revoked
            .iter()
            .map(|c| CredentialJson::new(c, ctx.now))
            .collect();
        output::print_json(&all)?;
    } else {
        let mut text = String::new();
        for c in &revoked {
            text += &format!(
                "Revoked {} ({}: {})\n",
                c.id,
                text::clean(&c.user),
                text::clean(&c.name)
            );
        }
        output::print(&text)?;
    }
    Ok(())
}
