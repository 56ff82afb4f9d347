//! Cross-site request forgery: every form that changes something carries its session's
//! token, compared in constant time; a request the browser marks as coming from another
//! site is refused too. Either refusal is a 403 that changed nothing.

use axum::http::HeaderMap;
use subtle::ConstantTimeEq;

use super::body::Form;
use super::session::Found;

/// The form field that carries the token.
pub const FIELD: &str = "csrf";

/// Whether `form` came from this screen, in this session.
pub fn valid(session: Option<&Found>, form: &Form, headers: &HeaderMap) -> bool {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    let (Some(session), Some(given)) = (session, form.get(FIELD)) else {
        return false;
    };
    !cross_site && bool::from(session.csrf.as_bytes().ct_eq(given.as_bytes()))
}
