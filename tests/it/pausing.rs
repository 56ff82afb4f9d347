//! Pausing a credential: `disable` refuses it everywhere (reason `disabled`, after the
//! password, as expiry is) while it keeps its hash, attributes and history; `enable` brings
//! it back as it was. `list` shows it marked, `--json` says `disabled`.

use crate::harness::{Appw, forge};
use crate::serve::Server;

#[test]
fn disable_refuses_a_credential_until_enable_brings_it_back_as_it_was() {
    let appw = Appw::new();
    let created = appw
        .run(&[
            "create", "--user", "deploy", "ci", "--scope", "deploy", "--json",
        ])
        .ok()
        .json();
    let (id, password) = (
        created["id"].as_str().unwrap().to_string(),
        created["password"].as_str().unwrap().to_string(),
    );
    assert_eq!(created["disabled"], false);
    appw.verify("deploy", &password).ok();

    let out = appw.run(&["disable", &id[..8]]).ok();
    assert_eq!(out.stdout, format!("Disabled {id} (deploy: ci)\n"));
    let refused = appw.verify("deploy", &password).code(1).one_error_line();
    assert!(
        refused.stderr.contains("the credential is disabled"),
        "{refused:?}"
    );
    // A wrong password is still a wrong password: a pause tells nothing to a guesser.
    let wrong = crate::harness::forge(&password);
    let out = appw.verify("deploy", &wrong).code(1);
    assert!(!out.stderr.contains("disabled"), "{out:?}");

    let listed = appw.list();
    assert_eq!(listed.len(), 1, "a paused credential is still listed");
    assert_eq!(listed[0]["disabled"], true);
    assert_eq!(appw.show(&id)["disabled"], true);
    let table = appw.run(&["list"]).ok().stdout;
    assert!(table.contains("DISABLED"), "{table}");
    let details = appw.run(&["show", &id]).ok().stdout;
    assert!(details.contains("disabled"), "{details}");

    let enabled = appw.run(&["enable", &id, "--json"]).ok().json();
    assert_eq!(enabled["disabled"], false);
    assert_eq!(
        enabled["scopes"],
        serde_json::json!(["deploy"]),
        "as it was"
    );
    appw.verify("deploy", &password).ok();
    assert_eq!(appw.show(&id)["use_count"], 2, "history kept");
    assert!(!appw.run(&["list"]).ok().stdout.contains("DISABLED"));

    let told: Vec<(String, String)> = appw
        .log(&[])
        .iter()
        .map(|e| {
            let detail = e["detail"].as_str().unwrap_or_default().to_string();
            (e["event"].as_str().unwrap().to_string(), detail)
        })
        .collect();
    let kinds: Vec<&str> = told.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "created", "verified", "disabled", "rejected", "rejected", "enabled", "verified"
        ]
    );
    assert_eq!(told[3].1, "the credential is disabled");
}

#[test]
fn rotate_keeps_a_pause_and_update_does_not_lift_it() {
    let appw = Appw::new();
    let (id, _) = appw.create("deploy", "ci");
    appw.run(&["disable", &id]).ok();
    let again = appw.run(&["disable", &id]).ok();
    assert_eq!(
        again.stdout,
        format!("{id} (deploy: ci) was already disabled; nothing changed\n")
    );
    let updated = appw
        .run(&["update", &id, "--scope", "deploy", "--json"])
        .ok()
        .json();
    assert_eq!(updated["disabled"], true);
    let rotated = appw.run(&["rotate", &id, "--json"]).ok().json();
    assert_eq!(rotated["disabled"], true, "{rotated}");
    let password = rotated["password"].as_str().unwrap();
    appw.verify("deploy", password).code(1);
    let new_id = rotated["id"].as_str().unwrap();
    appw.run(&["enable", new_id]).ok();
    appw.verify("deploy", password).ok();
    let paused = appw
        .log(&[])
        .iter()
        .filter(|e| e["event"] == "disabled")
        .count();
    assert_eq!(paused, 1, "a second disable records nothing");
}

#[test]
fn only_an_existing_active_credential_can_be_paused() {
    let appw = Appw::new();
    let (id, _) = appw.create("deploy", "ci");
    appw.run(&["revoke", &id]).ok();
    let out = appw.run(&["disable", &id]).code(3).one_error_line();
    assert!(out.stderr.contains("revoked"), "{out:?}");
    appw.run(&["enable", &id]).code(3).one_error_line();
    let out = appw
        .run(&["disable", "zzzzzzzzzzzz"])
        .code(3)
        .one_error_line();
    assert!(out.stderr.contains("see appw list"), "{out:?}");
    appw.run(&["disable", "not an id"]).code(2).one_error_line();
    appw.run(&["disable"]).code(2);
}

#[test]
fn a_pause_takes_effect_on_the_servers_next_request() {
    let appw = Appw::new();
    let (id, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &[]);
    assert_eq!(server.auth("deploy", &password), 204);
    let (hits, spent) = (server.metric("appw_cache_hits_total"), server.evaluations());
    assert_eq!(server.auth("deploy", &password), 204, "warm");
    assert_eq!(
        (server.metric("appw_cache_hits_total"), server.evaluations()),
        (hits + 1, spent),
        "the second request is answered from the cache, without argon2"
    );
    appw.run(&["disable", &id]).ok();
    assert_eq!(
        server.auth("deploy", &password),
        401,
        "paused in another process"
    );
    assert_eq!(server.auth("deploy", &password), 401, "and again");
    appw.run(&["enable", &id]).ok();
    assert_eq!(server.auth("deploy", &password), 204, "back");
    server.stop_logging("reason=\"the credential is disabled\"");
}

#[test]
fn copy_store_keeps_pauses_and_actors() {
    let appw = Appw::new();
    let (id, _) = appw.create("deploy", "ci");
    appw.create("deploy", "other");
    appw.run(&["disable", &id]).ok();
    let dest = Appw::sqlite();
    appw.run(&["copy-store", "--to", &dest.db]).ok();
    let copied: Vec<(String, bool)> = dest
        .list()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().into(), c["disabled"] == true))
        .collect();
    assert!(copied.contains(&(id.clone(), true)), "{copied:?}");
    assert_eq!(copied.iter().filter(|(_, d)| *d).count(), 1);
    assert_eq!(dest.log(&[]), appw.log(&[]), "the log, actors and all");
}

#[test]
fn a_paused_credentials_first_request_costs_one_evaluation_like_a_wrong_password() {
    let appw = Appw::new();
    let (id, password) = appw.create("deploy", "ci");
    appw.run(&["disable", &id]).ok();
    let server = Server::start(&appw, &["--max-failures", "1000"]);
    let cost = |password: &str| {
        let before = server.evaluations();
        assert_eq!(server.auth("deploy", password), 401);
        server.evaluations() - before
    };
    assert_eq!(cost(&password), 1, "paused, right password");
    assert_eq!(cost(&forge(&password)), 1, "paused, wrong password");
    server.stop();
}
