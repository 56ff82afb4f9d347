//! The session limits, measured by a clock the test moves (no sleeping).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};

use super::{Found, Issued, Sessions, Who};
use crate::web::auth::Role;

/// Sessions on a clock that moves only when the test says so.
struct Clocked {
    sessions: Sessions,
    elapsed: Arc<AtomicU64>,
}

impl Clocked {
    fn new() -> Clocked {
        let start = Instant::now();
        let elapsed = Arc::new(AtomicU64::new(0));
        let seconds = elapsed.clone();
        let clock = Arc::new(move || start + Duration::from_secs(seconds.load(Ordering::SeqCst)));
        Clocked {
            sessions: Sessions::with_clock(clock),
            elapsed,
        }
    }

    fn pass(&self, minutes: u64) {
        self.elapsed.fetch_add(minutes * 60, Ordering::SeqCst);
    }

    /// A signed-in session, and the Cookie header its browser sends.
    fn sign_in(&self, user: &str) -> (Found, HeaderMap) {
        let who = Who {
            credential: format!("{user}-credential"),
            user: user.into(),
            role: Role::Own,
        };
        let (set, found) = self.sessions.begin(who, None);
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&pair).unwrap());
        (found, headers)
    }

    fn held(&self) -> usize {
        self.sessions.lock().len()
    }
}

fn issued() -> Issued {
    Issued {
        password: crate::secret::Token::generate(),
        user: "alice".into(),
        name: "laptop".into(),
    }
}

#[test]
fn a_session_ends_after_thirty_minutes_idle() {
    let c = Clocked::new();
    let (_, cookie) = c.sign_in("alice");
    c.pass(29);
    assert!(c.sessions.find(&cookie).is_some(), "used within 30 minutes");
    c.pass(29);
    assert!(
        c.sessions.find(&cookie).is_some(),
        "each use restarts the idle time"
    );
    c.pass(31);
    assert!(c.sessions.find(&cookie).is_none(), "31 minutes idle");
    assert_eq!(c.held(), 0, "and it is gone");
}

#[test]
fn a_session_ends_after_twelve_hours_however_busy() {
    let c = Clocked::new();
    let (_, cookie) = c.sign_in("alice");
    for _ in 0..(12 * 60 / 20) {
        c.pass(20);
        assert!(c.sessions.find(&cookie).is_some());
    }
    c.pass(1);
    assert!(c.sessions.find(&cookie).is_none(), "past 12 hours in all");
}

#[test]
fn a_new_password_waits_two_minutes_at_most() {
    let c = Clocked::new();
    let (found, _) = c.sign_in("alice");
    c.sessions.put_issued(&found.key, issued());
    c.pass(1);
    assert!(
        c.sessions.take_issued(&found.key).is_some(),
        "shown in time"
    );
    assert!(c.sessions.take_issued(&found.key).is_none(), "and once");

    c.sessions.put_issued(&found.key, issued());
    c.pass(3);
    assert!(c.sessions.take_issued(&found.key).is_none(), "too late");
}

#[test]
fn the_sweep_removes_ended_sessions_and_passwords_nobody_came_for() {
    let c = Clocked::new();
    let (idle, _) = c.sign_in("alice");
    c.sessions.put_issued(&idle.key, issued());
    c.pass(20);
    let (busy, busy_cookie) = c.sign_in("bob");
    c.sessions.put_issued(&busy.key, issued());
    c.pass(3);
    c.sessions.sweep();
    assert_eq!(c.held(), 2, "neither session has ended");
    assert!(
        c.sessions.lock().values().all(|s| s.issued.is_none()),
        "both passwords waited too long and were dropped"
    );
    c.pass(10);
    assert!(c.sessions.find(&busy_cookie).is_some());
    c.sessions.sweep();
    assert_eq!(c.held(), 1, "alice's session was idle for 33 minutes");
}
