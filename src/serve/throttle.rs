//! Per-client throttling: a client (the address recorded as the source) that fails
//! `limit` times within a window gets 429 until the window ends, without any hashing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(60);

/// Clients tracked at most; beyond that, windows that ended are dropped, and if that is not
/// enough the table starts over (throttling is a defence of the CPU, never of access).
const MAX_CLIENTS: usize = 100_000;

pub struct Throttle {
    limit: u32,
    clients: Mutex<HashMap<String, Window>>,
}

struct Window {
    start: Instant,
    failures: u32,
}

impl Throttle {
    pub fn new(limit: u32) -> Throttle {
        Throttle {
            limit: limit.max(1),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `client` may try again, if it is throttled now.
    pub fn retry_after(&self, client: &str, now: Instant) -> Option<u64> {
        let clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let w = clients.get(&key(client))?;
        let left = WINDOW
            .checked_sub(now.duration_since(w.start))
            .filter(|left| !left.is_zero())?;
        (w.failures >= self.limit).then(|| left.as_secs().max(1))
    }

    /// Lets `client` have one argon2 evaluation, counted as a failure from now on (so
    /// requests in flight at once cannot together get past the limit, and one answered 503
    /// for a full queue counts too), or says how many seconds it must wait. `Ok(true)` when
    /// this attempt is the one that reaches the limit. [`Throttle::refund`] takes the count
    /// back when the password turns out right.
    pub fn admit(&self, client: &str, now: Instant) -> Result<bool, u64> {
        if let Some(retry) = self.retry_after(client, now) {
            return Err(retry);
        }
        // Between the check and the count another request may have counted: the count
        // decides, under the lock.
        let (failures, start) = self.count(client, now, 1);
        if failures > self.limit {
            self.count(client, now, -1);
            let left = WINDOW.saturating_sub(now.duration_since(start));
            return Err(left.as_secs().max(1));
        }
        Ok(failures == self.limit)
    }

    /// Takes back the failure [`Throttle::admit`] counted, for a password that was right.
    pub fn refund(&self, client: &str, now: Instant) {
        self.count(client, now, -1);
    }

    /// Counts a failure; true when it is the one that throttles the client.
    pub fn fail(&self, client: &str, now: Instant) -> bool {
        self.count(client, now, 1).0 == self.limit
    }

    /// Adds `delta` to the client's failures in the current window; the count and the
    /// window's start after it.
    fn count(&self, client: &str, now: Instant, delta: i32) -> (u32, Instant) {
        let client = key(client);
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&client) {
            clients.retain(|_, w| now.duration_since(w.start) < WINDOW);
            if clients.len() >= MAX_CLIENTS {
                clients.clear();
            }
        }
        let w = clients.entry(client).or_insert(Window {
            start: now,
            failures: 0,
        });
        if now.duration_since(w.start) >= WINDOW {
            *w = Window {
                start: now,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add_signed(delta);
        (w.failures, w.start)
    }
}

/// What failures are counted against: the address, or for IPv6 its /64 (one host usually
/// has a whole /64 to pick addresses from).
pub fn key(client: &str) -> String {
    match client.parse::<std::net::Ipv6Addr>() {
        Ok(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Err(_) => client.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_after_the_limit_until_the_window_ends() {
        let t = Throttle::new(3);
        let start = Instant::now();
        assert!(!t.fail("a", start));
        assert!(!t.fail("a", start));
        assert_eq!(t.retry_after("a", start), None);
        assert!(t.fail("a", start), "the third failure throttles");
        assert_eq!(t.retry_after("a", start), Some(60));
        assert_eq!(t.retry_after("b", start), None, "other clients are not");
        let later = start + WINDOW;
        assert_eq!(t.retry_after("a", later), None, "the window ended");
        assert!(!t.fail("a", later), "and counting starts over");
        for n in 1..=3 {
            t.fail(&format!("2001:db8::{n}"), start);
        }
        assert!(
            t.retry_after("2001:db8::ffff", start).is_some(),
            "IPv6 counts per /64"
        );
    }

    #[test]
    fn admission_counts_before_the_answer() {
        let t = Throttle::new(3);
        let now = Instant::now();
        assert_eq!(t.admit("c", now), Ok(false));
        assert_eq!(t.admit("c", now), Ok(false));
        assert_eq!(t.admit("c", now), Ok(true), "the third reaches the limit");
        assert_eq!(
            t.admit("c", now),
            Err(60),
            "a fourth in flight is not let in"
        );
        t.refund("c", now);
        assert_eq!(
            t.retry_after("c", now),
            None,
            "a right password took its count back"
        );
        assert_eq!(t.admit("c", now), Ok(true));
        assert!(t.admit("c", now).is_err());
    }
}
