//! Calling the core for a caller: who acts and when ([`Acting`]), operations on the store
//! ([`Admin::run`]) or on the argon2 workers ([`issue`]), what the caller may see
//! ([`visible`]) and create ([`within_power`]). Shared by the API, the screen and
//! `/authorize`.

use std::sync::Arc;

use axum::http::StatusCode;

use super::Admin;
use super::auth::{Caller, Role};
use super::reply::Problem;
use crate::error::Error;
use crate::ops::{self, Actor, Ctx, Target};
use crate::store::{Credential, ListFilter, Store, Timestamp};

/// Who acts, and when: what every operation called for `caller` needs besides a hasher
/// (see [`Admin::run`]).
pub struct Acting {
    pub now: Timestamp,
    pub actor: Actor,
}

pub fn acting(admin: &Admin, caller: &Caller) -> Acting {
    Acting {
        now: admin.server.clock(),
        actor: Actor::Credential {
            id: caller.id.clone(),
        },
    }
}

impl Admin {
    /// Runs a core operation that does not hash, on a pooled store connection on the
    /// blocking pool.
    pub async fn run<T: Send + 'static>(
        &self,
        acting: Acting,
        op: impl FnOnce(&mut (dyn Store + 'static), &Ctx) -> crate::error::Result<T> + Send + 'static,
    ) -> crate::error::Result<T> {
        let hasher = self.hasher.clone();
        self.server
            .with_store(move |s| {
                let ctx = Ctx {
                    hasher: &hasher,
                    now: acting.now,
                    actor: acting.actor,
                };
                op(s, &ctx)
            })
            .await
    }
}

/// The credential `id` names, if the caller may see it; another user's is, for an
/// `appw:self` caller, as if it did not exist. For it, a prefix is resolved among its own
/// user's credentials only: a prefix that also matches another user's is not "ambiguous"
/// (which would confirm that credential exists).
pub async fn visible(
    admin: &Arc<Admin>,
    caller: &Caller,
    id: String,
) -> Result<Credential, Problem> {
    let own = (caller.role == Role::Own).then(|| caller.user.clone());
    let now = admin.server.clock();
    let asked = id.trim().to_string();
    let c = admin
        .server
        .with_store(move |s| match ops::show(s, &Target::Id(id.clone())) {
            Err(Error::Ambiguous(_)) if own.is_some() => {
                let prefix = ops::id_prefix(&id)?;
                let filter = ListFilter {
                    user: own,
                    ..ListFilter::default()
                };
                let mine: Vec<Credential> = s
                    .list(&filter, now)?
                    .into_iter()
                    .filter(|c| c.id.starts_with(&prefix))
                    .collect();
                crate::store::one_match(&prefix, mine)
            }
            other => other,
        })
        .await
        .map_err(|e| Problem::of(&e))?;
    if !caller.sees(&c.user) {
        // The very answer an id no credential has gets: anything else would tell.
        return Err(Problem::of(&crate::store::unknown_id(&asked)));
    }
    Ok(c)
}

/// Refuses (403) a request an `appw:self` caller may not make: for another user, or with
/// more power than its own.
pub fn within_power(caller: &Caller, req: &ops::CreateRequest, now: i64) -> Result<(), Problem> {
    if !caller.sees(req.user.trim()) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "user: appw:self may create credentials for its own user only",
        ));
    }
    // An expiry that does not parse is the operation's to refuse (400, naming the field).
    let expires_at = match &req.expires {
        Some(w) => match crate::when::parse_future(w, now, "expires") {
            Ok(at) => Some(at),
            Err(_) => return Ok(()),
        },
        None => None,
    };
    caller
        .may_hold(&req.scopes, &req.allow_from, expires_at)
        .map_err(|why| Problem::new(StatusCode::FORBIDDEN, why))
}

/// Refuses (403) putting `c`'s power in the caller's hands (a new password for it, its
/// pause lifted) when that is more than the caller's own.
pub fn may_wield(caller: &Caller, c: &Credential) -> Result<(), Problem> {
    caller
        .may_hold(&c.scopes, &c.allow_from, c.expires_at)
        .map_err(|why| Problem::new(StatusCode::FORBIDDEN, why))
}

/// What to issue: a new credential, or a new password for one.
pub enum Issue {
    Create(ops::CreateRequest),
    Rotate(Target),
}

/// Issues on the argon2 workers (never on the threads that answer requests).
pub async fn issue(admin: &Arc<Admin>, ctx: Acting, what: Issue) -> Result<ops::Issued, Problem> {
    admin
        .server
        .hashing(move |s, hasher| {
            let ctx = Ctx {
                hasher,
                now: ctx.now,
                actor: ctx.actor,
            };
            match what {
                Issue::Create(req) => ops::create(s, &ctx, req),
                Issue::Rotate(target) => ops::rotate(s, &ctx, &target),
            }
        })
        .await
        .map_err(|e| Problem::of(&e))
}
