//! Signing in and out of the screen. The sign-in form's password is checked once, as
//! `/auth` checks it (the server's gate), and held only in zeroizing buffers on the way.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;

use super::auth::{self, Need};
use super::pages::{forbidden, insecure, page, see_other};
use super::session::Who;
use super::{Admin, body, csrf, reply, views};
use crate::serve::gate::Peer;

type Answer = Result<Response, Response>;

/// The sign-in form, with its token (and the cookie that token needs, when missing).
pub(super) fn sign_in_page(
    admin: &Admin,
    headers: &HeaderMap,
    status: StatusCode,
    notice: Option<(String, bool)>,
    next: Option<String>,
) -> Response {
    let (csrf, cookie) = admin.sign_in.issue(headers);
    let mut r = page(
        status,
        &views::SignIn {
            insecure: insecure(headers),
            notice: notice.map(|(text, error)| super::session::Notice { text, error }),
            csrf,
            next,
        },
    );
    if let Some(cookie) = cookie {
        r.headers_mut().append(header::SET_COOKIE, cookie);
    }
    r
}

/// The sign-in form for a page that needs a signed-in user (`/authorize`): signing in
/// returns to `uri`.
pub(super) fn sign_in_first(admin: &Admin, headers: &HeaderMap, uri: &Uri) -> Response {
    let next = Some(uri.to_string()).filter(|n| returns_to(n));
    sign_in_page(admin, headers, StatusCode::OK, None, next)
}

/// Where sign-in may send the browser next: only back to an `/authorize` request on this
/// server (never elsewhere: no open redirect).
fn returns_to(next: &str) -> bool {
    next.starts_with("/authorize?") && HeaderValue::from_str(next).is_ok()
}

/// `POST /sign-in`: the user name and application password, checked once, as `/auth`
/// checks them; a new session replaces the one the browser had, if any.
pub async fn sign_in(
    State(admin): State<Arc<Admin>>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let form = body::form(&headers, body).await?;
    if !admin.sign_in.valid(&form, &headers) {
        return Err(forbidden(&headers));
    }
    let old = admin.sessions.find(&headers).map(|found| found.key);
    let user = form.get("user").unwrap_or("").trim();
    let password = form.get("password").unwrap_or("");
    // The gate reads the client address from the request and the credential from here.
    let mut check = crate::serve::gate::gate_headers(&headers);
    check.insert(header::AUTHORIZATION, basic_header(user, password));
    match auth::authenticate(&admin.server, &check, peer, Need::Manage).await {
        Ok(caller) => {
            let who = Who {
                credential: caller.id.clone(),
                user: caller.user.clone(),
                role: caller.role,
            };
            let (cookie, _) = admin.sessions.begin(who, old.as_ref());
            let mut r = see_other("/");
            if let Some(next) = form.get("next").filter(|n| returns_to(n)) {
                if let Ok(next) = HeaderValue::from_str(next) {
                    r.headers_mut().insert(header::LOCATION, next);
                }
            }
            r.headers_mut().insert(header::SET_COOKIE, cookie);
            Ok(r)
        }
        Err(answer) => {
            let status = answer.status();
            let text = match status {
                StatusCode::UNAUTHORIZED => {
                    "Sign-in failed: the user name or password is wrong, or the credential is \
                     revoked, disabled or expired."
                }
                StatusCode::FORBIDDEN => {
                    "This credential cannot sign in here: it needs the appw:admin or appw:self \
                     scope, and to be used from one of its networks."
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    "Too many failed attempts from here: wait a minute and try again."
                }
                _ => "The store cannot be used right now: try again shortly.",
            };
            let next = form
                .get("next")
                .filter(|n| returns_to(n))
                .map(str::to_string);
            Err(sign_in_page(
                &admin,
                &headers,
                status,
                Some((text.to_string(), true)),
                next,
            ))
        }
    }
}

/// The Authorization value `curl -u USER:PASSWORD` would send (the sign-in form's pair),
/// held in zeroizing buffers of their exact size, the last one owned by the header value
/// itself (wiped when the last reference to it is dropped).
fn basic_header(user: &str, password: &str) -> HeaderValue {
    let pair = reply::exact(|w| write!(w, "{user}:{password}"));
    let encoded = reply::exact(|w| {
        let b64 = base64::display::Base64Display::new(
            pair.as_bytes(),
            &base64::engine::general_purpose::STANDARD,
        );
        write!(w, "Basic {b64}")
    });
    HeaderValue::from_maybe_shared(reply::secret_bytes(encoded))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic"))
}

/// `POST /sign-out`: the session ends here and the cookie is forgotten. Ending a session
/// needs only the session and its token, never the store: a store that cannot be read
/// must not keep anyone signed in.
pub async fn sign_out(State(admin): State<Arc<Admin>>, headers: HeaderMap, body: Body) -> Answer {
    let form = body::form(&headers, body).await?;
    let Some(found) = admin
        .sessions
        .find(&headers)
        .filter(|found| csrf::valid(Some(found), &form, &headers))
    else {
        return Err(forbidden(&headers));
    };
    admin.sessions.end(&found.key);
    let mut r = see_other("/");
    r.headers_mut()
        .insert(header::SET_COOKIE, super::session::forget());
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::returns_to;

    #[test]
    fn sign_in_returns_only_to_an_authorize_request_here() {
        assert!(returns_to(
            "/authorize?app_name=A&app_id=x&success_url=https%3A%2F%2Fa"
        ));
        for elsewhere in [
            "https://evil.example/authorize?x=1",
            "//evil.example/authorize?x=1",
            "/authorize",
            "/",
            "/authorize?x=1\r\nSet-Cookie: a=b",
            "authorize?x=1",
        ] {
            assert!(!returns_to(elsewhere), "{elsewhere:?}");
        }
    }
}
