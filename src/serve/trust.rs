//! Who may tell appw the client's address (`--trusted-proxy`): networks of proxies that
//! connect over TCP, and for Unix sockets the peer's user or group as the kernel reports
//! it (`SO_PEERCRED`), which no client can forge. Nobody is trusted unless the admin says
//! so: any local account can connect to loopback, so trusting loopback by default would
//! let every one of them choose the address appw records, throttles and logs.

use std::ffi::CString;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::access;
use crate::error::Error;

/// The `--trusted-proxy` values, resolved.
#[derive(Debug, Default, Clone)]
pub struct Trust {
    pub networks: Vec<IpNet>,
    pub uids: Vec<u32>,
    pub gids: Vec<u32>,
    /// Values naming a user or group this host does not have, for the log.
    pub skipped: Vec<String>,
}

/// A Unix socket peer's credentials, from the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cred {
    pub uid: u32,
    pub gid: u32,
}

impl Trust {
    /// Reads `--trusted-proxy` values: a network or address (`127.0.0.1`, `10.0.0.0/8`), or
    /// `user:NAME`, `uid:N`, `group:NAME`, `gid:N` for Unix socket peers. A user or group
    /// that does not exist on this host is skipped with a warning (one packaged unit names
    /// both nginx's and Caddy's accounts), never taken for someone else.
    pub fn parse(values: &[String]) -> Result<Trust, Error> {
        let mut trust = Trust::default();
        for value in values {
            let text = value.trim();
            let bad = |why: &str| {
                Error::Usage(format!(
                    "--trusted-proxy {}: {why}",
                    crate::secret::redact::quoted(text)
                ))
            };
            if let Some((kind, who)) = text
                .split_once(':')
                .filter(|(k, _)| matches!(*k, "user" | "uid" | "group" | "gid"))
            {
                if who.is_empty() {
                    return Err(bad(&format!("{kind}: needs a name or number after it")));
                }
                let id =
                    match kind {
                        "uid" | "gid" => Some(who.parse::<u32>().map_err(|_| {
                            bad(&format!("{kind}: takes a number, such as {kind}:33"))
                        })?),
                        "user" => lookup_user(who).map_err(|why| bad(&why))?,
                        _ => lookup_group(who).map_err(|why| bad(&why))?,
                    };
                let list = if matches!(kind, "user" | "uid") {
                    &mut trust.uids
                } else {
                    &mut trust.gids
                };
                match id {
                    Some(id) if !list.contains(&id) => list.push(id),
                    Some(_) => {}
                    None => trust.skipped.push(format!(
                        "--trusted-proxy {text}: no such {kind} on this host; skipped"
                    )),
                }
                continue;
            }
            let net = access::network(text).map_err(|why| {
                Error::Usage(access::network_error("--trusted-proxy", text, &why))
            })?;
            if net.prefix_len() == 0 {
                return Err(bad(
                    "that trusts every address, so every client could choose the address \
                     recorded; name the proxies' own addresses",
                ));
            }
            if !trust.networks.contains(&net) {
                trust.networks.push(net);
            }
        }
        Ok(trust)
    }

    pub fn ip(&self, ip: &IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(ip))
    }

    pub fn local(&self, cred: Option<Cred>) -> bool {
        cred.is_some_and(|c| self.uids.contains(&c.uid) || self.gids.contains(&c.gid))
    }
}

/// A user name's uid; `Ok(None)` when there is no such user.
fn lookup_user(name: &str) -> Result<Option<u32>, String> {
    let c = CString::new(name).map_err(|_| "a user name has no NUL byte".to_string())?;
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: getpwnam_r writes only into `pwd` and `buf` (whose length it is given) and
    // sets `result` to null or to `pwd`.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwnam_r(
            c.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        );
        if rc != 0 {
            return Err(format!(
                "cannot look the user up: {}",
                std::io::Error::from_raw_os_error(rc)
            ));
        }
        Ok((!result.is_null()).then_some(pwd.pw_uid))
    }
}

/// A group name's gid; `Ok(None)` when there is no such group.
fn lookup_group(name: &str) -> Result<Option<u32>, String> {
    let c = CString::new(name).map_err(|_| "a group name has no NUL byte".to_string())?;
    let mut buf = vec![0u8; 64 * 1024];
    // SAFETY: as for getpwnam_r above.
    unsafe {
        let mut grp: libc::group = std::mem::zeroed();
        let mut result: *mut libc::group = std::ptr::null_mut();
        let rc = libc::getgrnam_r(
            c.as_ptr(),
            &mut grp,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        );
        if rc != 0 {
            return Err(format!(
                "cannot look the group up: {}",
                std::io::Error::from_raw_os_error(rc)
            ));
        }
        Ok((!result.is_null()).then_some(grp.gr_gid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&str]) -> Result<Trust, Error> {
        Trust::parse(&values.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn values_are_networks_users_or_groups() {
        let t = parse(&[
            "::ffff:127.0.0.1",
            "10.0.0.0/8",
            "uid:33",
            "gid:0",
            "user:root",
        ])
        .unwrap();
        assert_eq!(
            t.networks,
            [
                "127.0.0.1/32".parse::<IpNet>().unwrap(),
                "10.0.0.0/8".parse().unwrap()
            ]
        );
        assert!(t.ip(&"127.0.0.1".parse().unwrap()));
        assert!(!t.ip(&"127.0.0.2".parse().unwrap()));
        assert_eq!(t.uids, [33, 0]);
        assert!(t.local(Some(Cred { uid: 33, gid: 5 })));
        assert!(t.local(Some(Cred { uid: 7, gid: 0 })));
        assert!(!t.local(Some(Cred { uid: 7, gid: 7 })));
        assert!(!t.local(None));
        for bad in [
            "127.0.0.1/0",
            "0.0.0.0/0",
            "::/0",
            "10.1.2.3/8",
            "uid:www",
            "nobody",
        ] {
            assert!(parse(&[bad]).is_err(), "{bad}");
        }
        let t = parse(&["user:no-such-user-here"]).unwrap();
        assert!(t.uids.is_empty());
        assert_eq!(t.skipped.len(), 1);
        assert!(parse(&[]).unwrap().networks.is_empty(), "nobody by default");
    }
}
