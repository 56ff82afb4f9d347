//! `appw serve` behind real proxies on loopback: nginx `auth_request` (with an upstream
//! keepalive pool, as README configures it) and Caddy `forward_auth` (when installed).

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Server, request, request_text};
use crate::harness::{Appw, basic, have};

/// A child process killed and reaped when the test ends, however it ends.
pub(super) struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn behind_nginx_auth_request_each_scope_guards_its_location() {
    if !have("nginx", "nginx auth_request") {
        return;
    }
    behind_proxy("nginx.pid", |dir, upstream, port| {
        let conf = format!(
            "{head}\
           upstream appw {{ server {upstream}; keepalive 16; }}\n\
           server {{\n    listen 127.0.0.1:{port};\n\
             location / {{ auth_request /_appw; root {dir}/www; }}\n\
             location /deploy/ {{ auth_request /_appw_deploy; root {dir}/www; }}\n\
             location /reports/ {{ auth_request /_appw_reports; root {dir}/www; }}\n\
             location = /_appw {{\n      internal;\n\
               proxy_pass http://appw/auth;\n{common}    }}\n\
             location = /_appw_deploy {{\n      internal;\n\
               proxy_pass http://appw/auth?scope=deploy;\n{common}    }}\n\
             location = /_appw_reports {{\n      internal;\n\
               proxy_pass http://appw/auth?scope=reports;\n{common}    }}\n  }}\n}}\n",
            head = nginx_head(dir),
            dir = dir.display(),
            common = "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n\
               proxy_pass_request_body off;\n      proxy_set_header Content-Length \"\";\n\
               proxy_set_header X-Forwarded-For $remote_addr;\n\
               proxy_set_header X-Real-IP $remote_addr;\n",
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        Command::new("nginx")
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    });
}

/// Caddy's forward_auth in front of the server, when Caddy is installed.
#[test]
fn behind_caddy_forward_auth() {
    if !have("caddy", "Caddy forward_auth") {
        return;
    }
    behind_proxy("caddy.pid", |dir, upstream, port| {
        let conf = format!(
            "{{\n  admin off\n  auto_https off\n}}\n\
         http://127.0.0.1:{port} {{\n\
           forward_auth {upstream} {{\n    uri /auth\n    copy_headers X-Appw-User\n  }}\n\
           root * {dir}/www\n  file_server\n}}\n",
            dir = dir.display(),
        );
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
    });
}

/// The server behind a real proxy: `spawn(dir, upstream address, port)` starts the proxy,
/// configured in `dir` to serve `dir/www` on `port` to whoever the server lets through, and
/// to write its pid to `dir/pidfile`. A valid credential gets the file, a missing or wrong
/// one a 401 with the challenge, and the use is recorded with the client's address. Where
/// the proxy guards `/deploy/` and `/reports/` with the scopes of those names (nginx here),
/// each scoped credential gets into its own location only, and one without scopes into
/// neither.
fn behind_proxy(pidfile: &str, spawn: impl Fn(&Path, &str, u16) -> std::process::Child) {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let scoped = |name: &str| {
        let out = appw
            .run(&[
                "create",
                "--user",
                "deploy",
                "--scope",
                name,
                "--porcelain",
                name,
            ])
            .ok();
        out.stdout.trim().to_string()
    };
    let (deployer, reporter) = (scoped("deploy"), scoped("reports"));
    let server = Server::start(&appw, &[]);
    let dir = tempfile::tempdir().unwrap();
    // Static files behind the check (nginx's `return` would answer before auth_request).
    for sub in ["", "deploy/", "reports/"] {
        std::fs::create_dir_all(dir.path().join("www").join(sub)).unwrap();
        std::fs::write(dir.path().join(format!("www/{sub}page.html")), "secret\n").unwrap();
    }
    let (proxy, addr) = start_proxy(&dir.path().join(pidfile), |port| {
        spawn(dir.path(), &server.addr, port)
    });
    let get = |path: &str, auth: Option<String>| {
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("Authorization", a)])
            .unwrap_or_default();
        request(&addr, &request_text(&addr, "GET", path, &headers))
    };
    // Files by name: an index would be an internal redirect, and a second check.
    let good = get("/page.html", Some(basic("deploy", &password)));
    let again = get("/page.html", Some(basic("deploy", &password)));
    let missing = get("/page.html", None);
    let wrong = get("/page.html", Some(basic("deploy", "wrong")));
    let mut locations = Vec::new();
    for (who, pw) in [
        ("unscoped", &password),
        ("deploy", &deployer),
        ("reports", &reporter),
    ] {
        for place in ["deploy", "reports"] {
            let path = format!("/{place}/page.html");
            locations.push((who, place, get(&path, Some(basic("deploy", pw))).0));
        }
    }
    drop(proxy);
    assert_eq!(good.0, 200, "valid credential: {}", good.1);
    assert!(good.1.ends_with("secret\n"), "{}", good.1);
    assert_eq!(again.0, 200, "{}", again.1);
    for (status, head) in [&missing, &wrong] {
        assert_eq!(*status, 401, "{head}");
        // Header names are case-insensitive (Go writes Www-Authenticate).
        assert!(
            head.to_ascii_lowercase()
                .contains("www-authenticate: basic"),
            "no challenge passed on: {head}"
        );
    }
    if pidfile.starts_with("nginx") {
        for (who, place, status) in locations {
            let want = if who == place { 200 } else { 403 };
            assert_eq!(status, want, "{who} credential at /{place}/");
        }
    }
    assert_eq!(server.stop().0, 0);
    let listed = appw.list();
    let unscoped = listed.iter().find(|c| c["name"] == "ci").unwrap();
    assert_eq!(unscoped["last_source"], "127.0.0.1");
    // Two requests let through (the refused scoped ones are rejections, not uses), unless
    // the proxy guards no location by scope.
    let expected = if pidfile.starts_with("nginx") { 2 } else { 4 };
    assert_eq!(unscoped["use_count"], expected);
}

/// Starts a proxy with `spawn(port)` on a free loopback port and waits until it listens, as
/// told by `pidfile`, which the proxy writes once its port is bound (nginx does, and Caddy
/// 2.6; later Caddy versions write it sooner, and then it only says Caddy runs). The port is
/// free when picked, but something else may take it before the proxy binds it; then the
/// proxy exits (or, were it listening, its pid file would not be this proxy's), and it is
/// The start of an nginx configuration for a test: one process in the foreground with its
/// files in `dir`, and an `http` block left open for the caller's upstreams and servers.
pub(super) fn nginx_head(dir: &Path) -> String {
    let dir = dir.display();
    format!(
        "daemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log;\n\
         events {{}}\n\
         http {{\n  access_log off;\n  client_body_temp_path {dir}/body;\n\
           proxy_temp_path {dir}/proxy;\n  fastcgi_temp_path {dir}/fastcgi;\n\
           uwsgi_temp_path {dir}/uwsgi;\n  scgi_temp_path {dir}/scgi;\n"
    )
}

/// started again on another port.
pub(super) fn start_proxy(
    pidfile: &Path,
    spawn: impl Fn(u16) -> std::process::Child,
) -> (Reaped, String) {
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let _ = std::fs::remove_file(pidfile);
        let mut proxy = Reaped(spawn(port));
        let addr = format!("127.0.0.1:{port}");
        let pid = proxy.0.id().to_string();
        let start = Instant::now();
        while proxy.0.try_wait().unwrap().is_none() {
            let bound = std::fs::read_to_string(pidfile).is_ok_and(|p| p.trim() == pid);
            if bound && TcpStream::connect(&addr).is_ok() {
                return (proxy, addr);
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the proxy did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("the proxy exited at start five times");
}
