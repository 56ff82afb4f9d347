//! The application behind nginx or Caddy learns who got in from `X-Appw-User` and
//! `X-Appw-Credential`: configured as README shows, the proxies set both from appw's answer
//! and never pass on a client's own. appw listens on a Unix socket and trusts the proxy by
//! its uid, as README recommends.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use super::proxies::{nginx_head, start_proxy};
use super::{Server, my_uid, request, request_text};
use crate::harness::{Appw, basic, have};

/// An application on loopback that answers every request with the `X-Appw-*` headers it
/// received, one per line, and remembers them. It reads names as PHP and other CGI-style
/// backends do, `_` for `-` (`X-Appw_User` and `X_Appw_User` are `HTTP_X_APPW_USER`).
fn application() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut got = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let name = line.split(':').next().unwrap_or("");
                if name
                    .to_ascii_lowercase()
                    .replace('_', "-")
                    .starts_with("x-appw-")
                {
                    got.push(line.trim_end().to_string());
                }
            }
            let body = got.join("\n") + "\n";
            record.lock().unwrap().extend(got);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (addr, seen)
}

fn nginx_conf(dir: &Path, socket: &Path, app: &str, port: u16) -> String {
    format!(
        "{head}\
           upstream appw {{ server unix:{socket}; keepalive 4; }}\n\
           server {{\n    listen 127.0.0.1:{port};\n\
             location / {{\n      auth_request /_appw;\n\
               auth_request_set $appw_user $upstream_http_x_appw_user;\n\
               auth_request_set $appw_credential $upstream_http_x_appw_credential;\n\
               proxy_set_header X-Appw-User $appw_user;\n\
               proxy_set_header X-Appw-Credential $appw_credential;\n\
               proxy_pass http://{app};\n    }}\n\
             location = /_appw {{\n      internal;\n      proxy_pass http://appw/auth;\n\
               proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n\
               proxy_pass_request_body off;\n      proxy_set_header Content-Length \"\";\n\
               proxy_set_header X-Forwarded-For $remote_addr;\n\
               proxy_set_header X-Real-IP $remote_addr;\n    }}\n  }}\n}}\n",
        head = nginx_head(dir),
        socket = socket.display(),
    )
}

fn caddyfile(dir: &Path, socket: &Path, app: &str, port: u16) -> String {
    let _ = dir;
    format!(
        "{{\n  admin off\n  auto_https off\n}}\n\
         http://127.0.0.1:{port} {{\n  route {{\n\
           request_header -X-Appw*\n  request_header -*_*\n\
           forward_auth unix/{socket} {{\n    uri /auth\n\
             copy_headers X-Appw-User X-Appw-Credential\n  }}\n\
           reverse_proxy {app}\n  }}\n}}\n",
        socket = socket.display(),
    )
}

fn spawn_nginx(dir: &Path, conf: String) -> std::process::Child {
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn spawn_caddy(dir: &Path, conf: String) -> std::process::Child {
    let file = dir.join("Caddyfile");
    std::fs::write(&file, conf).unwrap();
    Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&file)
        .arg("--pidfile")
        .arg(dir.join("caddy.pid"))
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A client that sends its own `X-Appw-User: admin` and `X-Appw-Credential` (also spelt
/// with underscores or in capitals), and its own
/// `X-Forwarded-For`, gets through as the user its password names; the application sees
/// appw's headers only, and appw records the client's real address.
fn client_headers_never_reach_the_application(
    pidfile: &str,
    conf: fn(&Path, &Path, &str, u16) -> String,
    spawn: fn(&Path, String) -> std::process::Child,
) {
    let appw = Appw::new();
    let (id, password) = appw.create("deploy", "ci");
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("appw.sock");
    let listen = format!("unix:{}", socket.display());
    let server = Server::start_with(
        appw.command(&["serve", "--listen", &listen]),
        &["--trusted-proxy", &format!("uid:{}", my_uid())],
    );
    let (app, seen) = application();
    let (proxy, addr) = start_proxy(&dir.path().join(pidfile), |port| {
        spawn(dir.path(), conf(dir.path(), &socket, &app, port))
    });
    let forged = [
        ("Authorization", basic("deploy", &password)),
        ("X-Appw-User", "admin".to_string()),
        ("X-Appw-Credential", "aaaaaaaaaaaa".to_string()),
        // Variants a backend may read as the same header.
        ("X-Appw_User", "admin".to_string()),
        ("X_Appw_User", "admin".to_string()),
        ("x-appw_credential", "aaaaaaaaaaaa".to_string()),
        ("X-APPW-USER", "admin".to_string()),
        ("X-Forwarded-For", "10.9.9.9".to_string()),
    ];
    let headers: Vec<(&str, &str)> = forged.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, resp) = request(&addr, &request_text(&addr, "GET", "/page", &headers));
    // Without a password: refused before the application, whatever the client claims.
    let (refused, _) = request(&addr, &request_text(&addr, "GET", "/page", &headers[1..]));
    drop(proxy);
    assert_eq!(status, 200, "{resp}");
    assert_eq!(refused, 401);
    let mut got: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|l| l.to_ascii_lowercase())
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            format!("x-appw-credential: {id}"),
            "x-appw-user: deploy".to_string()
        ],
        "the application sees appw's headers, once each, and none of the client's"
    );
    assert_eq!(server.stop().0, 0);
    assert_eq!(
        appw.list()[0]["last_source"],
        "127.0.0.1",
        "the client's own X-Forwarded-For is not its address"
    );
}

#[test]
fn nginx_passes_appws_identity_headers_never_the_clients() {
    if !have("nginx", "nginx auth_request") {
        return;
    }
    client_headers_never_reach_the_application("nginx.pid", nginx_conf, spawn_nginx);
}

#[test]
fn caddy_passes_appws_identity_headers_never_the_clients() {
    if !have("caddy", "Caddy forward_auth") {
        return;
    }
    client_headers_never_reach_the_application("caddy.pid", caddyfile, spawn_caddy);
}
