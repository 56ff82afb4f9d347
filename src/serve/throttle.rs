//! Per-client throttling: a client (the address recorded as the source) that fails
//! `limit` times within a window gets 429 until the window ends, without any hashing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(60);

/// Clients tracked at most; beyond that, windows that ended are dropped, and if that is not
/// enough, an eighth of the table is evicted: those with the fewest failures, oldest first,
/// never one with an evaluation in flight. Starting over instead would let a client with
/// many addresses (an IPv6 /48 is 65,536 /64s) un-throttle everyone, itself included.
const MAX_CLIENTS: usize = 100_000;
const EVICT: usize = MAX_CLIENTS / 8;

pub struct Throttle {
    limit: u32,
    clients: Mutex<HashMap<String, Window>>,
}

struct Window {
    start: Instant,
    failures: u32,
    /// Admitted evaluations not settled yet.
    in_flight: u32,
}

/// Why an attempt was not let through to argon2.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Throttled: retry after this many seconds (429).
    Throttled(u64),
    /// Every failure left is reserved by evaluations in flight: retry in a second (503).
    Busy,
}

/// One argon2 evaluation let through for a client; see [`Throttle::admit`].
pub struct Admission<'a> {
    throttle: &'a Throttle,
    key: String,
    settled: bool,
}

impl Admission<'_> {
    /// The password was right (whatever else refused it): nothing is counted.
    pub fn right(mut self) {
        self.settled = true;
        self.throttle.settle(&self.key, false, Instant::now());
    }

    /// The password was wrong: a failure is counted; true when it throttles the client.
    pub fn failed(mut self) -> bool {
        self.settled = true;
        self.throttle.settle(&self.key, true, Instant::now())
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.throttle.settle(&self.key, true, Instant::now());
        }
    }
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

    /// Lets `client` have one argon2 evaluation, reserved against the limit until it is
    /// settled: failures counted plus evaluations in flight never pass the limit, so
    /// requests in flight at once cannot together get more evaluations than it. A client
    /// with failures left but all of them reserved is told to retry in a second (503), not
    /// throttled: a burst of right passwords from one proxy is slowed, never locked out.
    /// The [`Admission`] counts a failure unless it is settled as right, also when it is
    /// dropped unsettled (a full queue, a client gone mid-way).
    pub fn admit(&self, client: &str, now: Instant) -> Result<Admission<'_>, Refusal> {
        let key = key(client);
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let w = Self::window(&mut clients, &key, now);
        if w.failures >= self.limit {
            let left = WINDOW.saturating_sub(now.duration_since(w.start));
            return Err(Refusal::Throttled(left.as_secs().max(1)));
        }
        if w.failures + w.in_flight >= self.limit {
            return Err(Refusal::Busy);
        }
        w.in_flight += 1;
        Ok(Admission {
            throttle: self,
            key,
            settled: false,
        })
    }

    /// Ends an admission: one fewer in flight, and a failure counted if `failed`; true
    /// when that failure is the one that throttles the client.
    fn settle(&self, key: &str, failed: bool, now: Instant) -> bool {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let w = Self::window(&mut clients, key, now);
        w.in_flight = w.in_flight.saturating_sub(1);
        if failed {
            w.failures += 1;
        }
        failed && w.failures == self.limit
    }

    /// Counts a failure; true when it is the one that throttles the client.
    pub fn fail(&self, client: &str, now: Instant) -> bool {
        let key = key(client);
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let w = Self::window(&mut clients, &key, now);
        w.failures += 1;
        w.failures == self.limit
    }

    /// The client's window, begun anew when the last one ended (evaluations in flight
    /// carry over).
    fn window<'m>(
        clients: &'m mut HashMap<String, Window>,
        client: &str,
        now: Instant,
    ) -> &'m mut Window {
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(client) {
            clients.retain(|_, w| now.duration_since(w.start) < WINDOW);
            if clients.len() >= MAX_CLIENTS {
                Self::evict(clients);
            }
        }
        let w = clients.entry(client.to_string()).or_insert(Window {
            start: now,
            failures: 0,
            in_flight: 0,
        });
        if now.duration_since(w.start) >= WINDOW {
            w.start = now;
            w.failures = 0;
        }
        w
    }
}

impl Throttle {
    /// Drops [`EVICT`] windows of those least worth keeping: fewest failures, then oldest
    /// (so throttled clients go last, nearest the end of their window first); a window
    /// with an evaluation in flight is kept, or its reservation would be forgotten.
    fn evict(clients: &mut HashMap<String, Window>) {
        let mut candidates: Vec<(u32, Instant, &String)> = clients
            .iter()
            .filter(|(_, w)| w.in_flight == 0)
            .map(|(k, w)| (w.failures, w.start, k))
            .collect();
        let n = EVICT.min(candidates.len());
        if n == 0 {
            return;
        }
        if n < candidates.len() {
            candidates.select_nth_unstable(n);
        }
        let gone: Vec<String> = candidates[..n].iter().map(|c| c.2.clone()).collect();
        for key in gone {
            clients.remove(&key);
        }
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
    fn admissions_in_flight_never_pass_the_limit() {
        let t = Throttle::new(3);
        let now = Instant::now();
        let a = t.admit("c", now).unwrap();
        let b = t.admit("c", now).unwrap();
        let c = t.admit("c", now).unwrap();
        assert_eq!(
            t.admit("c", now).err(),
            Some(Refusal::Busy),
            "a fourth in flight waits"
        );
        a.right();
        let d = t.admit("c", now).unwrap();
        assert!(!b.failed());
        drop(c);
        assert!(
            d.failed(),
            "a dropped admission counted, and this one throttles"
        );
        assert_eq!(t.admit("c", now).err(), Some(Refusal::Throttled(60)));
        assert!(t.retry_after("c", now).is_some());
        assert!(t.admit("other", now).is_ok(), "per client");
    }

    #[test]
    fn a_full_table_keeps_throttled_clients_and_reservations() {
        let t = Throttle::new(3);
        let now = Instant::now();
        for _ in 0..3 {
            t.fail("2001:db8:1::1", now);
        }
        let held = [t.admit("b", now).unwrap(), t.admit("b", now).unwrap()];
        // Twice the table's size of other /64s (an IPv6 /47), one failure each.
        for n in 0..2 * MAX_CLIENTS as u32 {
            t.fail(
                &format!("2001:db8:{:x}:{:x}::1", 2 + n / 65_536, n % 65_536),
                now,
            );
        }
        assert!(t.clients.lock().unwrap().len() <= MAX_CLIENTS);
        assert_eq!(
            t.retry_after("2001:db8:1::2", now),
            Some(60),
            "the throttled client is still throttled"
        );
        assert!(t.admit("b", now).is_ok(), "two of three were in flight");
        assert_eq!(
            t.admit("b", now).err(),
            Some(Refusal::Busy),
            "the reservations in flight were kept"
        );
        drop(held);
    }
}
