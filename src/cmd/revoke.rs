use anyhow::Result;
use serde_json::Value;

use super::{Context, id_prefix, resolve};
use crate::cli::RevokeArgs;
use crate::store::Store;
use crate::{output, text};

pub fn run(mut store: Box<dyn Store>, args: RevokeArgs, ctx: &Context) -> Result<()> {
    let mut targets = Vec::new();
    if args.ids.is_empty() {
        targets.push(resolve(
            store.as_mut(),
            None,
            args.user.as_deref(),
            args.name.as_deref(),
        )?);
    }
    for raw in &args.ids {
        // An already revoked one is refused by the store, in the same transaction.
        let c = store.get(&id_prefix(raw)?)?;
        if !targets
            .iter()
            .any(|t: &crate::store::Credential| t.id == c.id)
        {
            targets.push(c);
        }
    }
    let ids: Vec<String> = targets.iter().map(|c| c.id.clone()).collect();
    store.revoke(&ids, ctx.now)?;
    if args.json {
        let all = targets
            .iter_mut()
            .map(|c| {
                c.revoked_at = Some(ctx.now);
                output::credential_json(c, ctx.now)
            })
            .collect();
        output::print_json(&Value::Array(all))?;
    } else {
        let mut text = String::new();
        for c in &targets {
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
