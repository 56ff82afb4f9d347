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

    /// Counts a failure; true when it is the one that throttles the client.
    pub fn fail(&self, client: &str, now: Instant) -> bool {
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
        w.failures += 1;
        w.failures == self.limit
    }
}

/// What failures are counted against: the address, or for IPv6 its /64 (one host usually
/// has a whole /64 to pick addresses from).
fn key(client: &str) -> String {
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
}
