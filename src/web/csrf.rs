//! Cross-site request forgery: every form that changes something carries its session's
//! token, compared in constant time; a request the browser marks as coming from another
//! origin (another site, or a sibling subdomain: [`super::origin`]) is refused too. Either
//! refusal is a 403 that changed nothing.
//!
//! The sign-in form has no session to hold its token: it is a double submit instead, a
//! random nonce in a `__Host-` cookie and, in the form, that nonce's HMAC under a key only
//! this process holds. The server keeps nothing per visitor.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use rand::RngExt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::body::Form;
use super::origin::from_elsewhere;
use super::session::{self, Found};

/// The form field that carries the token.
pub const FIELD: &str = "csrf";
/// The sign-in form's nonce cookie.
const NONCE: &str = "__Host-appw_sign_in";

/// Whether `form` came from this screen, in this session.
pub fn valid(session: Option<&Found>, form: &Form, headers: &HeaderMap) -> bool {
    let (Some(session), Some(given)) = (session, form.get(FIELD)) else {
        return false;
    };
    !from_elsewhere(headers, false) && bool::from(session.csrf.as_bytes().ct_eq(given.as_bytes()))
}

/// The sign-in form's stateless token.
pub struct SignIn {
    key: Zeroizing<[u8; 32]>,
}

impl SignIn {
    /// A fresh key from the OS-seeded CSPRNG (tokens die with the process).
    pub fn random() -> SignIn {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill(&mut key[..]);
        SignIn { key }
    }

    fn token(&self, nonce: &str) -> String {
        let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.key[..])
            .expect("HMAC takes a key of any length");
        mac.update(b"appw sign-in form\0");
        mac.update(nonce.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The token for the sign-in form, and the cookie to set when the request had no nonce.
    pub fn issue(&self, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
        match session::named(headers, NONCE) {
            Some(nonce) => (self.token(&nonce), None),
            None => {
                let nonce = session::random_token();
                let cookie = format!("{NONCE}={nonce}; Path=/; HttpOnly; Secure; SameSite=Strict");
                let value =
                    HeaderValue::from_str(&cookie).expect("base64url is a valid header value");
                (self.token(&nonce), Some(value))
            }
        }
    }

    /// Whether a sign-in `form` carries the token its nonce cookie calls for.
    pub fn valid(&self, form: &Form, headers: &HeaderMap) -> bool {
        let (Some(nonce), Some(given)) = (session::named(headers, NONCE), form.get(FIELD)) else {
            return false;
        };
        let expected = self.token(&nonce);
        !from_elsewhere(headers, false) && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
    }
}
