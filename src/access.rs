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

/// The one reading of a network as written, for every option that takes one
/// (`--allow-from`, `--trusted-proxy`): `ADDR/PREFIX` or a bare address meaning that one
/// host. An IPv4-mapped IPv6 value (`::ffff:10.0.0.0/104`, `::ffff:127.0.0.1`) is the IPv4
/// network it maps, since clients are compared as IPv4 addresses too. Refused, never
/// guessed at: host bits set (`10.1.2.3/8`, `127.0.0.1/0`: which was meant, the host or
/// the network?), a prefix with a sign or leading zeros, a mapped prefix shorter than /96,
/// and anything the standard parsers refuse (octets with leading zeros among them).
pub fn network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (text, None),
    };
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| format!("{addr} is not an IP address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match prefix {
        None => max,
        Some(p) if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(format!("/{p} is not a prefix length"));
        }
        Some(p) if p.len() > 1 && p.starts_with('0') => {
            return Err(format!(
                "/{p}: write the prefix length without leading zeros"
            ));
        }
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|&l| l <= max)
            .ok_or_else(|| format!("/{p} is longer than {max} bits"))?,
    };
    let (ip, len) = match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) if len >= 96 => (IpAddr::V4(v4), len - 96),
            Some(_) => {
                return Err(format!(
                    "{text} reaches beyond the IPv4-mapped addresses (::ffff:0:0/96); write \
                     the IPv4 network itself"
                ));
            }
            None => (ip, len),
        },
        IpAddr::V4(_) => (ip, len),
    };
    let net = IpNet::new(ip, len).map_err(|e| e.to_string())?;
    if net.trunc() != net {
        return Err(format!(
            "{text} has host bits set: write {} for the network, or {} for the one host",
            net.trunc(),
            ip
        ));
    }
    Ok(net)
}

/// A network as [`network`] reads it, in the form appw stores and shows: `10.0.0.0/8`, or a
/// bare address for one host (`192.0.2.7`, `2001:db8::1`); IPv4-mapped values as IPv4.
pub fn network_text(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// A network value refused: one line naming the option, the value and why.
pub fn network_error(option: &str, text: &str, why: &str) -> String {
    format!(
        "{option} {}: {}; expected a network such as 10.0.0.0/8 or 2001:db8::/32, or an \
         address",
        crate::secret::redact::quoted(text.trim()),
        crate::secret::redact::redact(why)
    )
}

/// Checks networks (the `allow_from` field), normalised as [`network_text`] shows them
/// (duplicates dropped, order kept). The error begins with the field's name, for a front
/// to put its own there.
pub fn networks(raw: &[String]) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for n in raw {
        let net = network(n)
            .map_err(|why| Error::invalid("allow_from", network_error("allow_from", n, &why)))?;
        let n = network_text(&net);
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

/// A network as stored: read by [`network`] where it can be; an older store may hold what
/// earlier builds let through (host bits set, an IPv4-mapped value), which is read as the
/// network it names. What does not parse at all allows nothing.
fn stored_network(text: &str) -> Option<IpNet> {
    network(text).ok().or_else(|| {
        let text = text.trim();
        let net = text
            .parse::<IpNet>()
            .ok()
            .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))?;
        let mapped = match net {
            IpNet::V6(v6) if v6.prefix_len() >= 96 => v6
                .addr()
                .to_ipv4_mapped()
                .and_then(|v4| IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).ok()),
            _ => None,
        };
        Some(mapped.unwrap_or(net).trunc())
    })
}

/// Whether `source` is an IP address inside one of `allowed` (as stored). A source that is
/// not an address, or none, never is; an entry that does not parse (a store written by
/// hand) allows nothing. An IPv4-mapped source is its IPv4 address.
pub fn allows(allowed: &[String], source: Option<&str>) -> bool {
    let Some(ip) = source.and_then(|s| s.trim().parse::<IpAddr>().ok()) else {
        return false;
    };
    let ip = ip.to_canonical();
    allowed
        .iter()
        .filter_map(|n| stored_network(n))
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
        assert!(
            allows(
                &v(&["10.1.2.3/8", "::ffff:192.0.2.0/120"]),
                Some("192.0.2.9")
            ),
            "what older builds stored is read as the network it names"
        );
        assert!(allows(&v(&["10.1.2.3/8"]), Some("10.9.9.9")));
        assert!(networks(&v(&["example.com"])).is_err());
        assert_eq!(networks(&v(&[" ::1 "])).unwrap(), v(&["::1"]));
    }
}

#[cfg(test)]
mod network_tests {
    use super::*;

    fn one(text: &str) -> Result<String, String> {
        network(text).map(|n| network_text(&n))
    }

    #[test]
    fn one_rule_for_every_network_written() {
        for (text, meant) in [
            ("10.0.0.0/8", "10.0.0.0/8"),
            (" 192.0.2.7 ", "192.0.2.7"),
            ("192.0.2.7/32", "192.0.2.7"),
            ("2001:db8::/32", "2001:db8::/32"),
            ("::1", "::1"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("::ffff:127.0.0.1", "127.0.0.1"),
            ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
            ("::FFFF:192.0.2.0/120", "192.0.2.0/24"),
        ] {
            assert_eq!(one(text).as_deref(), Ok(meant), "{text}");
        }
        for bad in [
            "127.0.0.1/0",
            "10.1.2.3/8",
            "2001:db8::1/32",
            "010.0.0.1",
            "10.0.0.01",
            "10.0.0.0/08",
            "10.0.0.0/+8",
            "10.0.0.0/",
            "10.0.0.0/33",
            "::ffff:10.0.0.0/8",
            "10.0.0.0/8/8",
            "example.com",
            "",
        ] {
            assert!(one(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(
            one("127.0.0.1/0").unwrap_err().contains("127.0.0.1"),
            "the message says what to write instead"
        );
    }

    #[test]
    fn mapped_clients_match_ipv4_networks() {
        let allowed = networks(&["::ffff:10.0.0.0/104".to_string()]).unwrap();
        assert_eq!(allowed, ["10.0.0.0/8"]);
        assert!(allows(&allowed, Some("::ffff:10.1.2.3")));
        assert!(allows(&allowed, Some("10.1.2.3")));
        assert!(!allows(&allowed, Some("11.0.0.1")));
    }
}
