//! Taking access away: `revoke` and `revoke-all` (and the count revoke-all's question needs).

use super::{Ctx, Target, resolve, user_filter};
use crate::error::Result;
use crate::store::{Credential, Store};

/// Revokes the credentials the targets name, all or none; a credential named twice is
/// revoked once. Returns them as revoked. One already revoked is a conflict.
pub fn revoke(store: &mut dyn Store, ctx: &Ctx, targets: &[Target]) -> Result<Vec<Credential>> {
    let mut ids: Vec<String> = Vec::with_capacity(targets.len());
    for target in targets {
        let c = resolve(store, target)?;
        if !ids.contains(&c.id) {
            ids.push(c.id);
        }
    }
    store.revoke(&ids, ctx.now, &ctx.actor.to_string())
}

/// How many active credentials (of `user`) `revoke_all` would revoke now (counted by the
/// store, no row read).
pub fn count_active(store: Option<&mut (dyn Store + 'static)>, user: Option<&str>) -> Result<u64> {
    let user = user_filter(user)?;
    match store {
        Some(store) => store.count_active(user.as_deref()),
        None => Ok(0),
    }
}

/// Revokes every active credential (of `user`), returning how many.
pub fn revoke_all(
    store: Option<&mut (dyn Store + 'static)>,
    ctx: &Ctx,
    user: Option<&str>,
) -> Result<u64> {
    let user = user_filter(user)?;
    match store {
        Some(store) => store.revoke_all(user.as_deref(), ctx.now, &ctx.actor.to_string()),
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NOW, ctx, store};
    use super::super::{CreateRequest, create};
    use super::*;
    use crate::error::Error;

    #[test]
    fn a_credential_named_twice_is_revoked_once_and_returned_as_revoked() {
        let (_dir, mut store) = store();
        let ctx = ctx();
        let c = create(store.as_mut(), &ctx, CreateRequest::new("deploy", "ci"))
            .unwrap()
            .credential;
        let targets = [
            Target::Id(c.id.clone()),
            Target::Id(c.id[..8].to_string()),
            Target::Name {
                user: "deploy".into(),
                name: "CI".into(),
            },
        ];
        let revoked = revoke(store.as_mut(), &ctx, &targets).unwrap();
        assert_eq!(revoked.len(), 1);
        assert_eq!(revoked[0].revoked_at, Some(NOW));
        assert_eq!(store.get(&c.id).unwrap(), revoked[0]);
        let again = revoke(store.as_mut(), &ctx, &[Target::Id(c.id.clone())]);
        assert!(matches!(again, Err(Error::Conflict(_))));
    }

    #[test]
    fn revoke_all_revokes_what_count_active_counted() {
        let (_dir, mut store) = store();
        let ctx = ctx();
        for (user, name) in [("a", "one"), ("a", "two"), ("b", "one")] {
            create(store.as_mut(), &ctx, CreateRequest::new(user, name)).unwrap();
        }
        assert_eq!(count_active(Some(store.as_mut()), Some("a")).unwrap(), 2);
        assert_eq!(count_active(Some(store.as_mut()), None).unwrap(), 3);
        assert_eq!(
            revoke_all(Some(store.as_mut()), &ctx, Some("a")).unwrap(),
            2
        );
        assert_eq!(count_active(Some(store.as_mut()), None).unwrap(), 1);
        assert_eq!(count_active(None, None).unwrap(), 0);
        let bad = revoke_all(None, &ctx, Some(" "));
        assert!(matches!(bad, Err(Error::Invalid { field: "user", .. })));
    }
}
