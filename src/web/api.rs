//! The JSON API under `/api/v1/`: each route authenticates its caller, checks what the
//! caller may touch, calls one core operation and renders its result as `--json` does.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::auth::{self, Caller, Need, Role};
use super::body::PathId;
use super::calls::{Issue, acting, issue, may_wield, visible, within_power};
use super::reply::Problem;
use super::{Admin, body, reply};
use crate::json::{CredentialJson, EventJson, IssuedJson, RevokedJson};
use crate::ops::{self, Target};
use crate::serve::gate::Peer;
use crate::store::Credential;

type Answer = Result<Response, Response>;

/// The caller, with `appw:admin` or `appw:self`.
async fn manager(admin: &Arc<Admin>, headers: &HeaderMap, peer: Peer) -> Result<Caller, Response> {
    auth::authenticate(&admin.server, headers, peer, Need::Manage)
        .await
        .map_err(reply::refused)
}

fn credential(c: &Credential, now: i64) -> Value {
    serde_json::to_value(CredentialJson::new(c, now)).unwrap_or(Value::Null)
}

fn fail(e: crate::error::Error) -> Problem {
    Problem::of(&e)
}

/// `?user=U` for an `appw:self` caller: its own user whatever it asked; `None` when it
/// asked for another's (it sees nothing of theirs).
fn own_filter(caller: &Caller, asked: Option<String>) -> Option<Option<String>> {
    match (caller.role, asked) {
        (Role::Admin, asked) => Some(asked),
        (Role::Own, Some(u)) if u != caller.user => None,
        (Role::Own, _) => Some(Some(caller.user.clone())),
    }
}

fn param(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// `GET /api/v1/credentials[?user=U]`: `list --json`.
pub async fn list(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    uri: Uri,
) -> Answer {
    let caller = manager(&admin, &headers, peer).await?;
    let query = body::query(uri.query(), &["user"])?;
    let Some(user) = own_filter(&caller, param(&query, "user")) else {
        return Ok(reply::json(StatusCode::OK, &Value::Array(Vec::new())));
    };
    let ctx = acting(&admin, &caller);
    let now = ctx.now;
    let req = ops::ListRequest {
        user,
        ..Default::default()
    };
    let creds = admin
        .run(ctx, move |s, ctx| ops::list(Some(s), ctx.now, &req))
        .await
        .map_err(fail)?;
    let items = creds.iter().map(|c| credential(c, now)).collect();
    Ok(reply::json(StatusCode::OK, &Value::Array(items)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    user: String,
    name: String,
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    allow_from: Vec<String>,
}

/// `POST /api/v1/credentials`: `create --json`, the password in this one answer.
pub async fn create(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let caller = manager(&admin, &headers, peer).await?;
    let b: CreateBody = body::json(&headers, body).await?;
    let req = ops::CreateRequest {
        user: b.user,
        name: b.name,
        app_id: b.app_id,
        expires: b.expires,
        scopes: b.scopes,
        allow_from: b.allow_from,
    };
    issue_new(&admin, &caller, req).await
}

/// Creates what `req` asks for, within the caller's power, and answers 201 with the
/// password (also the screen's create, through [`within_power`] and [`issue`]).
async fn issue_new(admin: &Arc<Admin>, caller: &Caller, req: ops::CreateRequest) -> Answer {
    let ctx = acting(admin, caller);
    within_power(caller, &req, ctx.now)?;
    let issued = issue(admin, ctx, Issue::Create(req)).await?;
    Ok(issued_json(&issued, StatusCode::CREATED))
}

fn issued_json(issued: &ops::Issued, status: StatusCode) -> Response {
    let now = issued.credential.created;
    let json = IssuedJson {
        credential: CredentialJson::new(&issued.credential, now),
        password: issued.password.as_str(),
    };
    match serde_json::to_value(&json) {
        Ok(value) => reply::secret_json(status, value),
        Err(_) => reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not write the answer",
        ),
    }
}

/// `GET /api/v1/credentials/{id}`: `show --json`.
pub async fn show(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Answer {
    let caller = manager(&admin, &headers, peer).await?;
    let c = visible(&admin, &caller, id).await?;
    let now = admin.server.clock();
    Ok(reply::json(StatusCode::OK, &credential(&c, now)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    #[serde(default, deserialize_with = "body::present")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "body::present")]
    scopes: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "body::present")]
    allow_from: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "body::present")]
    expires: Option<Option<String>>,
    #[serde(default, deserialize_with = "body::present")]
    disabled: Option<Option<bool>>,
}

/// `PATCH /api/v1/credentials/{id}`: `rename`, `update`, `disable`/`enable` in one.
pub async fn update(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    PathId(id): PathId,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let caller = manager(&admin, &headers, peer).await?;
    let b: PatchBody = body::json(&headers, body).await?;
    let not_null =
        |field: &str| reply::error(StatusCode::BAD_REQUEST, &format!("{field}: cannot be null"));
    let req = ops::UpdateRequest {
        name: match b.name {
            Some(None) => return Err(not_null("name")),
            other => other.flatten(),
        },
        scopes: b.scopes.map(Option::unwrap_or_default),
        allow_from: b.allow_from.map(Option::unwrap_or_default),
        expires: b.expires,
        disabled: match b.disabled {
            Some(None) => return Err(not_null("disabled")),
            other => other.flatten(),
        },
    };
    let c = visible(&admin, &caller, id).await?;
    let ctx = acting(&admin, &caller);
    let (now, target) = (ctx.now, Target::Id(c.id.clone()));
    // Only what hands power back is checked: a rename, or a pause, of a stronger credential
    // of its own user is as much the caller's to do as a revoke.
    let grants = req.scopes.is_some()
        || req.allow_from.is_some()
        || req.expires.is_some()
        || req.disabled == Some(false);
    if caller.role == Role::Own && grants {
        let expires_at = match &req.expires {
            None => c.expires_at,
            Some(None) => None,
            Some(Some(w)) => Some(crate::when::parse_future(w, now, "expires").map_err(fail)?),
        };
        let scopes = req.scopes.as_ref().unwrap_or(&c.scopes);
        let allow_from = req.allow_from.as_ref().unwrap_or(&c.allow_from);
        caller
            .may_hold(scopes, allow_from, expires_at)
            .map_err(|why| reply::error(StatusCode::FORBIDDEN, &why))?;
    }
    let updated = admin
        .run(ctx, move |s, ctx| ops::update(s, ctx, &target, req))
        .await
        .map_err(fail)?;
    Ok(reply::json(StatusCode::OK, &credential(&updated, now)))
}

/// `POST /api/v1/credentials/{id}/rotate`: `rotate --json`.
pub async fn rotate(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Answer {
    body::no_form(&headers)?;
    let caller = manager(&admin, &headers, peer).await?;
    let c = visible(&admin, &caller, id).await?;
    // A new password for a credential is that credential's power in the caller's hands.
    may_wield(&caller, &c)?;
    let ctx = acting(&admin, &caller);
    let issued = issue(&admin, ctx, Issue::Rotate(Target::Id(c.id))).await?;
    Ok(issued_json(&issued, StatusCode::CREATED))
}

/// `DELETE /api/v1/credentials/{id}`: `revoke`, answering with the revoked credential.
pub async fn revoke(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Answer {
    let caller = manager(&admin, &headers, peer).await?;
    let c = visible(&admin, &caller, id).await?;
    revoke_one(&admin, &caller, c.id).await
}

async fn revoke_one(admin: &Arc<Admin>, caller: &Caller, id: String) -> Answer {
    let ctx = acting(admin, caller);
    let now = ctx.now;
    let revoked = admin
        .run(ctx, move |s, ctx| ops::revoke(s, ctx, &[Target::Id(id)]))
        .await
        .map_err(fail)?;
    match revoked.first() {
        Some(c) => Ok(reply::json(StatusCode::OK, &credential(c, now))),
        None => Err(reply::error(StatusCode::NOT_FOUND, "no such credential")),
    }
}

/// `DELETE /api/v1/credentials?user=U`: `revoke-all` of U.
pub async fn revoke_all(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    uri: Uri,
) -> Answer {
    let caller = manager(&admin, &headers, peer).await?;
    let query = body::query(uri.query(), &["user"])?;
    let Some(user) = param(&query, "user") else {
        return Err(reply::error(
            StatusCode::BAD_REQUEST,
            "user: say whose credentials to revoke, ?user=U",
        ));
    };
    if !caller.sees(&user) {
        return Err(reply::error(
            StatusCode::FORBIDDEN,
            "user: appw:self may revoke its own user's credentials only",
        ));
    }
    let ctx = acting(&admin, &caller);
    let who = user.clone();
    let count = admin
        .run(ctx, move |s, ctx| ops::revoke_all(Some(s), ctx, Some(&who)))
        .await
        .map_err(fail)?;
    let json = RevokedJson {
        revoked: count,
        user: Some(user),
    };
    Ok(reply::json(
        StatusCode::OK,
        &serde_json::to_value(json).unwrap_or(Value::Null),
    ))
}

/// `GET /api/v1/log[?user=U&since=WHEN]`: `log --json`.
pub async fn log(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    uri: Uri,
) -> Answer {
    let caller = manager(&admin, &headers, peer).await?;
    let query = body::query(uri.query(), &["user", "since"])?;
    let Some(user) = own_filter(&caller, param(&query, "user")) else {
        return Ok(reply::json(StatusCode::OK, &Value::Array(Vec::new())));
    };
    let ctx = acting(&admin, &caller);
    let req = ops::LogRequest {
        user,
        since: param(&query, "since"),
    };
    let events = admin
        .run(ctx, move |s, ctx| ops::log(Some(s), ctx.now, &req))
        .await
        .map_err(fail)?;
    let items = events
        .iter()
        .map(|e| serde_json::to_value(EventJson::from(e)).unwrap_or(Value::Null))
        .collect();
    Ok(reply::json(StatusCode::OK, &Value::Array(items)))
}

/// `GET /api/v1/credentials/self`: the credential this request authenticated with.
pub async fn show_self(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
) -> Answer {
    let caller = auth::authenticate(&admin.server, &headers, peer, Need::Any)
        .await
        .map_err(reply::refused)?;
    let c = visible(&admin, &caller, caller.id.clone()).await?;
    let now = admin.server.clock();
    Ok(reply::json(StatusCode::OK, &credential(&c, now)))
}

/// `DELETE /api/v1/credentials/self`: the credential revokes itself.
pub async fn revoke_self(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
) -> Answer {
    let caller = auth::authenticate(&admin.server, &headers, peer, Need::Any)
        .await
        .map_err(reply::refused)?;
    let answer = revoke_one(&admin, &caller, caller.id.clone()).await;
    admin.sessions.end_credential(&caller.id);
    answer
}
