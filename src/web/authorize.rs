//! Apps asking for a credential, with WordPress's parameters
//! (`/authorize?app_name=NAME&app_id=UUID&success_url=URL[&reject_url=URL]`): a signed-in
//! user sees which app asks and where the password will go, and approves or rejects.
//!
//! Unlike WordPress, the password never travels in a URL: approval answers with a page
//! whose form POSTs it to `success_url` (a button; no script needed). Only `https` URLs, or
//! `http` on loopback for native apps, of an origin named by `--authorize-origin` (exact
//! match after normalisation: punycode hosts, default ports) are accepted, without
//! credentials or a fragment; anything else is refused on the page and nothing is created.
//! The request is held in the session under a single-use state that the approve and reject
//! forms carry with their CSRF token: a replayed or forged approval creates nothing.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use url::Url;

use super::auth::Role;
use super::calls::{self, Issue};
use super::pages::{self, Signed, insecure, me, page, signed};
use super::session::{Found, Pending};
use super::{Admin, body, views};
use crate::ops;
use crate::serve::gate::Peer;

type Answer = Result<Response, Response>;

/// The origin an `--authorize-origin` value names, normalised (`https://app.example`,
/// `http://127.0.0.1:8123`); `Err` says why it cannot be one.
pub fn origin(text: &str) -> Result<String, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
    check_scheme(&url)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("an origin holds no user or password".into());
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err("an origin is a scheme, host and port, without a path".into());
    }
    Ok(url.origin().ascii_serialization())
}

/// https anywhere; http only on loopback (a native app's local server).
fn check_scheme(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err("http is accepted on loopback only; use https".into()),
        other => Err(format!("the {other}: scheme is not accepted")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Where a password may be sent: an allowed origin's URL, with no credentials or fragment.
fn destination(admin: &Admin, field: &str, text: &str) -> Result<Url, String> {
    let bad = |why: String| format!("{field}: {why}");
    let url = Url::parse(text.trim()).map_err(|e| bad(format!("not a URL ({e})")))?;
    check_scheme(&url).map_err(bad)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "a URL with a user or password in it is not accepted".into()
        ));
    }
    if url.fragment().is_some() {
        return Err(bad("a URL with a fragment is not accepted".into()));
    }
    let origin = url.origin().ascii_serialization();
    if !admin.authorize_origins.contains(&origin) {
        return Err(bad(format!(
            "{origin} is not an origin this server accepts (--authorize-origin)"
        )));
    }
    Ok(url)
}

/// WordPress requires a UUID as the app id: so does appw.
fn uuid(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_lowercase();
    let shape = t.len() == 36
        && t.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    shape.then_some(t)
}

/// The request, checked.
fn ask(admin: &Admin, uri: &Uri) -> Result<Pending, String> {
    let query = body::query(
        uri.query(),
        &["app_name", "app_id", "success_url", "reject_url"],
    )
    .map_err(|p| p.message)?;
    let get = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let name = crate::input::name(get("app_name").ok_or("app_name: missing")?)
        .map_err(|e| format!("app_name: {}", e.naming_field()))?;
    let app_id = uuid(get("app_id").ok_or("app_id: missing")?)
        .ok_or("app_id: must be a UUID, such as 21f2e7c6-9a3e-4bd6-8c7b-2f8a3c1d5e90")?;
    let success = destination(
        admin,
        "success_url",
        get("success_url").ok_or("success_url: missing")?,
    )?;
    let reject = get("reject_url")
        .map(|r| destination(admin, "reject_url", r))
        .transpose()?;
    Ok(Pending {
        state: super::session::random_token(),
        name,
        app_id,
        success,
        reject,
    })
}

#[derive(Template)]
#[template(path = "authorize.html")]
struct Consent {
    insecure: bool,
    notice: Option<super::session::Notice>,
    csrf: String,
    me: views::Me,
    app: String,
    app_id: String,
    destination: String,
    state: String,
}

#[derive(Template)]
#[template(path = "deliver.html")]
struct Deliver<'a> {
    insecure: bool,
    notice: Option<super::session::Notice>,
    csrf: String,
    me: views::Me,
    app: String,
    action: String,
    site_url: String,
    user_login: String,
    password: &'a str,
}

fn refused(headers: &HeaderMap, why: String) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        &views::Message {
            insecure: insecure(headers),
            notice: None,
            heading: "This request cannot be approved",
            text: format!("{why}. Nothing was created."),
        },
    )
}

/// `GET /authorize?...`: what the app asks, to approve or reject (signing in first
/// returns here).
pub async fn consent(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    uri: Uri,
) -> Answer {
    let pending = ask(&admin, &uri).map_err(|why| refused(&headers, why))?;
    let (found, caller) = match signed(&admin, &headers, peer).await {
        Signed::In(found, caller) => (found, caller),
        Signed::Unavailable => return Err(pages::unavailable(&headers)),
        Signed::Ended | Signed::None => {
            return Ok(super::sign_in::sign_in_first(&admin, &headers, &uri));
        }
    };
    let view = Consent {
        insecure: insecure(&headers),
        notice: None,
        csrf: found.csrf.clone(),
        me: me(&caller),
        app: crate::text::clean(&pending.name).into_owned(),
        app_id: pending.app_id.clone(),
        destination: pending.success.to_string(),
        state: pending.state.clone(),
    };
    admin.sessions.put_pending(&found.key, pending);
    Ok(page(StatusCode::OK, &view))
}

/// The session's pending request named by the form's state, taken (it is used once).
fn take(admin: &Admin, found: &Found, form: &body::Form) -> Option<Pending> {
    admin
        .sessions
        .take_pending(&found.key, form.get("state").unwrap_or(""))
}

/// `POST /authorize`: approve (the credential is made, and handed to the app by a form
/// that POSTs to `success_url`) or reject (the browser goes to `reject_url?success=false`).
pub async fn decide(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let (found, caller, form) = pages::form_session(&admin, &headers, peer, body).await?;
    // One of the two buttons, never neither: a form without one approves nothing (and
    // leaves the request to be decided).
    let approve = form.get("approve").is_some();
    if approve == form.get("reject").is_some() {
        return Err(refused(
            &headers,
            "neither approval nor rejection was chosen".into(),
        ));
    }
    let Some(pending) = take(&admin, &found, &form) else {
        return Err(refused(
            &headers,
            "this approval was already used, or is not this session's".into(),
        ));
    };
    if !approve {
        let mut to = pending.reject.unwrap_or(pending.success);
        to.query_pairs_mut().append_pair("success", "false");
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::SEE_OTHER;
        let location = HeaderValue::from_str(to.as_str())
            .map_err(|_| refused(&headers, "reject_url cannot be followed".into()))?;
        r.headers_mut().insert(header::LOCATION, location);
        return Ok(r);
    }
    // Within the user's power: an appw:self caller's networks and expiry bound the new one.
    let own = caller.role == Role::Own;
    let req = ops::CreateRequest {
        user: caller.user.clone(),
        name: pending.name.clone(),
        app_id: Some(pending.app_id.clone()),
        expires: caller.expires_at.filter(|_| own).map(crate::when::rfc3339),
        scopes: Vec::new(),
        allow_from: if own {
            caller.allow_from.clone()
        } else {
            Vec::new()
        },
    };
    let ctx = calls::acting(&admin, &caller);
    calls::within_power(&caller, &req, ctx.now).map_err(|p| refused(&headers, p.message))?;
    let issued = calls::issue(&admin, ctx, Issue::Create(req))
        .await
        .map_err(|p| refused(&headers, p.message))?;
    let view = Deliver {
        insecure: insecure(&headers),
        notice: None,
        csrf: found.csrf.clone(),
        me: me(&caller),
        app: crate::text::clean(&pending.name).into_owned(),
        action: pending.success.to_string(),
        site_url: site_url(&headers),
        user_login: caller.user.clone(),
        password: issued.password.as_str(),
    };
    Ok(page(StatusCode::OK, &view))
}

/// This server's address as the browser reached it (WordPress's `site_url`).
fn site_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("{}://{host}/", super::origin::scheme(headers))
}
