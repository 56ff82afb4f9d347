use anyhow::Result;

use super::{Context, Issue, issue, print_secret, resolve};
use crate::cli::RotateArgs;
use crate::error::Error;
use crate::store::Store;
use crate::when;

pub fn run(mut store: Box<dyn Store>, args: RotateArgs, ctx: &Context) -> Result<()> {
    let old = resolve(
        store.as_mut(),
        args.id.as_deref(),
        args.user.as_deref(),
        args.name.as_deref(),
    )?;
    if old.revoked_at.is_some() {
        return Err(Error::Refused(format!(
            "credential {} is revoked; create a new one instead",
            old.id
        ))
        .into());
    }
    // A credential issued for N days is renewed for another N days (whatever the store
    // holds, the arithmetic saturates and the result stays within RFC 3339's years).
    let expires_at = old.expires_at.map(|at| {
        let lifetime = at.saturating_sub(old.created).max(60);
        ctx.now.saturating_add(lifetime).min(when::MAX_TIME)
    });
    let fields = Issue {
        user: old.user.clone(),
        name: old.name.clone(),
        app_id: old.app_id.clone(),
        expires_at,
        scopes: old.scopes.clone(),
        allow_from: old.allow_from.clone(),
    };
    let (token, new) = issue(ctx, fields, |new| store.rotate(&old.id, new, ctx.now))?;
    print_secret(
        store.as_mut(),
        &token,
        &new,
        args.output,
        ctx,
        &format!("Rotated {} into", old.id),
    )
}
