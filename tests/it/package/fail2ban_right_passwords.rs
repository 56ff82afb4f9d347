//! The packaged fail2ban filter bans guessing, not a right password refused for where it
//! comes from, for having expired or for being paused; and it bans an IPv6 client by the /64 appw throttles.

use std::process::Command;

use super::fail2ban::{filter_dir, matched_hosts};
use super::{have, package, store_independent};
use crate::harness::{Appw, forge, set_clock};
use crate::serve::Server;

#[test]
fn fail2ban_filter_spares_right_passwords_and_bans_ipv6_per_64() {
    if !store_independent("the fail2ban filter") {
        return;
    }
    if !have("fail2ban-regex", "the fail2ban filter") {
        return;
    }
    let Some(package) = package() else { return };
    let appw = Appw::sqlite();
    let fenced = appw
        .run(&[
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
        .to_string();
    let lapsing = appw
        .run(&[
            "create",
            "--user",
            "deploy",
            "--expires",
            "2030-01-01T00:00:00Z",
            "--porcelain",
            "lapsing",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let paused = appw
        .run(&["create", "--user", "deploy", "--porcelain", "paused"])
        .ok()
        .stdout
        .trim()
        .to_string();
    appw.run(&["disable", &paused[4..16]]).ok();
    // The server's clock is past the expiry; loopback is outside 10.0.0.0/8.
    let mut cmd: Command = appw.command(&["serve", "--listen", "[::1]:0"]);
    set_clock(&mut cmd, "2031-01-01T00:00:00Z");
    let server = Server::start_with(cmd, &["--max-failures", "4"]);
    assert_eq!(server.auth("deploy", &fenced), 403, "outside its networks");
    // Paused by an admin, a password the server has not checked before: appw's throttle
    // counts it, fail2ban does not ban for it.
    assert_eq!(server.auth("deploy", &paused), 401, "disabled");
    // Expired, decided from the row alone: appw's throttle counts it (the password was
    // not even checked), fail2ban does not ban for it.
    assert_eq!(server.auth("deploy", &lapsing), 401, "expired");
    assert_eq!(server.auth("deploy", &forge(&fenced)), 401);
    assert_eq!(server.auth("deploy", &forge(&fenced)), 401);
    assert_eq!(server.auth("deploy", &forge(&fenced)), 429);
    let (_, log) = server.stop();
    let ours: Vec<String> = log
        .into_iter()
        .filter(|l| l.starts_with("appw serve: "))
        .collect();
    let count = |needle: &str| ours.iter().filter(|l| l.contains(needle)).count();
    assert_eq!(count("allowed networks"), 1, "{ours:#?}");
    assert_eq!(count("has expired"), 1, "{ours:#?}");
    assert_eq!(count("is disabled"), 1, "{ours:#?}");
    assert_eq!(
        count("appw serve: throttled client=0:0:0:0::/64 "),
        1,
        "the throttle line names the /64 appw throttles: {ours:#?}"
    );
    let dir = filter_dir(package);
    let filter = dir.path().join("filter.d/appw.conf");
    let mut hosts = matched_hosts(&filter, "file", &ours);
    hosts.sort();
    assert_eq!(
        hosts,
        ["::/64", "::1", "::1"],
        "two wrong passwords and the throttle's /64, never the right passwords:\n{}",
        ours.join("\n")
    );
    // Any /64, as fail2ban reads it from the journal.
    let line = "host appw[7]: appw serve: throttled client=2001:db8:1:2::/64 failures=10 \
                seconds=60"
        .to_string();
    assert_eq!(
        matched_hosts(&filter, "journal", &[line]),
        ["2001:db8:1:2::/64"]
    );
}
