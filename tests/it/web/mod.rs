//! The admin listener (`appw serve --admin-listen`): the JSON API and the screen, over real
//! HTTP against the real binary, on SQLite and PostgreSQL. `api` holds the API's routes and
//! statuses, `powers` who may do what, `screen` the pages and forms, `browser` the whole
//! story in headless Chromium.

mod api;
mod authorize;
mod browser;
mod browser_authorize;
mod other_origins;
mod others_ids;
mod own_prefix;
mod patch_powers;
mod powers;
mod refusal_log;
mod routes_and_assets;
mod screen;
mod screen_actors;
mod screen_log;
mod screen_pages;
mod screen_pause_twice;
mod screen_powers;
mod screen_revoke_all;
mod session_ends;
mod session_networks;
mod sessions;
mod sign_out_offline;
mod slow_bodies;
mod store_errors;
mod store_outage;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Appw, basic};
use crate::serve::Server;

/// A running `appw serve` with an admin listener; killed when dropped.
pub struct Admin {
    server: Server,
    /// Where `/auth` listens.
    pub auth: String,
    /// Where the API and the screen listen.
    pub addr: String,
}

impl Admin {
    pub fn start(appw: &Appw) -> Admin {
        Admin::start_with(appw, &[])
    }

    pub fn start_with(appw: &Appw, extra: &[&str]) -> Admin {
        let args = [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ];
        let server = Server::start_with(appw.command(&args), extra);
        let addr = server.logged("appw serve: admin API and screen listening on ");
        Admin {
            auth: server.addr.clone(),
            addr,
            server,
        }
    }

    pub fn log(&self) -> Vec<String> {
        self.server.log()
    }

    /// Stops the server gracefully (exit 0, no panic): everything it logged.
    pub fn stop(self) -> Vec<String> {
        self.server.stop().1
    }

    /// A request to the admin listener.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        send(&self.addr, method, path, headers, body)
    }

    /// An API request authenticated as `user` with `password` (HTTP Basic).
    pub fn api(&self, who: (&str, &str), method: &str, path: &str, json: Option<&str>) -> Reply {
        let auth = basic(who.0, who.1);
        let mut headers = vec![("Authorization", auth.as_str())];
        if json.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        self.send(
            method,
            path,
            &headers,
            json.map(str::as_bytes).unwrap_or_default(),
        )
    }

    /// A counter of `/metrics` (on `/auth`'s listener) without labels, by name.
    pub fn metric(&self, name: &str) -> u64 {
        self.server.metric(name)
    }

    /// `/auth` with `user`'s password: its status.
    pub fn auth(&self, user: &str, password: &str) -> u16 {
        let auth = basic(user, password);
        send(&self.auth, "GET", "/auth", &[("Authorization", &auth)], b"").status
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:#?}"))
    }

    #[track_caller]
    pub fn status(self, expected: u16) -> Reply {
        assert_eq!(self.status, expected, "{self:#?}");
        self
    }

    /// The `{"error": ...}` message.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message: {self:#?}"))
            .to_string()
    }
}

/// One request on a fresh connection (`Connection: close`), the whole answer read.
pub fn send(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req += &format!("Host: {addr}\r\n");
    }
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    if !body.is_empty() || matches!(method, "POST" | "PATCH" | "PUT") {
        req += &format!("Content-Length: {}\r\n", body.len());
    }
    req += "\r\n";
    let mut raw = req.into_bytes();
    raw.extend_from_slice(body);
    // The server may answer (413) before reading everything: a failed write is no error.
    let _ = stream.write_all(&raw);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    parse(&answer)
}

fn parse(answer: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Waits (60 s at most) until `check` holds, polling; panics with `what` otherwise.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An admin credential (`appw:admin`) made at the command line: (user, password, id).
pub fn admin_credential(appw: &Appw) -> (String, String, String) {
    let v = appw
        .run(&[
            "create",
            "--user",
            "admin",
            "browser",
            "--scope",
            "appw:admin",
            "--json",
        ])
        .ok()
        .json();
    (
        "admin".into(),
        v["password"].as_str().unwrap().into(),
        v["id"].as_str().unwrap().into(),
    )
}

/// A credential with `args` (scopes, networks, expiry) for `user`: (password, id).
pub fn credential(appw: &Appw, user: &str, name: &str, args: &[&str]) -> (String, String) {
    let mut all = vec!["create", "--user", user, name, "--json"];
    all.extend_from_slice(args);
    let v = appw.run(&all).ok().json();
    (
        v["password"].as_str().unwrap().into(),
        v["id"].as_str().unwrap().into(),
    )
}
