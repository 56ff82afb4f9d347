use anyhow::Result;

use super::{Context, id_prefix};
use crate::cli::UpdateArgs;
use crate::store::{Changes, Store};
use crate::{access, output, when};

pub fn run(mut store: Box<dyn Store>, args: UpdateArgs, ctx: &Context) -> Result<()> {
    let changes = Changes {
        scopes: if args.no_scopes {
            Some(Vec::new())
        } else {
            Some(access::scopes(&args.scope)?).filter(|s| !s.is_empty())
        },
        allow_from: if args.anywhere {
            Some(Vec::new())
        } else {
            Some(access::networks(&args.allow_from, "--allow-from")?).filter(|n| !n.is_empty())
        },
        expires_at: if args.no_expiry {
            Some(None)
        } else {
            args.expires
                .as_deref()
                .map(|w| when::parse_future(w, ctx.now).map(Some))
                .transpose()?
        },
    };
    if changes.is_empty() {
        return Err(crate::error::Error::Usage(
            "nothing to change: give --scope, --no-scopes, --allow-from, --anywhere, --expires \
             or --no-expiry"
                .into(),
        )
        .into());
    }
    let c = store.get(&id_prefix(&args.id)?)?;
    let updated = store.update(&c.id, &changes, ctx.now)?;
    if args.json {
        output::print_json(&output::credential_json(&updated, ctx.now))?;
    } else {
        output::print(&format!("Updated {}\n", updated.id))?;
        output::print(&output::credential_details(&updated, ctx.now))?;
    }
    Ok(())
}
