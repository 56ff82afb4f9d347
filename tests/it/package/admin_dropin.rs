//! The admin drop-in replaces the service's command line (`ExecStart=` then its own): it
//! must keep everything the packaged unit passes, the trusted proxies above all, or opting
//! in to the admin listener would make every client of `/auth` `local` (one throttle
//! bucket, networks that never match, nothing for fail2ban).

use super::{repo, store_independent};

/// The words of the last `ExecStart=` of a unit file (the one systemd runs).
fn exec_start(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    let line = text
        .lines()
        .filter_map(|l| l.strip_prefix("ExecStart="))
        .next_back()
        .unwrap_or_else(|| panic!("{file}: no ExecStart="));
    line.split_whitespace().map(String::from).collect()
}

#[test]
fn admin_dropin_keeps_the_services_trusted_proxies() {
    if !store_independent("admin drop-in") {
        return;
    }
    let unit = exec_start("packaging/systemd/appw-serve.service");
    let dropin = exec_start("packaging/systemd/appw-serve-admin.conf");
    assert!(
        unit.iter().any(|w| w == "--trusted-proxy"),
        "the unit trusts no proxy: {unit:?}"
    );
    // Each option of the unit, with its value, in the drop-in's command line too.
    let pairs = |words: &[String]| -> Vec<(String, String)> {
        words
            .windows(2)
            .filter(|w| w[0].starts_with("--"))
            .map(|w| (w[0].clone(), w[1].clone()))
            .collect()
    };
    let kept = pairs(&dropin);
    for pair in pairs(&unit) {
        assert!(
            kept.contains(&pair),
            "the drop-in drops {pair:?}: {dropin:?}"
        );
    }
    assert_eq!(dropin[..2], unit[..2], "{dropin:?}");
    assert!(
        kept.iter().any(|(k, _)| k == "--admin-listen"),
        "{dropin:?}"
    );
}
