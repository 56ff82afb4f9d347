//! Issuing a password: `create` and `rotate`.

use super::{Ctx, Target, resolve};
use crate::error::{Error, Result};
use crate::secret::Token;
use crate::store::{Credential, NewCredential, Store, Timestamp, duplicate_name};
use crate::{access, input, when};

/// A new credential: `user` and `name` required, the rest optional (`expires` is a WHEN:
/// a duration such as `90d` or an RFC 3339 time).
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    pub user: String,
    pub name: String,
    pub app_id: Option<String>,
    pub expires: Option<String>,
    pub scopes: Vec<String>,
    pub allow_from: Vec<String>,
}

impl CreateRequest {
    pub fn new(user: &str, name: &str) -> CreateRequest {
        CreateRequest {
            user: user.into(),
            name: name.into(),
            ..CreateRequest::default()
        }
    }
}

/// A credential just committed, and its password: the only copy there will ever be (wiped
/// from memory when dropped). (No `Debug`: it holds the password.)
pub struct Issued {
    pub credential: Credential,
    pub password: Token,
    /// For `rotate`: the id of the credential this one replaced.
    pub replaces: Option<String>,
}

/// Creates a credential. A duplicate active name is refused before a hash is spent on it
/// (and again by the store, atomically).
pub fn create(store: &mut dyn Store, ctx: &Ctx, req: CreateRequest) -> Result<Issued> {
    let fields = Fields {
        user: input::new_user(&req.user)?,
        name: input::name(&req.name)?,
        app_id: req.app_id.as_deref().map(input::app_id).transpose()?,
        expires_at: req
            .expires
            .as_deref()
            .map(|w| when::parse_future(w, ctx.now, "expires"))
            .transpose()?,
        scopes: access::scopes(&req.scopes)?,
        allow_from: access::networks(&req.allow_from)?,
        disabled: false,
    };
    if store.find_by_name(&fields.user, &fields.name)?.is_some() {
        return Err(duplicate_name(&fields.user, &fields.name));
    }
    let actor = ctx.actor.to_string();
    let (password, new) = issue(ctx, fields, |new| store.insert(new, ctx.now, &actor))?;
    Ok(Issued {
        credential: created(new, ctx.now),
        password,
        replaces: None,
    })
}

/// Replaces a credential's password in one transaction: same user, name, app id, scopes,
/// networks and pause, a new id. A credential issued for N days is renewed for another N
/// days.
pub fn rotate(store: &mut dyn Store, ctx: &Ctx, target: &Target) -> Result<Issued> {
    let old = resolve(store, target)?;
    if old.revoked_at.is_some() {
        return Err(Error::Conflict(format!(
            "credential {} is revoked; create a new one instead",
            old.id
        )));
    }
    let fields = Fields {
        expires_at: renewed_expiry(&old, ctx.now),
        user: old.user,
        name: old.name,
        app_id: old.app_id,
        scopes: old.scopes,
        allow_from: old.allow_from,
        disabled: old.disabled,
    };
    let actor = ctx.actor.to_string();
    let rotate = |new: &NewCredential| store.rotate(&old.id, new, ctx.now, &actor);
    let (password, new) = issue(ctx, fields, rotate)?;
    Ok(Issued {
        credential: created(new, ctx.now),
        password,
        replaces: Some(old.id),
    })
}

/// The same lifetime again from `now` (whatever the store holds, the arithmetic saturates
/// and the result stays within RFC 3339's years).
fn renewed_expiry(old: &Credential, now: Timestamp) -> Option<Timestamp> {
    old.expires_at.map(|at| {
        let lifetime = at.saturating_sub(old.created).max(60);
        now.saturating_add(lifetime).min(when::MAX_TIME)
    })
}

/// Fields of a credential about to be issued.
struct Fields {
    user: String,
    name: String,
    app_id: Option<String>,
    expires_at: Option<Timestamp>,
    scopes: Vec<String>,
    allow_from: Vec<String>,
    disabled: bool,
}

/// Generates a password, hashes it and hands the row to `write` (which commits it); draws
/// a new id in the astronomically unlikely case the id is taken (`write` says `false`).
fn issue(
    ctx: &Ctx,
    fields: Fields,
    mut write: impl FnMut(&NewCredential) -> Result<bool>,
) -> Result<(Token, NewCredential)> {
    loop {
        let token = Token::generate();
        let new = NewCredential {
            id: token.id().to_string(),
            user: fields.user.clone(),
            name: fields.name.clone(),
            app_id: fields.app_id.clone(),
            hash: ctx.hasher.hash(token.as_str().as_bytes(), token.id()),
            expires_at: fields.expires_at,
            scopes: fields.scopes.clone(),
            allow_from: fields.allow_from.clone(),
            disabled: fields.disabled,
        };
        if write(&new)? {
            return Ok((token, new));
        }
    }
}

/// The metadata of a credential just committed at `now`: what was written.
fn created(new: NewCredential, now: Timestamp) -> Credential {
    Credential {
        id: new.id,
        user: new.user,
        name: new.name,
        app_id: new.app_id,
        created: now,
        last_used: None,
        last_source: None,
        use_count: 0,
        expires_at: new.expires_at,
        last_failed: None,
        last_failed_source: None,
        revoked_at: None,
        scopes: new.scopes,
        allow_from: new.allow_from,
        disabled: new.disabled,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NOW, ctx, store};
    use super::*;

    #[test]
    fn create_returns_what_it_stored_and_a_password_that_verifies() {
        let (_dir, mut store) = store();
        let ctx = ctx();
        let req = CreateRequest {
            app_id: Some("b4f1".into()),
            expires: Some("30d".into()),
            scopes: vec!["deploy".into(), "deploy".into()],
            allow_from: vec![" 10.0.0.0/8 ".into()],
            ..CreateRequest::new(" deploy ", " CI ")
        };
        let issued = create(store.as_mut(), &ctx, req).unwrap();
        let c = &issued.credential;
        assert_eq!((c.user.as_str(), c.name.as_str()), ("deploy", "CI"));
        assert_eq!(c.expires_at, Some(NOW + 30 * 86_400));
        assert_eq!(c.scopes, ["deploy"]);
        assert_eq!(c.allow_from, ["10.0.0.0/8"]);
        assert_eq!(issued.password.id(), c.id);
        assert_eq!(
            &store.get(&c.id).unwrap(),
            c,
            "what it returns is what was stored"
        );
        let hash = store.hash_record(&c.id).unwrap().unwrap().hash.unwrap();
        let attempt = ctx
            .hasher
            .attempt(issued.password.as_str().as_bytes(), &c.id);
        assert!(attempt.check(&hash).unwrap().valid);
    }

    #[test]
    fn create_names_the_field_it_refuses() {
        let (_dir, mut store) = store();
        let ctx = ctx();
        let cases = [
            (CreateRequest::new("a:b", "ci"), "user"),
            (CreateRequest::new("deploy", " "), "name"),
            (
                CreateRequest {
                    expires: Some("yesterday".into()),
                    ..CreateRequest::new("deploy", "ci")
                },
                "expires",
            ),
            (
                CreateRequest {
                    scopes: vec!["no spaces".into()],
                    ..CreateRequest::new("deploy", "ci")
                },
                "scopes",
            ),
            (
                CreateRequest {
                    allow_from: vec!["example.com".into()],
                    ..CreateRequest::new("deploy", "ci")
                },
                "allow_from",
            ),
            (
                CreateRequest {
                    app_id: Some(String::new()),
                    ..CreateRequest::new("deploy", "ci")
                },
                "app_id",
            ),
        ];
        for (req, expected) in cases {
            match create(store.as_mut(), &ctx, req) {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, expected),
                Err(other) => panic!("{expected}: {other:?}"),
                Ok(_) => panic!("{expected}: accepted"),
            }
        }
        assert!(store.list(&Default::default(), NOW).unwrap().is_empty());
    }

    #[test]
    fn a_duplicate_name_is_a_conflict() {
        let (_dir, mut store) = store();
        let ctx = ctx();
        create(store.as_mut(), &ctx, CreateRequest::new("deploy", "Straße")).unwrap();
        let again = create(
            store.as_mut(),
            &ctx,
            CreateRequest::new("deploy", "STRASSE"),
        );
        assert!(matches!(again, Err(Error::Conflict(_))));
        create(store.as_mut(), &ctx, CreateRequest::new("other", "strasse")).unwrap();
    }

    #[test]
    fn rotate_keeps_the_attributes_and_renews_the_lifetime() {
        let (_dir, mut store) = store();
        let mut ctx = ctx();
        let req = CreateRequest {
            expires: Some("10d".into()),
            scopes: vec!["deploy".into()],
            ..CreateRequest::new("deploy", "ci")
        };
        let old = create(store.as_mut(), &ctx, req).unwrap().credential;
        ctx.now += 86_400;
        let new = rotate(store.as_mut(), &ctx, &Target::Id(old.id.clone())).unwrap();
        assert_eq!(new.replaces.as_deref(), Some(old.id.as_str()));
        let c = &new.credential;
        assert_ne!(c.id, old.id);
        assert_eq!(
            (&c.user, &c.name, &c.scopes),
            (&old.user, &old.name, &old.scopes)
        );
        assert_eq!(c.expires_at, Some(ctx.now + 10 * 86_400));
        assert_eq!(&store.get(&c.id).unwrap(), c);
        let again = rotate(store.as_mut(), &ctx, &Target::Id(old.id.clone()));
        assert!(
            matches!(again, Err(Error::Conflict(_))),
            "a revoked one is refused"
        );
    }
}
