//! Changing a credential without reissuing its password: `update`, `rename`, and pausing
//! (`disable`, `enable`).

use super::{Ctx, Target, resolve};
use crate::error::{Error, Result};
use crate::store::{Changes, Credential, Store};
use crate::{access, input, when};

/// What to change; `None` leaves an attribute as it is. `scopes: Some(vec![])` clears the
/// scopes, `allow_from: Some(vec![])` allows anywhere, `expires: Some(None)` never expires.
#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub allow_from: Option<Vec<String>>,
    pub expires: Option<Option<String>>,
    pub disabled: Option<bool>,
}

/// Changes an active credential in one transaction, returning it as it now is. The
/// request is checked before the credential is looked up; an empty one is refused (as an
/// invalid `update`).
pub fn update(
    store: &mut dyn Store,
    ctx: &Ctx,
    target: &Target,
    req: UpdateRequest,
) -> Result<Credential> {
    let changes = Changes {
        name: req.name.as_deref().map(input::name).transpose()?,
        disabled: req.disabled,
        scopes: req.scopes.as_deref().map(access::scopes).transpose()?,
        allow_from: req
            .allow_from
            .as_deref()
            .map(access::networks)
            .transpose()?,
        expires_at: match req.expires {
            None => None,
            Some(None) => Some(None),
            Some(Some(when)) => Some(Some(when::parse_future(&when, ctx.now, "expires")?)),
        },
    };
    if changes.is_empty() {
        return Err(Error::invalid(
            NOTHING_TO_CHANGE,
            "nothing to change: give name, scopes, allow_from, expires or disabled",
        ));
    }
    let c = resolve(store, target)?;
    store.update(&c.id, &changes, ctx.now, &ctx.actor.to_string())
}

/// A credential after `disable` or `enable`, and whether that changed it: disabling a
/// disabled one (or enabling an enabled one) writes nothing and records no event, and a
/// front says so rather than claim it did.
#[derive(Debug)]
pub struct Switched {
    pub credential: Credential,
    pub changed: bool,
}

/// Pauses an active credential: refused everywhere (reason `disabled`) until enabled, with
/// its hash, attributes and history kept.
pub fn disable(store: &mut dyn Store, ctx: &Ctx, target: &Target) -> Result<Switched> {
    pause(store, ctx, target, true)
}

/// Brings a paused credential back as it was.
pub fn enable(store: &mut dyn Store, ctx: &Ctx, target: &Target) -> Result<Switched> {
    pause(store, ctx, target, false)
}

fn pause(store: &mut dyn Store, ctx: &Ctx, target: &Target, disabled: bool) -> Result<Switched> {
    let c = resolve(store, target)?;
    if c.revoked_at.is_none() && c.disabled == disabled {
        // A revoked one goes on to the store, which refuses it as it refuses any change.
        return Ok(Switched {
            credential: c,
            changed: false,
        });
    }
    let changes = Changes {
        disabled: Some(disabled),
        ..Changes::default()
    };
    let credential = store.update(&c.id, &changes, ctx.now, &ctx.actor.to_string())?;
    Ok(Switched {
        credential,
        changed: true,
    })
}

/// The field an empty update is refused under (a front words it with its own names).
pub const NOTHING_TO_CHANGE: &str = "update";

/// A credential under its new name, and the name it had.
pub struct Renamed {
    pub credential: Credential,
    pub old_name: String,
}

/// Renames an active credential (the new name unique among its user's active ones).
pub fn rename(
    store: &mut dyn Store,
    ctx: &Ctx,
    target: &Target,
    new_name: &str,
) -> Result<Renamed> {
    let new_name = input::name(new_name)?;
    let old = resolve(store, target)?;
    let changes = Changes {
        name: Some(new_name),
        ..Changes::default()
    };
    let credential = store.update(&old.id, &changes, ctx.now, &ctx.actor.to_string())?;
    Ok(Renamed {
        credential,
        old_name: old.name,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ctx, store};
    use super::super::{CreateRequest, create};
    use super::*;

    fn issued(store: &mut dyn Store) -> Credential {
        let req = CreateRequest {
            scopes: vec!["deploy".into()],
            expires: Some("1d".into()),
            ..CreateRequest::new("deploy", "ci")
        };
        create(store, &ctx(), req).unwrap().credential
    }

    #[test]
    fn update_changes_only_what_it_is_given_and_returns_what_it_wrote() {
        let (_dir, mut store) = store();
        let c = issued(store.as_mut());
        let target = Target::Id(c.id.clone());
        let req = UpdateRequest {
            allow_from: Some(vec!["10.0.0.1".into()]),
            expires: Some(None),
            ..UpdateRequest::default()
        };
        let updated = update(store.as_mut(), &ctx(), &target, req).unwrap();
        assert_eq!(updated.scopes, ["deploy"]);
        assert_eq!(updated.allow_from, ["10.0.0.1"]);
        assert_eq!(updated.expires_at, None);
        assert_eq!(store.get(&c.id).unwrap(), updated);
    }

    #[test]
    fn update_renames_and_changes_in_one_go() {
        let (_dir, mut store) = store();
        let c = issued(store.as_mut());
        let req = UpdateRequest {
            name: Some(" nightly ".into()),
            scopes: Some(Vec::new()),
            ..UpdateRequest::default()
        };
        let updated = update(store.as_mut(), &ctx(), &Target::Id(c.id.clone()), req).unwrap();
        assert_eq!(
            (updated.name.as_str(), updated.scopes.len()),
            ("nightly", 0)
        );
        assert_eq!(store.get(&c.id).unwrap(), updated);
        let kinds: Vec<String> = store
            .events(&Default::default())
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["created", "renamed", "updated"]);
    }

    #[test]
    fn a_pause_says_whether_it_changed_anything_and_refuses_a_revoked_one() {
        let (_dir, mut store) = store();
        let c = issued(store.as_mut());
        let target = Target::Id(c.id.clone());
        type Switch = fn(&mut dyn Store, &Ctx, &Target) -> Result<Switched>;
        // Each call, and (disabled afterwards, changed).
        let calls: [(Switch, (bool, bool)); 4] = [
            (disable, (true, true)),
            (disable, (true, false)),
            (enable, (false, true)),
            (enable, (false, false)),
        ];
        for (n, (switch, want)) in calls.into_iter().enumerate() {
            let s = switch(store.as_mut(), &ctx(), &target).unwrap();
            assert_eq!((s.credential.disabled, s.changed), want, "call {n}");
        }
        let kinds: Vec<String> = store
            .events(&Default::default())
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            ["created", "disabled", "enabled"],
            "one event per change"
        );
        super::super::revoke(store.as_mut(), &ctx(), std::slice::from_ref(&target)).unwrap();
        let err = enable(store.as_mut(), &ctx(), &target);
        assert!(matches!(err, Err(Error::Conflict(_))), "{err:?}");
    }

    #[test]
    fn nothing_to_change_is_refused_before_the_lookup() {
        let (_dir, mut store) = store();
        let target = Target::Id("zzzzzzzzzzzz".into());
        let err = update(store.as_mut(), &ctx(), &target, UpdateRequest::default());
        assert!(matches!(
            err,
            Err(Error::Invalid {
                field: NOTHING_TO_CHANGE,
                ..
            })
        ));
        let req = UpdateRequest {
            expires: Some(Some("1d".into())),
            ..UpdateRequest::default()
        };
        let err = update(store.as_mut(), &ctx(), &target, req);
        assert!(matches!(err, Err(Error::UnknownId(_))), "{:?}", err.err());
    }

    #[test]
    fn rename_returns_the_old_and_new_names_and_refuses_a_duplicate() {
        let (_dir, mut store) = store();
        let c = issued(store.as_mut());
        create(
            store.as_mut(),
            &ctx(),
            CreateRequest::new("deploy", "other"),
        )
        .unwrap();
        let target = Target::Id(c.id.clone());
        let renamed = rename(store.as_mut(), &ctx(), &target, "nightly").unwrap();
        assert_eq!(renamed.old_name, "ci");
        assert_eq!(renamed.credential.name, "nightly");
        assert_eq!(store.get(&c.id).unwrap(), renamed.credential);
        let clash = rename(store.as_mut(), &ctx(), &target, "OTHER");
        assert!(matches!(clash, Err(Error::Conflict(_))));
        assert_eq!(store.get(&c.id).unwrap().name, "nightly");
    }

    #[test]
    fn a_pause_survives_update_and_rotate_and_is_recorded_once_with_its_actor() {
        let (_dir, mut store) = store();
        let c = issued(store.as_mut());
        let target = Target::Id(c.id.clone());
        assert!(
            disable(store.as_mut(), &ctx(), &target)
                .unwrap()
                .credential
                .disabled
        );
        assert!(
            disable(store.as_mut(), &ctx(), &target)
                .unwrap()
                .credential
                .disabled
        );
        let req = UpdateRequest {
            scopes: Some(Vec::new()),
            ..UpdateRequest::default()
        };
        assert!(
            update(store.as_mut(), &ctx(), &target, req)
                .unwrap()
                .disabled
        );
        let rotated = super::super::rotate(store.as_mut(), &ctx(), &target).unwrap();
        assert!(rotated.credential.disabled);
        assert_eq!(
            store.get(&rotated.credential.id).unwrap(),
            rotated.credential
        );
        let new = Target::Id(rotated.credential.id.clone());
        assert!(
            !enable(store.as_mut(), &ctx(), &new)
                .unwrap()
                .credential
                .disabled
        );
        let events = store.events(&Default::default()).unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["created", "disabled", "updated", "rotated", "enabled"]
        );
        assert!(
            events
                .iter()
                .all(|e| e.actor.as_deref() == Some("cli:tester"))
        );
        let revoked =
            super::super::revoke(store.as_mut(), &ctx(), std::slice::from_ref(&new)).unwrap();
        assert!(!revoked[0].disabled);
        let err = disable(store.as_mut(), &ctx(), &new).unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err:?}");
        assert!(err.to_string().contains("cannot be disabled"), "{err}");
    }
}
