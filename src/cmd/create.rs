use anyhow::Result;

use super::{Context, Issue, issue, print_secret};
use crate::cli::CreateArgs;
use crate::store::Store;
use crate::{access, input, when};

pub fn run(mut store: Box<dyn Store>, args: CreateArgs, ctx: &Context) -> Result<()> {
    let fields = Issue {
        user: input::new_user(&args.user)?,
        name: input::name(&args.name)?,
        app_id: args.app_id.as_deref().map(input::app_id).transpose()?,
        expires_at: args
            .expires
            .as_deref()
            .map(|w| when::parse_future(w, ctx.now))
            .transpose()?,
        scopes: access::scopes(&args.scope)?,
        allow_from: access::networks(&args.allow_from, "--allow-from")?,
    };
    // Refuse a duplicate before spending a hash on it; the insert checks again atomically.
    if store.find_by_name(&fields.user, &fields.name)?.is_some() {
        return Err(crate::store::duplicate_name(&fields.user, &fields.name).into());
    }
    let (token, new) = issue(ctx, fields, |new| store.insert(new, ctx.now))?;
    print_secret(store.as_mut(), &token, &new, args.output, ctx, "Created")
}
