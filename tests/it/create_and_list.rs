//! What `create` prints (the password once, in each format) and what `list` shows (the
//! contract's JSON keys and a table).

use crate::harness::{Appw, is_token};

/// The `list --json` keys the contract promises.
const CONTRACT_KEYS: [&str; 9] = [
    "id",
    "user",
    "name",
    "app_id",
    "created",
    "last_used",
    "last_source",
    "use_count",
    "expires_at",
];

#[test]
fn create_prints_the_password_once_in_each_format() {
    let appw = Appw::new();
    let human = appw
        .run(&["create", "--user", "deploy", "GitHub Actions"])
        .ok();
    let grouped = human
        .stdout
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("appw "))
        .unwrap();
    let groups: Vec<&str> = grouped.split(' ').collect();
    assert_eq!(groups.len(), 12, "{grouped}");
    assert!(groups.iter().all(|g| g.len() == 4));
    assert!(is_token(&groups.concat()));
    assert!(human.stdout.contains("shown once"));

    let porcelain = appw
        .run(&["create", "--user", "deploy", "cron", "--porcelain"])
        .ok();
    assert!(
        is_token(porcelain.stdout.strip_suffix('\n').unwrap()),
        "{porcelain:?}"
    );
    assert_eq!(porcelain.stdout.lines().count(), 1);

    let json = appw
        .run(&[
            "create", "--user", "deploy", "zapier", "--app-id", "b4f1", "--json",
        ])
        .ok()
        .json();
    for key in CONTRACT_KEYS {
        assert!(json.get(key).is_some(), "missing {key} in {json}");
    }
    assert!(is_token(json["password"].as_str().unwrap()));
    assert_eq!(json["app_id"], "b4f1");
    assert_eq!(json["use_count"], 0);
    assert!(json["last_used"].is_null());
    assert_eq!(
        &json["password"].as_str().unwrap()[4..16],
        json["id"].as_str().unwrap()
    );

    // Once: list, show and log never show it again.
    let password = json["password"].as_str().unwrap();
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", json["id"].as_str().unwrap()],
        &["log", "--json"],
    ] {
        let out = appw.run(args).ok();
        assert!(
            !out.stdout.contains(password) && !out.stderr.contains(password),
            "{args:?}"
        );
    }
}

#[test]
fn list_shows_the_contract_keys_and_a_table() {
    let appw = Appw::new();
    assert_eq!(appw.list().len(), 0);
    appw.create("alice", "laptop");
    appw.create("bob", "ci");
    let all = appw.list();
    assert_eq!(all.len(), 2);
    for c in &all {
        for key in CONTRACT_KEYS {
            assert!(c.get(key).is_some(), "{key}");
        }
        assert!(c.get("password").is_none() && c.get("hash").is_none());
        assert!(c["created"].as_str().unwrap().ends_with('Z'));
        // Fresh and never used.
        assert_eq!(c["use_count"], 0, "{c}");
        for key in ["last_used", "expires_at", "app_id"] {
            assert!(c[key].is_null(), "{key}: {c}");
        }
    }
    let only_bob = appw.run(&["list", "--user", "bob", "--json"]).ok().json();
    assert_eq!(only_bob.as_array().unwrap().len(), 1);
    assert_eq!(only_bob[0]["user"], "bob");

    let table = appw.run(&["list"]).ok().stdout;
    for text in [
        "ID",
        "USER",
        "NAME",
        "LAST USED",
        "USES",
        "laptop",
        "ci",
        "never",
    ] {
        assert!(table.contains(text), "{text} missing from\n{table}");
    }
}
