//! The screen's sessions: kept in the server's memory, named by a random cookie
//! (`HttpOnly; Secure; SameSite=Strict`), held under the digest of that cookie. A session
//! ends at sign-out, after 30 minutes idle or 12 hours in all, and (checked on every
//! request, in `pages`) as soon as the credential that signed in can no longer do so.
//! Only a sign-in makes a session: a visitor who has not signed in has nothing here (the
//! sign-in form's CSRF token is stateless, [`super::csrf::SignIn`]), so no amount of
//! anonymous traffic can push a signed-in session out. Each user holds a few sessions at
//! most: beyond, that user's least recently used one ends, never another user's.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::auth::Role;

/// `__Host-`: a browser keeps it only if set over a secure origin, for the whole host,
/// without a `Domain`, so a sibling subdomain cannot plant or overwrite it.
pub const COOKIE: &str = "__Host-appw_session";
const IDLE: Duration = Duration::from_secs(30 * 60);
const TOTAL: Duration = Duration::from_secs(12 * 60 * 60);
/// Sessions held at most; beyond, the least recently used goes (it takes this many users,
/// each at their own limit, to get there).
const MAX_SESSIONS: usize = 10_000;
/// Sessions one user holds at most; beyond, that user's least recently used one goes.
const PER_USER: usize = 32;

/// Who signed a session in.
#[derive(Clone)]
pub struct Who {
    pub credential: String,
    pub user: String,
    pub role: Role,
}

/// A password issued through the screen, waiting for the one page that shows it.
pub struct Issued {
    pub password: crate::secret::Token,
    pub user: String,
    pub name: String,
}

/// A line the next page shows (what the last form did, or why it did not).
#[derive(Clone)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// An app's request for a credential (`/authorize`), held until approved or rejected,
/// named by a single-use state.
pub struct Pending {
    pub state: String,
    pub name: String,
    pub app_id: String,
    pub success: url::Url,
    pub reject: Option<url::Url>,
}

struct Session {
    csrf: String,
    pending: Option<Pending>,
    who: Who,
    started: Instant,
    seen: Instant,
    issued: Option<Issued>,
    notice: Option<Notice>,
}

/// A request's session, as found.
pub struct Found {
    pub key: Key,
    pub csrf: String,
    pub who: Who,
}

/// The digest a session is held under.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Key([u8; 32]);

#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<Key, Session>>,
}

impl Sessions {
    /// The live session the request's cookie names; an expired one is removed.
    pub fn find(&self, headers: &HeaderMap) -> Option<Found> {
        let key = key_of(&cookie(headers)?);
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let session = map.get_mut(&key)?;
        let now = Instant::now();
        if now.duration_since(session.seen) > IDLE || now.duration_since(session.started) > TOTAL {
            map.remove(&key);
            return None;
        }
        session.seen = now;
        Some(Found {
            key,
            csrf: session.csrf.clone(),
            who: session.who.clone(),
        })
    }

    /// A new signed-in session; `replaces` ends the old one, so a cookie from before
    /// sign-in is worth nothing after it. Returns the Set-Cookie value and the session as
    /// found.
    pub fn begin(&self, who: Who, replaces: Option<&Key>) -> (HeaderValue, Found) {
        let token = random_token();
        let key = key_of(&token);
        let csrf = random_token();
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = replaces {
            map.remove(old);
        }
        let live = |s: &Session| {
            now.duration_since(s.seen) <= IDLE && now.duration_since(s.started) <= TOTAL
        };
        // A sign-in is rare (each verified an argon2 hash first): scanning here is cheap.
        map.retain(|_, s| live(s));
        let mine = map.values().filter(|s| s.who.user == who.user).count();
        if mine >= PER_USER {
            drop_oldest(&mut map, |s| s.who.user == who.user);
        }
        if map.len() >= MAX_SESSIONS {
            drop_oldest(&mut map, |_| true);
        }
        map.insert(
            key.clone(),
            Session {
                csrf: csrf.clone(),
                pending: None,
                who: who.clone(),
                started: now,
                seen: now,
                issued: None,
                notice: None,
            },
        );
        let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict");
        let value = HeaderValue::from_str(&cookie).expect("base64url is a valid header value");
        (value, Found { key, csrf, who })
    }

    /// Ends a session (sign-out, or its credential no longer signs in).
    pub fn end(&self, key: &Key) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }

    /// Ends every session the credential `id` signed in (it was revoked or disabled here).
    pub fn end_credential(&self, id: &str) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| s.who.credential != id);
    }

    pub fn put_issued(&self, key: &Key, issued: Issued) {
        if let Some(s) = self
            .map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(key)
        {
            s.issued = Some(issued);
        }
    }

    /// The password waiting to be shown, taken: it is shown once.
    pub fn take_issued(&self, key: &Key) -> Option<Issued> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get_mut(key).and_then(|s| s.issued.take())
    }

    /// Holds an app's request (replacing any earlier one of this session).
    pub fn put_pending(&self, key: &Key, pending: Pending) {
        if let Some(s) = self
            .map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(key)
        {
            s.pending = Some(pending);
        }
    }

    /// The app's request named by `state`, taken: a second use finds nothing.
    pub fn take_pending(&self, key: &Key, state: &str) -> Option<Pending> {
        use subtle::ConstantTimeEq;
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let session = map.get_mut(key)?;
        let matches = session
            .pending
            .as_ref()
            .is_some_and(|p| bool::from(p.state.as_bytes().ct_eq(state.as_bytes())));
        if matches {
            session.pending.take()
        } else {
            None
        }
    }

    pub fn put_notice(&self, key: &Key, text: String, error: bool) {
        if let Some(s) = self
            .map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(key)
        {
            s.notice = Some(Notice { text, error });
        }
    }

    pub fn take_notice(&self, key: &Key) -> Option<Notice> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get_mut(key).and_then(|s| s.notice.take())
    }
}

/// Removes the least recently used session of those `which` picks.
fn drop_oldest(map: &mut HashMap<Key, Session>, which: impl Fn(&Session) -> bool) {
    let oldest = map
        .iter()
        .filter(|(_, s)| which(s))
        .min_by_key(|(_, s)| s.seen)
        .map(|(k, _)| k.clone());
    if let Some(k) = oldest {
        map.remove(&k);
    }
}

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

fn key_of(token: &str) -> Key {
    Key(Sha256::digest(token.as_bytes()).into())
}

/// The session cookie's value, if the request has exactly one that looks like ours.
fn cookie(headers: &HeaderMap) -> Option<String> {
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
