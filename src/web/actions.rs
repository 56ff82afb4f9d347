//! The screen's forms that change something: create, the row buttons (revoke, rotate,
//! disable, enable) and revoke-all with its confirmation. Each checks its session and CSRF
//! token first ([`pages::form_session`]), calls one core operation, and redirects to the
//! list (post/redirect/get), with what happened in a notice.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::auth::{Caller, Role};
use super::body::{self, Form, PathId};
use super::calls::{self, Issue};
use super::pages::{Signed, form_session, insecure, me, page, see_other, signed, unavailable};
use super::reply::Problem;
use super::session::{Found, Issued};
use super::{Admin, views};
use crate::ops::{self, Target};
use crate::serve::gate::Peer;

type Answer = Result<Response, Response>;

/// `POST /create`: a new credential; its password waits for the next page.
pub async fn create(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let (found, caller, form) = form_session(&admin, &headers, peer, body).await?;
    let user = match caller.role {
        Role::Admin => form.text("user").unwrap_or(&caller.user).to_string(),
        Role::Own => caller.user.clone(),
    };
    let req = ops::CreateRequest {
        user,
        name: form.get("name").unwrap_or("").to_string(),
        app_id: None,
        expires: form.text("expires").map(str::to_string),
        scopes: form.list("scopes"),
        allow_from: form.list("allow_from"),
    };
    let ctx = calls::acting(&admin, &caller);
    let outcome = match calls::within_power(&caller, &req, ctx.now) {
        Ok(()) => calls::issue(&admin, ctx, Issue::Create(req)).await,
        Err(refusal) => Err(refusal),
    };
    match outcome {
        Ok(issued) => keep(&admin, &found, issued, "Added"),
        Err(p) => admin.sessions.put_notice(&found.key, p.message, true),
    }
    Ok(see_other("/"))
}

/// A password issued here, kept for the one page that shows it.
fn keep(admin: &Admin, found: &Found, issued: ops::Issued, verb: &str) {
    let c = &issued.credential;
    let text = format!(
        "{verb} {} for user {}.",
        crate::text::clean(&c.name),
        crate::text::clean(&c.user)
    );
    admin.sessions.put_notice(&found.key, text, false);
    admin.sessions.put_issued(
        &found.key,
        Issued {
            user: c.user.clone(),
            name: c.name.clone(),
            password: issued.password,
        },
    );
}

/// `POST /credentials/{id}`: the row's buttons, `revoke`, `rotate`, `disable`, `enable`.
pub async fn act(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    PathId(id): PathId,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let (found, caller, form) = form_session(&admin, &headers, peer, body).await?;
    let outcome = act_on(&admin, &found, &caller, &form, id).await;
    if let Err(p) = outcome {
        admin.sessions.put_notice(&found.key, p.message, true);
    }
    Ok(see_other("/"))
}

async fn act_on(
    admin: &Arc<Admin>,
    found: &Found,
    caller: &Caller,
    form: &Form,
    id: String,
) -> Result<(), Problem> {
    let c = calls::visible(admin, caller, id).await?;
    let ctx = calls::acting(admin, caller);
    let name = crate::text::clean(&c.name).into_owned();
    let target = Target::Id(c.id.clone());
    if form.get("rotate").is_some() {
        calls::may_wield(caller, &c)?;
        let issued = calls::issue(admin, ctx, Issue::Rotate(target)).await?;
        keep(admin, found, issued, "Rotated");
        return Ok(());
    }
    let (verb, disabled) = if form.get("revoke").is_some() {
        ("Revoked", None)
    } else if form.get("disable").is_some() {
        ("Disabled", Some(true))
    } else if form.get("enable").is_some() {
        // Enabling hands the credential's power back: as rotate, only within the caller's.
        calls::may_wield(caller, &c)?;
        ("Enabled", Some(false))
    } else {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "no action was chosen",
        ));
    };
    let changed = admin
        .run(ctx, move |s, ctx| match disabled {
            None => ops::revoke(s, ctx, &[target]).map(|_| true),
            Some(true) => ops::disable(s, ctx, &target).map(|s| s.changed),
            Some(false) => ops::enable(s, ctx, &target).map(|s| s.changed),
        })
        .await
        .map_err(|e| Problem::of(&e))?;
    // A pause asked for twice (two tabs) is said to have changed nothing.
    let notice = if changed {
        format!("{verb} {name}.")
    } else {
        format!("{name} was already {}.", verb.to_lowercase())
    };
    admin.sessions.put_notice(&found.key, notice, false);
    Ok(())
}

/// `GET /revoke-all[?user=U]`: how many would go, and the form that does it.
pub async fn confirm_revoke_all(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    uri: Uri,
) -> Answer {
    let (found, caller) = match signed(&admin, &headers, peer).await {
        Signed::In(found, caller) => (found, caller),
        Signed::Unavailable => return Err(unavailable(&headers)),
        Signed::Ended | Signed::None => return Ok(see_other("/")),
    };
    let query = body::query(uri.query(), &["user"])?;
    let asked = query
        .iter()
        .find(|(k, _)| k == "user")
        .map(|(_, v)| v.trim().to_string())
        .filter(|u| !u.is_empty());
    let user = whose(&caller, asked)?;
    let ctx = calls::acting(&admin, &caller);
    let who = user.clone();
    let count = admin
        .run(ctx, move |s, _| ops::count_active(Some(s), who.as_deref()))
        .await
        .map_err(|e| Response::from(Problem::of(&e)))?;
    Ok(page(
        StatusCode::OK,
        &views::Confirm {
            insecure: insecure(&headers),
            notice: None,
            csrf: found.csrf,
            me: me(&caller),
            user: user.map(|u| crate::text::clean(&u).into_owned()),
            count,
        },
    ))
}

/// Whose credentials revoke-all is about: an admin's choice (none: everyone's), an
/// `appw:self` caller's own.
fn whose(caller: &Caller, asked: Option<String>) -> Result<Option<String>, Problem> {
    match caller.role {
        Role::Admin => Ok(asked),
        Role::Own if asked.as_deref().is_none_or(|u| u == caller.user) => {
            Ok(Some(caller.user.clone()))
        }
        Role::Own => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "appw:self may revoke its own user's credentials only",
        )),
    }
}

/// `POST /revoke-all`: the confirmation's form.
pub async fn revoke_all(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let (found, caller, form) = form_session(&admin, &headers, peer, body).await?;
    let outcome = async {
        let user = whose(&caller, form.text("user").map(str::to_string))?;
        let ctx = calls::acting(&admin, &caller);
        admin
            .run(ctx, move |s, ctx| {
                ops::revoke_all(Some(s), ctx, user.as_deref())
            })
            .await
            .map_err(|e| Problem::of(&e))
    }
    .await;
    match outcome {
        Ok(n) => admin.sessions.put_notice(
            &found.key,
            format!("Revoked {n} credential{}.", if n == 1 { "" } else { "s" }),
            false,
        ),
        Err(p) => admin.sessions.put_notice(&found.key, p.message, true),
    }
    Ok(see_other("/"))
}
