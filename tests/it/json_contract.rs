//! The JSON contract lives in one place, `appw::json`: every `--json` key a man page
//! documents is a key of its type, and every key of the type is documented, in order.

use appw::json::{CredentialJson, EventJson, IssuedJson, PrunedJson, RevokedJson, VerifiedJson};
use appw::store::{Credential, Event};

use crate::shell::assets::json_output;

fn keys(value: impl serde::Serialize) -> Vec<String> {
    match serde_json::to_value(value).unwrap() {
        serde_json::Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("not an object: {other}"),
    }
}

fn documented(command: &str) -> Vec<String> {
    let (_, keys) = json_output(command).expect("documented");
    keys.iter().map(|(k, _)| k.to_string()).collect()
}

fn credential() -> Credential {
    Credential {
        id: "abcd1234efgh".into(),
        user: "deploy".into(),
        name: "ci".into(),
        app_id: None,
        created: 0,
        last_used: None,
        last_source: None,
        use_count: 0,
        expires_at: None,
        last_failed: None,
        last_failed_source: None,
        revoked_at: None,
        scopes: Vec::new(),
        allow_from: Vec::new(),
        disabled: false,
    }
}

#[test]
fn credential_keys_are_the_documented_ones() {
    let json = keys(CredentialJson::new(&credential(), 0));
    for command in [
        "list", "show", "rename", "update", "revoke", "disable", "enable",
    ] {
        assert_eq!(json, documented(command), "{command}");
    }
    let issued = IssuedJson {
        credential: CredentialJson::new(&credential(), 0),
        password: "not a real one",
    };
    for command in ["create", "rotate"] {
        assert_eq!(keys(&issued), documented(command), "{command}");
    }
}

#[test]
fn log_revoke_all_and_verify_keys_are_the_documented_ones() {
    let event = Event {
        seq: 1,
        at: 0,
        kind: "created".into(),
        user: None,
        credential_id: None,
        name: None,
        source: None,
        detail: None,
        count: 1,
        actor: None,
    };
    let mut log = keys(EventJson::from(&event));
    log.extend(keys(PrunedJson::new(0, 0)));
    assert_eq!(log, documented("log"));
    let revoked = RevokedJson {
        revoked: 0,
        user: None,
    };
    assert_eq!(keys(revoked), documented("revoke-all"));
    let verified = VerifiedJson {
        valid: true,
        id: String::new(),
        user: String::new(),
        name: String::new(),
    };
    assert_eq!(keys(verified), documented("verify"));
}
