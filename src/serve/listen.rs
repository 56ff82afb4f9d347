//! Where the server listens (TCP, Unix sockets, or the sockets systemd hands over) and who
//! the client is.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::FromRawFd;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::PathBuf;

use hyper::HeaderMap;

use super::trust::{Cred, Trust};
use crate::error::Error;

pub enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

impl Listener {
    pub fn describe(&self) -> String {
        match self {
            Listener::Tcp(l) => l
                .local_addr()
                .map_or_else(|_| "tcp".into(), |a| a.to_string()),
            Listener::Unix(l) => l
                .local_addr()
                .ok()
                .and_then(|a| a.as_pathname().map(|p| format!("unix:{}", p.display())))
                .unwrap_or_else(|| "unix".into()),
        }
    }
}

impl Listener {
    /// The socket itself, out of the runtime it was registered with, to be copied and
    /// registered with others.
    pub fn into_std(self) -> std::io::Result<Socket> {
        match self {
            Listener::Tcp(l) => l.into_std().map(Socket::Tcp),
            Listener::Unix(l) => l.into_std().map(Socket::Unix),
        }
    }
}

/// A listening socket outside any runtime (non-blocking, as it was registered).
pub enum Socket {
    Tcp(std::net::TcpListener),
    Unix(std::os::unix::net::UnixListener),
}

impl Socket {
    /// Another descriptor of the same socket.
    pub fn try_clone(&self) -> std::io::Result<Socket> {
        match self {
            Socket::Tcp(l) => l.try_clone().map(Socket::Tcp),
            Socket::Unix(l) => l.try_clone().map(Socket::Unix),
        }
    }

    /// Registered with the current runtime.
    pub fn into_listener(self) -> std::io::Result<Listener> {
        match self {
            Socket::Tcp(l) => tokio::net::TcpListener::from_std(l).map(Listener::Tcp),
            Socket::Unix(l) => tokio::net::UnixListener::from_std(l).map(Listener::Unix),
        }
    }
}

/// What `--listen` says, checked before anything is bound.
pub enum Address {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

pub fn parse(addr: &str) -> Result<Address, Error> {
    if let Some(path) = addr.strip_prefix("unix:") {
        if path.is_empty() {
            return Err(Error::Usage("--listen unix: needs a path".into()));
        }
        return Ok(Address::Unix(PathBuf::from(path)));
    }
    addr.parse().map(Address::Tcp).map_err(|_| {
        Error::Usage(format!(
            "--listen {}: expected HOST:PORT ([IPv6]:PORT) or unix:PATH",
            crate::secret::redact::quoted(addr)
        ))
    })
}

/// The sockets systemd passed (socket activation), else binds `addresses`. Must run inside
/// the runtime.
pub fn bind(addresses: &[Address]) -> Result<Vec<Listener>, Error> {
    let inherited = inherited()?;
    if !inherited.is_empty() {
        return Ok(inherited);
    }
    addresses.iter().map(bind_one).collect()
}

pub(super) fn bind_one(address: &Address) -> Result<Listener, Error> {
    let failed =
        |what: &str, e: std::io::Error| Error::Start(format!("cannot listen on {what}: {e}"));
    match address {
        Address::Tcp(addr) => {
            let std =
                std::net::TcpListener::bind(addr).map_err(|e| failed(&addr.to_string(), e))?;
            std.set_nonblocking(true)
                .map_err(|e| failed(&addr.to_string(), e))?;
            tokio::net::TcpListener::from_std(std)
                .map(Listener::Tcp)
                .map_err(|e| failed(&addr.to_string(), e))
        }
        Address::Unix(path) => {
            let shown = format!("unix:{}", path.display());
            // A socket left by an earlier run is replaced; any other file is not ours.
            if let Ok(meta) = std::fs::symlink_metadata(path) {
                if !meta.file_type().is_socket() {
                    return Err(Error::Start(format!(
                        "cannot listen on {shown}: a file that is not a socket is in the way"
                    )));
                }
                let _ = std::fs::remove_file(path);
            }
            let listener = tokio::net::UnixListener::bind(path).map_err(|e| failed(&shown, e))?;
            // The web server connecting is usually another user in the socket's group.
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
                .map_err(|e| failed(&shown, e))?;
            Ok(Listener::Unix(listener))
        }
    }
}

/// Listening sockets passed by systemd (`LISTEN_FDS`, for this process's `LISTEN_PID`).
fn inherited() -> Result<Vec<Listener>, Error> {
    let fds = sd_notify::listen_fds()
        .map_err(|e| Error::Start(format!("cannot use the sockets systemd passed: {e}")))?;
    let mut listeners = Vec::new();
    for fd in fds {
        // SAFETY: systemd passes these descriptors to this process to own (LISTEN_PID was
        // checked by listen_fds, which also unset the variables so no child inherits them).
        let socket = unsafe { socket2::Socket::from_raw_fd(fd) };
        let local = socket
            .local_addr()
            .map_err(|e| Error::Start(format!("passed socket {fd}: {e}")))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| Error::Start(format!("passed socket {fd}: {e}")))?;
        let listener = if local.is_unix() {
            tokio::net::UnixListener::from_std(socket.into()).map(Listener::Unix)
        } else {
            tokio::net::TcpListener::from_std(socket.into()).map(Listener::Tcp)
        };
        listeners.push(listener.map_err(|e| Error::Start(format!("passed socket {fd}: {e}")))?);
    }
    Ok(listeners)
}

/// The other end of a connection.
#[derive(Debug, Clone, Copy)]
pub enum Peer {
    Ip(IpAddr),
    /// A Unix socket, with the peer's user and group as the kernel knows them (`None`
    /// when it could not say, which trusts nobody).
    Local(Option<Cred>),
}

impl Peer {
    /// A Unix socket's peer, by `SO_PEERCRED`.
    pub fn unix(stream: &tokio::net::UnixStream) -> Peer {
        Peer::Local(stream.peer_cred().ok().map(|c| Cred {
            uid: c.uid(),
            gid: c.gid(),
        }))
    }
}

/// The client's address, recorded as the source: the peer's, or when the peer is a trusted
/// proxy (by its address, or on a Unix socket by its user or group), what the proxies say. `X-Forwarded-For` (every line of it) is
/// read from the right, past the trusted proxies that appended to it, and the first hop not
/// trusted is the client; an entry that is not an address there makes the client
/// `unknown` (which no network allows), never the peer. Only without `X-Forwarded-For` is
/// `X-Real-IP` believed: a proxy that appends to the former may pass the client's own
/// copy of the latter. Always an IP address, `unknown` or `local`, so nothing a client
/// invents reaches the log or the store.
pub fn client(peer: Peer, headers: &HeaderMap, trusted: &Trust) -> String {
    let is_trusted = |ip: &IpAddr| trusted.ip(ip);
    let (peer_ip, peer_trusted) = match peer {
        Peer::Ip(ip) => (Some(ip.to_canonical()), trusted.ip(&ip.to_canonical())),
        Peer::Local(cred) => (None, trusted.local(cred)),
    };
    if peer_trusted {
        let values = |name: &str| -> Option<Vec<String>> {
            let all: Vec<String> = headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().map(str::to_string).unwrap_or_default())
                .collect();
            (!all.is_empty()).then_some(all)
        };
        if let Some(lines) = values("x-forwarded-for") {
            let hops = lines.iter().flat_map(|l| l.split(',')).map(str::trim);
            for hop in hops.collect::<Vec<_>>().into_iter().rev() {
                match hop.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
                    Ok(ip) if is_trusted(&ip) => continue,
                    Ok(ip) => return ip.to_string(),
                    Err(_) => return "unknown".to_string(),
                }
            }
            // Every hop a trusted proxy: the first of them is the client.
        } else if let Some(lines) = values("x-real-ip") {
            return match lines.as_slice() {
                [one] => one.trim().parse::<IpAddr>().map_or_else(
                    |_| "unknown".to_string(),
                    |ip| ip.to_canonical().to_string(),
                ),
                _ => "unknown".to_string(),
            };
        }
    }
    peer_ip.map_or_else(|| "local".to_string(), |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn proxies_are_believed_only_when_trusted() {
        let trusted = Trust {
            networks: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
            uids: vec![33],
            gids: vec![],
            skipped: vec![],
        };
        let local = Peer::Ip("127.0.0.1".parse().unwrap());
        let remote = Peer::Ip("203.0.113.9".parse().unwrap());
        let real = headers(&[("x-real-ip", "198.51.100.7")]);
        assert_eq!(client(local, &real, &trusted), "198.51.100.7");
        assert_eq!(
            client(remote, &real, &trusted),
            "203.0.113.9",
            "not a proxy of ours"
        );
        let xff = headers(&[("x-forwarded-for", "198.51.100.1, 192.0.2.4, 127.0.0.1")]);
        assert_eq!(
            client(local, &xff, &trusted),
            "192.0.2.4",
            "the nearest untrusted hop"
        );
        // A client's own X-Real-IP passed on by a proxy that appends to X-Forwarded-For.
        let both = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-real-ip", "10.0.0.5"),
        ]);
        assert_eq!(client(local, &both, &trusted), "203.0.113.9");
        // Junk in front of the real hop hides nothing, and junk at the hop is not the peer.
        let front = headers(&[("x-forwarded-for", "junk, 203.0.113.9")]);
        assert_eq!(client(local, &front, &trusted), "203.0.113.9");
        let at_hop = headers(&[("x-forwarded-for", "203.0.113.9, junk")]);
        assert_eq!(client(local, &at_hop, &trusted), "unknown");
        let junk = headers(&[("x-real-ip", "<script>evil"), ("x-forwarded-for", "nope")]);
        assert_eq!(
            client(local, &junk, &trusted),
            "unknown",
            "junk is never recorded, nor taken for the proxy itself"
        );
        let real_junk = headers(&[("x-real-ip", "<script>evil")]);
        assert_eq!(client(local, &real_junk, &trusted), "unknown");
        assert_eq!(
            client(Peer::Local(None), &HeaderMap::new(), &trusted),
            "local"
        );
        let proxy = Peer::Local(Some(Cred { uid: 33, gid: 33 }));
        let other = Peer::Local(Some(Cred {
            uid: 1000,
            gid: 1000,
        }));
        assert_eq!(client(proxy, &real, &trusted), "198.51.100.7");
        assert_eq!(
            client(other, &real, &trusted),
            "local",
            "another local account chooses nothing"
        );
        assert_eq!(client(Peer::Local(None), &real, &trusted), "local");
        let nobody = Trust::default();
        assert_eq!(
            client(local, &real, &nobody),
            "127.0.0.1",
            "loopback is not trusted unless the admin says so"
        );
        let mapped = Peer::Ip("::ffff:192.0.2.1".parse().unwrap());
        assert_eq!(client(mapped, &HeaderMap::new(), &trusted), "192.0.2.1");
    }
}
