//! The packaged fail2ban filter and jail, with fail2ban's own tools: fail2ban-regex on what
//! `appw serve` really logs, fail2ban-client on the jail in a copy of the installed
//! configuration.

use std::path::Path;
use std::process::Command;

use super::{FILTER, JAIL, Package, have, package, run, store_independent};
use crate::harness::{Appw, basic, forge};
use crate::serve::Server;

/// The packaged filter beside fail2ban's own common.conf, as installed.
pub(super) fn filter_dir(package: &Package) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let filters = dir.path().join("filter.d");
    std::fs::create_dir(&filters).unwrap();
    std::fs::copy(
        "/etc/fail2ban/filter.d/common.conf",
        filters.join("common.conf"),
    )
    .expect("fail2ban's /etc/fail2ban/filter.d/common.conf");
    std::fs::copy(package.path(FILTER), filters.join("appw.conf")).unwrap();
    dir
}

/// The hosts fail2ban-regex finds in `lines` with the filter (`logtype` as its jail uses).
pub(super) fn matched_hosts(filter: &Path, logtype: &str, lines: &[String]) -> Vec<String> {
    let log = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(log.path(), lines.join("\n") + "\n").unwrap();
    let spec = format!("{}[logtype={logtype}]", filter.display());
    let out = run(Command::new("fail2ban-regex")
        .args(["-o", "ip"])
        .arg(log.path())
        .arg(spec));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Failed attempts and a throttle, as `appw serve` logs them, through the packaged filter:
/// every failure and the throttle count against the real client (127.0.0.1), a 403 (the
/// right password without the scope) does not, and a user name holding `client=6.6.6.6`
/// does not make 6.6.6.6 the host.
#[test]
fn fail2ban_filter_finds_the_client_in_real_server_output() {
    if !store_independent("the fail2ban filter") {
        return;
    }
    if !have("fail2ban-regex", "the fail2ban filter") {
        return;
    }
    let Some(package) = package() else { return };
    let appw = Appw::sqlite();
    let (_, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &["--max-failures", "3"]);
    let good = basic("deploy", &password);
    let (status, _) = server.get("/auth?scope=admin", &[("Authorization", &good)]);
    assert_eq!(status, 403, "not a failure");
    let hostile = r#"x" client=6.6.6.6 user="y"#;
    assert_eq!(server.auth(hostile, &password), 401);
    assert_eq!(server.auth("deploy", &forge(&password)), 401);
    assert_eq!(
        server.get("/auth", &[("Authorization", "Basic !!!")]).0,
        401
    );
    // Throttled now (a password the server already knows would still get in).
    assert_eq!(server.auth("deploy", &forge(&password)), 429);
    let (code, log) = server.stop();
    assert_eq!(code, 0, "{log:?}");
    let ours: Vec<String> = log
        .into_iter()
        .filter(|l| l.starts_with("appw serve: "))
        .collect();
    let count = |needle: &str| ours.iter().filter(|l| l.contains(needle)).count();
    assert_eq!(
        count("appw serve: rejected client=127.0.0.1 "),
        4,
        "{ours:#?}"
    );
    assert_eq!(
        count("appw serve: throttled client=127.0.0.1 "),
        1,
        "{ours:#?}"
    );
    assert_eq!(
        count("client=6.6.6.6"),
        1,
        "the hostile name is logged: {ours:#?}"
    );
    assert_eq!(count("lacks the scope"), 1, "{ours:#?}");

    let dir = filter_dir(package);
    let filter = dir.path().join("filter.d/appw.conf");
    // As written to stderr (a log file), and as fail2ban reads it from the journal.
    let journal: Vec<String> = ours
        .iter()
        .map(|l| format!("host appw[4242]: {l}"))
        .collect();
    for (logtype, lines) in [("file", &ours), ("journal", &journal)] {
        let hosts = matched_hosts(&filter, logtype, lines);
        assert_eq!(
            hosts,
            vec!["127.0.0.1"; 4],
            "logtype={logtype}: three failures and the throttle, never the scope refusal \
             or 6.6.6.6:\n{}",
            lines.join("\n")
        );
    }
}

/// The packaged jail, in a copy of the installed fail2ban configuration: disabled as
/// shipped; enabled, it reads appw-serve.service's journal with the packaged filter.
#[test]
fn fail2ban_jail_is_off_until_enabled() {
    if !store_independent("the fail2ban jail") {
        return;
    }
    if !have("fail2ban-client", "the fail2ban jail") {
        return;
    }
    let Some(package) = package() else { return };
    let conf = tempfile::tempdir().unwrap();
    run(Command::new("cp")
        .args(["-r", "/etc/fail2ban/."])
        .arg(conf.path()));
    std::fs::copy(package.path(FILTER), conf.path().join("filter.d/appw.conf")).unwrap();
    std::fs::copy(package.path(JAIL), conf.path().join("jail.d/appw.conf")).unwrap();
    let dump = |conf: &Path| {
        let out = run(Command::new("fail2ban-client")
            .arg("-c")
            .arg(conf)
            .arg("-d"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        !dump(conf.path()).contains("'appw'"),
        "the jail is on as shipped"
    );
    std::fs::write(
        conf.path().join("jail.d/zz-test.local"),
        "[appw]\nenabled = true\n",
    )
    .unwrap();
    let on = dump(conf.path());
    for needle in [
        "['add', 'appw', 'systemd']",
        "_SYSTEMD_UNIT=appw-serve.service",
        "appw serve: rejected client=<ADDR>",
        "http,https",
    ] {
        assert!(on.contains(needle), "enabled jail lacks {needle}:\n{on}");
    }
}
