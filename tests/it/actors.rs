//! Who acted: every event that changes something names its actor (`cli:` and the
//! operating-system user who ran appw); uses and rejections name none. Stores written
//! before actors were recorded migrate with none.

use crate::harness::{Appw, forge};

/// `cli:` and the name `id -un` gives for this process's user.
fn this_user() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    assert!(out.status.success());
    format!("cli:{}", String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn every_change_names_its_actor_and_uses_name_none() {
    let appw = Appw::new();
    let (id, password) = appw.create("deploy", "ci");
    appw.verify("deploy", &password).ok();
    appw.verify("deploy", &forge(&password)).code(1);
    appw.run(&["update", &id, "--scope", "deploy"]).ok();
    appw.run(&["rename", &id, "nightly"]).ok();
    appw.run(&["disable", &id]).ok();
    appw.run(&["enable", &id]).ok();
    let rotated = appw.run(&["rotate", &id, "--json"]).ok().json();
    let new_id = rotated["id"].as_str().unwrap();
    appw.run(&["revoke", new_id]).ok();
    appw.create("ops", "backup");
    appw.run(&["revoke-all", "--yes"]).ok();
    appw.run(&["log", "--prune", "3650d"]).ok();

    let actor = this_user();
    let events = appw.log(&[]);
    let mut kinds = Vec::new();
    for e in &events {
        let kind = e["event"].as_str().unwrap();
        kinds.push(kind);
        match kind {
            "verified" | "rejected" | "expired-on-use" => {
                assert!(e["actor"].is_null(), "{e}")
            }
            _ => assert_eq!(e["actor"], actor.as_str(), "{e}"),
        }
    }
    for kind in [
        "created",
        "verified",
        "rejected",
        "updated",
        "renamed",
        "disabled",
        "enabled",
        "rotated",
        "revoked",
        "revoke-all",
        "pruned",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let table = appw.run(&["log"]).ok().stdout;
    assert!(table.contains("ACTOR") && table.contains(&actor), "{table}");
}

/// A store written by appw 0.1.0 (tests/fixtures) migrates to one where nothing is
/// paused and no old event names an actor; the next change does.
#[test]
fn a_0_1_0_store_migrates_with_nothing_paused_and_no_actors() {
    let appw = Appw::sqlite();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    std::fs::create_dir_all(appw.path().parent().unwrap()).unwrap();
    std::fs::copy(fixtures.join("store-0.1.0.db"), appw.path()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(appw.path(), std::fs::Permissions::from_mode(0o600)).unwrap();

    let listed = appw.list();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|c| c["disabled"] == false), "{listed:?}");
    let old = appw.log(&[]);
    assert!(!old.is_empty());
    assert!(old.iter().all(|e| e["actor"].is_null()), "{old:?}");

    let id = listed[0]["id"].as_str().unwrap();
    appw.run(&["disable", id]).ok();
    let last = appw.log(&[]).pop().unwrap();
    assert_eq!(last["event"], "disabled");
    assert_eq!(last["actor"], this_user().as_str());
}
