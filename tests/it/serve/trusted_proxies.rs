//! Who may choose the client address appw records: nobody unless the admin says so. Another
//! local account that can reach loopback or a Unix socket cannot pass for a proxy; a Unix
//! peer is believed only when it runs as a user or group `--trusted-proxy` names, as the
//! kernel reports it.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use super::{Server, my_uid, request_text};
use crate::harness::{Appw, basic, have};

#[test]
fn the_client_address_comes_from_trusted_proxies_only() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let good = basic("deploy", &password);
    let server = Server::start(&appw, &["--trusted-proxy", "127.0.0.0/8"]);
    let (status, _) = server.get(
        "/auth",
        &[
            ("Authorization", &good),
            ("X-Forwarded-For", "203.0.113.5, 10.0.0.1"),
        ],
    );
    assert_eq!(status, 204);
    server.stop();
    assert_eq!(
        appw.list()[0]["last_source"],
        "10.0.0.1",
        "the nearest untrusted hop"
    );
    // Loopback is not trusted here, so its headers are not believed.
    let server = Server::start(&appw, &["--trusted-proxy", "192.0.2.0/24"]);
    let (status, _) = server.get(
        "/auth",
        &[("Authorization", &good), ("X-Real-IP", "203.0.113.5")],
    );
    assert_eq!(status, 204);
    server.stop();
    assert_eq!(appw.list()[0]["last_source"], "127.0.0.1");
}

/// Another user's uid (no account uses it), for the hostile client.
const OTHER: u32 = 4244;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn fenced(appw: &Appw) -> String {
    appw.run(&[
        "create",
        "--user",
        "deploy",
        "--allow-from",
        "10.0.0.0/8",
        "--porcelain",
        "fenced",
    ])
    .ok()
    .stdout
    .trim()
    .to_string()
}

#[test]
fn by_default_no_peer_chooses_the_client_address() {
    let appw = Appw::new();
    let password = fenced(&appw);
    let good = basic("deploy", &password);
    let server = Server::start(&appw, &[]);
    for header in ["X-Real-IP", "X-Forwarded-For"] {
        let (status, _) = server.get("/auth", &[("Authorization", &good), (header, "10.1.2.3")]);
        assert_eq!(
            status, 403,
            "loopback is not a proxy unless named: {header}"
        );
    }
    server.stop();
    let listed = appw.list();
    assert_eq!(listed[0]["last_failed_source"], "127.0.0.1", "{listed:?}");
}

#[test]
fn networks_for_trusted_proxy_are_refused_when_they_mean_everyone_or_nothing_clear() {
    let appw = Appw::new();
    for bad in [
        "127.0.0.1/0",
        "0.0.0.0/0",
        "::/0",
        "10.1.2.3/8",
        "10.0.0.0/08",
        "user:",
    ] {
        let out = appw.run(&["serve", "--listen", "127.0.0.1:0", "--trusted-proxy", bad]);
        let out = out.code(2).one_error_line();
        assert!(
            out.stderr.contains("--trusted-proxy"),
            "{bad}: {}",
            out.stderr
        );
    }
}

/// A Unix socket anyone may connect to (systemd's default mode is 0666): the peer running
/// as the user `--trusted-proxy` names is believed, another account is not, whatever it
/// sends.
#[test]
fn on_a_unix_socket_only_the_named_user_is_a_proxy() {
    let appw = Appw::new();
    let password = fenced(&appw);
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let socket = dir.path().join("serve.sock");
    let listen = format!("unix:{}", socket.display());
    let server = Server::start_with(
        appw.command(&["serve", "--listen", &listen]),
        &["--trusted-proxy", &format!("uid:{}", my_uid())],
    );
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let raw = request_text(
        "localhost",
        "GET",
        "/auth",
        &[
            ("Authorization", &basic("deploy", &password)),
            ("X-Real-IP", "10.1.2.3"),
        ],
    );
    let mut stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    let (status, resp) = super::exchange(&mut stream, &raw);
    assert_eq!(
        status, 204,
        "the trusted proxy's address is believed: {resp}"
    );
    if is_root() && have("curl", "a request from another local account") {
        let mut curl = Command::new("curl");
        curl.args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--unix-socket",
        ])
        .arg(&socket)
        .args(["-u", &format!("deploy:{password}")])
        .args([
            "-H",
            "X-Real-IP: 10.1.2.3",
            "-H",
            "X-Forwarded-For: 10.1.2.3",
        ])
        .arg("http://localhost/auth");
        std::os::unix::process::CommandExt::uid(&mut curl, OTHER);
        std::os::unix::process::CommandExt::gid(&mut curl, OTHER);
        let out = curl.output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "403",
            "another account's headers are not believed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (code, log) = server.stop();
    assert_eq!(code, 0);
    if is_root() {
        assert!(
            log.iter().any(|l| l.contains("rejected client=local ")),
            "another account is recorded as local: {log:#?}"
        );
    }
}

/// A user or group that does not exist on this host is skipped with a warning (one unit
/// names both nginx's and Caddy's), never taken for another.
#[test]
fn a_trusted_user_missing_here_is_skipped_with_a_warning() {
    let appw = Appw::new();
    let server = Server::start(&appw, &["--trusted-proxy", "user:appw-no-such-user"]);
    server.stop_logging("warning: --trusted-proxy user:appw-no-such-user");
}
