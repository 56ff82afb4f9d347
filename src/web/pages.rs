//! The Application Passwords screen: server-rendered pages and plain forms (they work
//! without JavaScript). Every form that changes something is checked for its CSRF token
//! first and answered with a redirect (post/redirect/get: reloading changes nothing); a
//! new password waits in the session for the one page that shows it.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;

use super::auth::{self, Caller, Role};
use super::body::{self, Form};
use super::calls;
use super::session::Found;
use super::sign_in::sign_in_page;
use super::views::{self, Me};
use super::{Admin, csrf, reply};
use crate::ops;
use crate::serve::gate::Peer;

type Answer = Result<Response, Response>;

/// A page, rendered into an exact-size zeroizing buffer (it may hold a password).
pub(super) fn page(status: StatusCode, t: &impl Template) -> Response {
    let text = reply::exact(|w| t.render_into(w).map_err(|_| std::fmt::Error));
    reply::secret(status, text, "text/html; charset=utf-8")
}

pub(super) fn see_other(location: &'static str) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::SEE_OTHER;
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(location));
    r
}

/// Whether the page was reached over plain http on a host that is not this machine: a
/// browser then drops the Secure session cookie, so the page says why sign-in fails.
pub(super) fn insecure(headers: &HeaderMap) -> bool {
    let https = super::origin::scheme(headers) == "https";
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // host:port, [v6]:port, or a bare host.
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let local = name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !https && !host.is_empty() && !local
}

/// The session of a request, as far as it goes.
// One per request, on the stack for its duration: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(super) enum Signed {
    In(Found, Caller),
    /// Its credential can no longer sign in: the session was ended.
    Ended,
    /// The store did not say whether its credential still signs in: the session is kept,
    /// and nothing is done in it now (answer [`unavailable`]).
    Unavailable,
    None,
}

pub(super) async fn signed(admin: &Arc<Admin>, headers: &HeaderMap, peer: Peer) -> Signed {
    let Some(found) = admin.sessions.find(headers) else {
        return Signed::None;
    };
    let now = admin.server.clock();
    let who = &found.who;
    let client = admin.server.client(peer, headers);
    match auth::still_valid(&admin.server, &who.credential, who.role, now, &client).await {
        Ok(Some(caller)) => Signed::In(found, caller),
        Ok(None) => {
            admin.sessions.end(&found.key);
            Signed::Ended
        }
        // Logged and counted where it was read (`Server::record`).
        Err(_) => Signed::Unavailable,
    }
}

/// The page for a store that cannot be used right now (503): nothing was done, and the
/// session goes on once the store answers again.
pub(super) fn unavailable(headers: &HeaderMap) -> Response {
    let mut r = page(
        StatusCode::SERVICE_UNAVAILABLE,
        &views::Message {
            insecure: insecure(headers),
            notice: None,
            heading: "The store cannot be used right now",
            text: "Nothing was done, and you are still signed in: try again in a few seconds."
                .into(),
        },
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

/// The signed-in session of a form post whose CSRF token is valid; otherwise the 403 or
/// sign-in page to answer with, nothing changed.
pub(super) async fn form_session(
    admin: &Arc<Admin>,
    headers: &HeaderMap,
    peer: Peer,
    body: Body,
) -> Result<(Found, Caller, Form), Response> {
    let form = body::form(headers, body).await?;
    match signed(admin, headers, peer).await {
        Signed::In(found, caller) if csrf::valid(Some(&found), &form, headers) => {
            Ok((found, caller, form))
        }
        Signed::In(..) | Signed::None => Err(forbidden(headers)),
        Signed::Ended => Err(see_other("/")),
        Signed::Unavailable => Err(unavailable(headers)),
    }
}

pub(super) fn forbidden(headers: &HeaderMap) -> Response {
    page(
        StatusCode::FORBIDDEN,
        &views::Message {
            insecure: insecure(headers),
            notice: None,
            heading: "Nothing was changed",
            text: "This form did not come from this screen in your current session (it came \
                   from another site, or the page was too old). Nothing was changed: go back to \
                   the screen, reload it and try again."
                .into(),
        },
    )
}

/// `GET /`: the sign-in form, or the credentials.
pub async fn index(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    method: axum::http::Method,
    headers: HeaderMap,
    uri: Uri,
) -> Answer {
    let (found, caller) = match signed(&admin, &headers, peer).await {
        Signed::In(found, caller) => (found, caller),
        Signed::Unavailable => return Err(unavailable(&headers)),
        ended => {
            let notice = matches!(ended, Signed::Ended).then(|| {
                (
                    "Your session has ended: the credential you signed in with was revoked, \
                     disabled, expired or lost its scope, or is not allowed from where you \
                     are now. Sign in again."
                        .to_string(),
                    true,
                )
            });
            let mut r = sign_in_page(&admin, &headers, StatusCode::OK, notice, None);
            if matches!(ended, Signed::Ended) {
                r.headers_mut()
                    .append(header::SET_COOKIE, super::session::forget());
            }
            return Ok(r);
        }
    };
    let query = body::query(uri.query(), &["user", "page"])?;
    let param = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim())
    };
    let filter = match caller.role {
        Role::Admin => param("user").unwrap_or("").to_string(),
        Role::Own => String::new(),
    };
    let ctx = calls::acting(&admin, &caller);
    let now = ctx.now;
    let req = ops::ListRequest {
        user: match caller.role {
            Role::Admin => Some(filter.clone()).filter(|u| !u.is_empty()),
            Role::Own => Some(caller.user.clone()),
        },
        ..Default::default()
    };
    let notice = admin.sessions.take_notice(&found.key);
    let creds = match admin
        .run(ctx, move |s, ctx| ops::list(Some(s), ctx.now, &req))
        .await
    {
        Ok(creds) => creds,
        Err(e) => {
            // Redacted, as every notice is: a store's message may quote what it was given.
            let problem = reply::Problem::of(&e);
            return Err(page(
                problem.status,
                &views::Message {
                    insecure: insecure(&headers),
                    notice,
                    heading: "The credentials cannot be listed",
                    text: problem.message,
                },
            ));
        }
    };
    let total = creds.len();
    let pages = total.div_ceil(views::PAGE).max(1);
    let current = param("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let start = (current - 1) * views::PAGE;
    let rows: Vec<views::Row> = creds
        .iter()
        .skip(start)
        .take(views::PAGE)
        .map(|c| views::Row::of(c, now))
        .collect();
    // axum answers HEAD with this handler: only a GET, whose body is shown, takes it.
    let issued = if method == axum::http::Method::GET {
        admin.sessions.take_issued(&found.key)
    } else {
        None
    };
    let grouped = issued.as_ref().map(|i| i.password.grouped());
    let curl = issued.as_ref().map(|i| {
        let url = admin
            .auth_url
            .as_deref()
            .unwrap_or("http://127.0.0.1:9180/auth");
        views::curl_line(&i.user, i.password.as_str(), url)
    });
    let new = match (&issued, &grouped, &curl) {
        (Some(i), Some(g), Some(c)) => Some(views::NewPassword {
            name: crate::text::clean(&i.name).into_owned(),
            user: crate::text::clean(&i.user).into_owned(),
            grouped: g.as_str(),
            curl: c.as_str(),
        }),
        _ => None,
    };
    let shown = rows.len();
    let index = views::Index {
        insecure: insecure(&headers),
        notice,
        csrf: found.csrf,
        me: me(&caller),
        admin: caller.role == Role::Admin,
        issued: new,
        pages: views::page_links(pages, current, &filter),
        filter,
        total,
        first: start + 1,
        last: start + shown,
        rows,
    };
    // Written, then every copy of the password dropped with its zeroizing buffer.
    Ok(page(StatusCode::OK, &index))
}

pub(super) fn me(caller: &Caller) -> Me {
    Me {
        user: crate::text::clean(&caller.user).into_owned(),
        scope: caller.role.scope(),
    }
}
