//! The cookies of the screen: the session's, named by a random token and held under that
//! token's digest, and how a request's cookie is read.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{COOKIE, Key};

/// The Set-Cookie value that makes a browser forget its session cookie.
pub fn forget() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-appw_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
    )
}

/// 32 bytes from the OS-seeded CSPRNG, base64url.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(super) fn key_of(token: &str) -> Key {
    Key(Sha256::digest(token.as_bytes()).into())
}

/// The session cookie's value, if the request has exactly one that looks like ours.
pub(super) fn cookie(headers: &HeaderMap) -> Option<String> {
    named(headers, COOKIE)
}

/// The value of cookie `name`, if the request has exactly one, of a random token's length.
pub fn named(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut found = None;
    for value in headers.get_all(header::COOKIE) {
        for pair in value.to_str().ok()?.split(';') {
            if let Some(v) = pair
                .trim()
                .strip_prefix(name)
                .and_then(|v| v.strip_prefix('='))
            {
                if found.is_some() || v.len() != 43 {
                    return None;
                }
                found = Some(v.to_string());
            }
        }
    }
    found
}
