//! The screen's sessions: kept in the server's memory, named by a random cookie
//! (`HttpOnly; Secure; SameSite=Strict`), held under the digest of that cookie. A session
//! ends at sign-out, after 30 minutes idle or 12 hours in all, and (checked on every
//! request, in `pages`) as soon as the credential that signed in can no longer do so, or
//! not from where the request comes.
//! Only a sign-in makes a session: a visitor who has not signed in has nothing here (the
//! sign-in form's CSRF token is stateless, [`super::csrf::SignIn`]), so no amount of
//! anonymous traffic can push a signed-in session out. Each user holds a few sessions at
//! most: beyond, that user's least recently used one ends, never another user's.

mod cookie;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};

use super::auth::Role;
use cookie::{cookie, key_of};
pub use cookie::{forget, named, random_token};

/// `__Host-`: a browser keeps it only if set over a secure origin, for the whole host,
/// without a `Domain`, so a sibling subdomain cannot plant or overwrite it.
pub const COOKIE: &str = "__Host-appw_session";
const IDLE: Duration = Duration::from_secs(30 * 60);
const TOTAL: Duration = Duration::from_secs(12 * 60 * 60);
/// How long a password issued on the screen waits for the page that shows it: the browser
/// asks for that page at once (the form's redirect), so what waits longer was never going
/// to be seen and is dropped (and wiped) rather than kept in memory.
const ISSUED_WAITS: Duration = Duration::from_secs(2 * 60);
/// How often sessions past their limits are swept out, with any password still waiting.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);
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

/// A password issued through the screen, waiting for the one page that shows it. The
/// password is wiped when this is dropped (`Token` is `Zeroizing`), taken or not.
pub struct Issued {
    pub password: crate::secret::Token,
    pub user: String,
    pub name: String,
}

/// An [`Issued`] and when it began to wait.
struct Waiting {
    issued: Issued,
    since: Instant,
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
    issued: Option<Waiting>,
    notice: Option<Notice>,
}

impl Session {
    fn live(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.seen) <= IDLE
            && now.saturating_duration_since(self.started) <= TOTAL
    }

    /// Drops a password that has waited too long (wiped as it drops).
    fn forget_stale(&mut self, now: Instant) {
        if self
            .issued
            .as_ref()
            .is_some_and(|w| now.saturating_duration_since(w.since) > ISSUED_WAITS)
        {
            self.issued = None;
        }
    }
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

/// What time it is, for the session limits: the monotonic clock, or a test's.
type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

pub struct Sessions {
    map: Mutex<HashMap<Key, Session>>,
    clock: Clock,
}

impl Default for Sessions {
    fn default() -> Sessions {
        Sessions::with_clock(Arc::new(Instant::now))
    }
}

impl Sessions {
    /// Sessions whose limits are measured by `clock`.
    pub(super) fn with_clock(clock: Clock) -> Sessions {
        Sessions {
            map: Mutex::new(HashMap::new()),
            clock,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Removes every session past its limits, and every password that waited too long.
    pub fn sweep(&self) {
        let now = (self.clock)();
        let mut map = self.lock();
        map.retain(|_, s| s.live(now));
        for s in map.values_mut() {
            s.forget_stale(now);
        }
    }

    /// The live session the request's cookie names; an expired one is removed.
    pub fn find(&self, headers: &HeaderMap) -> Option<Found> {
        let key = key_of(&cookie(headers)?);
        let now = (self.clock)();
        let mut map = self.lock();
        let session = map.get_mut(&key)?;
        if !session.live(now) {
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
        let now = (self.clock)();
        let mut map = self.lock();
        if let Some(old) = replaces {
            map.remove(old);
        }
        // A sign-in is rare (each verified an argon2 hash first): scanning here is cheap.
        map.retain(|_, s| s.live(now));
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
        let set = format!("{COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict");
        let value = HeaderValue::from_str(&set).expect("base64url is a valid header value");
        (value, Found { key, csrf, who })
    }

    /// Ends a session (sign-out, or its credential no longer signs in).
    pub fn end(&self, key: &Key) {
        let mut map = self.lock();
        map.remove(key);
    }

    /// Ends every session the credential `id` signed in (it was revoked or disabled here).
    pub fn end_credential(&self, id: &str) {
        let mut map = self.lock();
        map.retain(|_, s| s.who.credential != id);
    }

    pub fn put_issued(&self, key: &Key, issued: Issued) {
        let since = (self.clock)();
        if let Some(s) = self.lock().get_mut(key) {
            s.issued = Some(Waiting { issued, since });
        }
    }

    /// The password waiting to be shown, taken: it is shown once, and only while fresh.
    pub fn take_issued(&self, key: &Key) -> Option<Issued> {
        let now = (self.clock)();
        let mut map = self.lock();
        let s = map.get_mut(key)?;
        s.forget_stale(now);
        s.issued.take().map(|w| w.issued)
    }

    /// Holds an app's request (replacing any earlier one of this session).
    pub fn put_pending(&self, key: &Key, pending: Pending) {
        if let Some(s) = self.lock().get_mut(key) {
            s.pending = Some(pending);
        }
    }

    /// The app's request named by `state`, taken: a second use finds nothing.
    pub fn take_pending(&self, key: &Key, state: &str) -> Option<Pending> {
        use subtle::ConstantTimeEq;
        let mut map = self.lock();
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
        if let Some(s) = self.lock().get_mut(key) {
            s.notice = Some(Notice { text, error });
        }
    }

    pub fn take_notice(&self, key: &Key) -> Option<Notice> {
        let mut map = self.lock();
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
