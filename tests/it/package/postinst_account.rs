//! The package's postinst makes the system account `appw`, and never adopts an account of
//! that name a person uses: it stops and says so. Run with stand-ins for getent, adduser
//! and install that record what they were asked.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::store_independent;

/// Runs packaging/debian/postinst configure where `getent passwd appw` prints `entry`
/// (nothing: no such account); the exit code, stderr, and the commands it ran.
fn postinst(entry: Option<&str>) -> (i32, String, String) {
    let bin = tempfile::tempdir().unwrap();
    let calls = bin.path().join("calls");
    let stub = |name: &str, body: &str| {
        let path = bin.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let record = format!("echo \"$(basename \"$0\") $*\" >> '{}'", calls.display());
    match entry {
        Some(entry) => stub("getent", &format!("echo '{entry}'")),
        None => stub("getent", "exit 2"),
    }
    stub("adduser", &record);
    stub("install", &record);
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/debian/postinst"))
        .arg("configure")
        .env("PATH", path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        std::fs::read_to_string(&calls).unwrap_or_default(),
    )
}

#[test]
fn postinst_refuses_to_adopt_a_persons_appw_account() {
    if !store_independent("postinst") {
        return;
    }
    let (code, stderr, calls) = postinst(Some("appw:x:1001:1001:A person:/home/appw:/bin/bash"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("not a system account"), "{stderr}");
    assert!(calls.is_empty(), "nothing made or handed over: {calls}");

    let (code, stderr, calls) = postinst(Some("appw:x:998:998::/var/lib/appw:/usr/sbin/nologin"));
    assert_eq!(
        code, 0,
        "the package's own system account is reused: {stderr}"
    );
    assert!(!calls.contains("adduser"), "{calls}");

    let (code, stderr, calls) = postinst(None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        calls.contains("adduser --quiet --system --group"),
        "{calls}"
    );
}
