//! Least privilege per credential: what it may be used for (scopes) and from where
//! (networks). A leaf: values are checked here, stored as text by the store, and applied by
//! the verification decision (`auth`).

use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::Error;

/// Longest scope.
pub const MAX_SCOPE: usize = 64;

/// Whether `s` is a scope: 1 to 64 characters of `A-Z a-z 0-9 . _ : / -`.
pub fn is_scope(s: &str) -> bool {
    (1..=MAX_SCOPE).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(&b))
}

/// Checks scopes (the `scopes` field): each valid, duplicates dropped, order kept.
pub fn scopes(raw: &[String]) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for s in raw {
        let s = s.trim();
        if !is_scope(s) {
            return Err(Error::invalid(
                "scopes",
                format!(
                    "invalid scope {}: 1 to {MAX_SCOPE} characters of A-Z a-z 0-9 . _ : / -",
                    crate::secret::redact::quoted(s)
                ),
            ));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// A network (`10.0.0.0/8`, `2001:db8::/32`) or a bare address meaning that one host.
pub fn network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Checks networks (the `allow_from` field), kept as written (trimmed; duplicates dropped).
/// The error begins with the field's name, for a front to put its own there.
pub fn networks(raw: &[String]) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for n in raw {
        let n = n.trim();
        if network(n).is_none() {
            return Err(Error::invalid(
                "allow_from",
                format!(
                    "allow_from {}: expected a network such as 10.0.0.0/8 or 2001:db8::/32, or an \
                 address",
                    crate::secret::redact::quoted(n)
                ),
            ));
        }
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    Ok(out)
}

/// Whether `source` is an IP address inside one of `allowed` (as stored). A source that is
/// not an address, or none, never is; an entry that does not parse (a store written by
/// hand) allows nothing.
pub fn allows(allowed: &[String], source: Option<&str>) -> bool {
    let Some(ip) = source.and_then(|s| s.trim().parse::<IpAddr>().ok()) else {
        return false;
    };
    let ip = ip.to_canonical();
    allowed
        .iter()
        .filter_map(|n| network(n))
        .any(|n| n.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scopes_are_checked_and_deduplicated() {
        assert_eq!(
            scopes(&v(&["deploy", "api:read", "deploy"])).unwrap(),
            v(&["deploy", "api:read"])
        );
        for bad in ["", "has space", "ü", &"x".repeat(65), "a;b"] {
            assert!(scopes(&v(&[bad])).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn networks_v4_v6_hosts_and_what_never_passes() {
        let allowed = v(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]);
        assert!(allows(&allowed, Some("10.1.2.3")));
        assert!(allows(&allowed, Some("2001:db8::1")));
        assert!(allows(&allowed, Some("192.0.2.7")));
        assert!(allows(&allowed, Some("::ffff:10.0.0.1")), "IPv4-mapped");
        assert!(!allows(&allowed, Some("192.0.2.8")));
        assert!(!allows(&allowed, Some("ci-runner-1")), "not an address");
        assert!(!allows(&allowed, None));
        assert!(networks(&v(&["10.0.0.0/33"])).is_err());
        assert!(networks(&v(&["example.com"])).is_err());
        assert_eq!(networks(&v(&[" ::1 "])).unwrap(), v(&["::1"]));
    }
}
