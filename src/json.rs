//! The JSON contract: one serde type per shape, used by every `--json` and by the HTTP
//! API, so a key is named in one place. Keys may be added, never renamed or removed; the
//! man pages' key tables are checked against these types (tests/it/json_contract.rs).
//!
//! Times are RFC 3339 UTC strings, absent values `null`. Never a hash; a password only in
//! [`IssuedJson`], borrowed from the token (so no copy of it is left to zeroize).

use serde::Serialize;

use crate::error::Error;
use crate::store::{Credential, Event, Timestamp};
use crate::when;

fn time(at: Option<Timestamp>) -> Option<String> {
    at.map(when::rfc3339)
}

/// A credential, as `list --json`, `show --json` and the API print it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialJson {
    pub id: String,
    pub user: String,
    pub name: String,
    pub app_id: Option<String>,
    pub created: String,
    pub last_used: Option<String>,
    pub last_source: Option<String>,
    pub use_count: i64,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub last_failed: Option<String>,
    pub last_failed_source: Option<String>,
    pub revoked_at: Option<String>,
    pub scopes: Vec<String>,
    pub allow_from: Vec<String>,
    pub disabled: bool,
}

impl CredentialJson {
    /// `expired` is as of `now`.
    pub fn new(c: &Credential, now: Timestamp) -> CredentialJson {
        CredentialJson {
            id: c.id.clone(),
            user: c.user.clone(),
            name: c.name.clone(),
            app_id: c.app_id.clone(),
            created: when::rfc3339(c.created),
            last_used: time(c.last_used),
            last_source: c.last_source.clone(),
            use_count: c.use_count,
            expires_at: time(c.expires_at),
            expired: c.is_expired(now),
            last_failed: time(c.last_failed),
            last_failed_source: c.last_failed_source.clone(),
            revoked_at: time(c.revoked_at),
            scopes: c.scopes.clone(),
            allow_from: c.allow_from.clone(),
            disabled: c.disabled,
        }
    }
}

/// A credential just issued (`create`, `rotate`): the credential's keys and `password`.
#[derive(Serialize)]
pub struct IssuedJson<'a> {
    #[serde(flatten)]
    pub credential: CredentialJson,
    pub password: &'a str,
}

/// One event of the audit log, as `log --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventJson {
    pub seq: i64,
    pub at: String,
    pub event: String,
    pub user: Option<String>,
    pub credential_id: Option<String>,
    pub name: Option<String>,
    pub source: Option<String>,
    pub detail: Option<String>,
    pub count: i64,
    pub actor: Option<String>,
}

impl From<&Event> for EventJson {
    fn from(e: &Event) -> EventJson {
        EventJson {
            seq: e.seq,
            at: when::rfc3339(e.at),
            event: e.kind.clone(),
            user: e.user.clone(),
            credential_id: e.credential_id.clone(),
            name: e.name.clone(),
            source: e.source.clone(),
            detail: e.detail.clone(),
            count: e.count,
            actor: e.actor.clone(),
        }
    }
}

/// What `revoke-all` did: how many, and whose (`null`: the whole store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokedJson {
    pub revoked: u64,
    pub user: Option<String>,
}

/// What `log --prune` did: how many events went, and the cut-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrunedJson {
    pub pruned: u64,
    pub before: String,
}

impl PrunedJson {
    pub fn new(pruned: u64, before: Timestamp) -> PrunedJson {
        PrunedJson {
            pruned,
            before: when::rfc3339(before),
        }
    }
}

/// A successful `verify --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedJson {
    pub valid: bool,
    pub id: String,
    pub user: String,
    pub name: String,
}

/// An error over HTTP: one line, naming the field of an invalid value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorJson {
    pub error: String,
}

impl From<&Error> for ErrorJson {
    fn from(err: &Error) -> ErrorJson {
        ErrorJson {
            error: crate::text::clean(&err.naming_field()).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential() -> Credential {
        Credential {
            id: "abcd1234efgh".into(),
            user: "deploy".into(),
            name: "ci".into(),
            app_id: None,
            created: 0,
            last_used: Some(60),
            last_source: None,
            use_count: 1,
            expires_at: Some(120),
            last_failed: None,
            last_failed_source: None,
            revoked_at: None,
            scopes: vec!["deploy".into()],
            allow_from: Vec::new(),
            disabled: false,
        }
    }

    #[test]
    fn a_credential_reads_as_the_contract_says() {
        let json = serde_json::to_value(CredentialJson::new(&credential(), 120)).unwrap();
        assert_eq!(json["created"], "1970-01-01T00:00:00Z");
        assert_eq!(json["last_used"], "1970-01-01T00:01:00Z");
        assert!(json["app_id"].is_null() && json["revoked_at"].is_null());
        assert_eq!(json["expired"], true);
        assert_eq!(json["scopes"], serde_json::json!(["deploy"]));
        assert_eq!(json["allow_from"], serde_json::json!([]));
    }

    #[test]
    fn an_issued_credential_is_the_credential_plus_its_password() {
        let issued = IssuedJson {
            credential: CredentialJson::new(&credential(), 0),
            password: "secret",
        };
        let json = serde_json::to_value(&issued).unwrap();
        let plain = serde_json::to_value(CredentialJson::new(&credential(), 0)).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.retain(|k| k != "password");
        let plain_keys: Vec<_> = plain.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, plain_keys);
        assert_eq!(json["password"], "secret");
    }

    #[test]
    fn an_error_names_the_field() {
        let err = Error::invalid("expires", "'x' is not a duration");
        assert_eq!(
            serde_json::to_value(ErrorJson::from(&err)).unwrap(),
            serde_json::json!({"error": "expires: 'x' is not a duration"})
        );
    }
}
