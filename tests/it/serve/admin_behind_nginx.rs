//! The admin listener behind nginx configured as README shows it: a client that sends its
//! own `X-Forwarded-For` does not choose the address appw records and throttles.

use std::path::Path;
use std::process::{Command, Stdio};

use super::proxies::{nginx_head, start_proxy};
use super::{Server, my_uid, request, request_text};
use crate::harness::{Appw, basic, have};

/// The `proxy_set_header` lines of README's nginx block for the admin listener.
fn readme_admin_headers() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = readme
        .split("```nginx")
        .find(|b| b.contains("admin.sock"))
        .expect("README has an nginx block for the admin listener");
    let block = block.split("```").next().unwrap();
    let lines: Vec<String> = block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("proxy_set_header"))
        .map(String::from)
        .collect();
    assert!(!lines.is_empty(), "{block}");
    lines
}

#[test]
fn admin_behind_readmes_nginx_records_the_real_client() {
    if !have("nginx", "nginx in front of the admin listener") {
        return;
    }
    let appw = Appw::new();
    let out = appw
        .run(&[
            "create",
            "--user",
            "admin",
            "--scope",
            "appw:admin",
            "--porcelain",
            "browser",
        ])
        .ok();
    let password = out.stdout.trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("admin.sock");
    let server = Server::start(
        &appw,
        &[
            "--admin-listen",
            &format!("unix:{}", socket.display()),
            "--trusted-proxy",
            &format!("uid:{}", my_uid()),
        ],
    );
    server.logged("appw serve: admin API and screen listening on ");
    let headers = readme_admin_headers().join("\n      ");
    let (proxy, addr) = start_proxy(&dir.path().join("nginx.pid"), |port| {
        let conf = format!(
            "{head}\
               server {{\n    listen 127.0.0.1:{port};\n\
                 location / {{\n      proxy_pass http://unix:{socket}:;\n      {headers}\n    }}\n  }}\n}}\n",
            head = nginx_head(dir.path()),
            socket = socket.display(),
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    });
    let auth = basic("admin", &password);
    let forged = [
        ("Authorization", auth.as_str()),
        ("X-Forwarded-For", "10.9.9.9"),
    ];
    let (status, resp) = request(
        &addr,
        &request_text(&addr, "GET", "/api/v1/credentials", &forged),
    );
    drop(proxy);
    assert_eq!(status, 200, "{resp}");
    assert_eq!(server.stop().0, 0);
    assert_eq!(
        appw.list()[0]["last_source"],
        "127.0.0.1",
        "the client's own X-Forwarded-For is not its address"
    );
}
