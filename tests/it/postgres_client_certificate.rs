//! A client certificate made by PostgreSQL's own recipe (`openssl x509 -req` without an
//! extensions file: X.509 version 1 on OpenSSL 3.0 and 3.1) is one appw's TLS library
//! refuses; appw says so naming the client certificate and what to do, before connecting,
//! rather than blaming the server.

use std::process::Command;

use crate::harness::{Appw, Skip, skip};

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

#[test]
fn a_version_1_client_certificate_is_named_with_the_fix() {
    if !crate::harness::have("openssl", "client certificates") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "req", "-new", "-x509", "-nodes", "-days", "2", "-subj", "/CN=root", "-keyout",
            "root.key", "-out", "root.crt",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-new",
            "-nodes",
            "-subj",
            "/CN=appw",
            "-keyout",
            "client.key",
            "-out",
            "client.csr",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-days",
            "2",
            "-CA",
            "root.crt",
            "-CAkey",
            "root.key",
            "-CAcreateserial",
            "-out",
            "client.crt",
        ],
    );
    let text = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(d.join("client.crt"))
        .output()
        .unwrap();
    if !String::from_utf8_lossy(&text.stdout).contains("Version: 1 ") {
        skip(
            Skip::Missing,
            "this OpenSSL makes version 3 certificates by this recipe",
        );
        return;
    }
    let url = format!(
        "postgres://appw@127.0.0.1:1/appw?sslmode=require&sslcert={}&sslkey={}",
        d.join("client.crt").display(),
        d.join("client.key").display()
    );
    let appw = Appw::sqlite().env("APPW_DB", &url);
    let out = appw.run(&["list"]).code(4).one_error_line();
    assert!(out.stderr.contains("client certificate"), "{}", out.stderr);
    assert!(out.stderr.contains("client.crt"), "{}", out.stderr);
    assert!(out.stderr.contains("version 1"), "{}", out.stderr);
    assert!(out.stderr.contains("-extfile"), "{}", out.stderr);
}
