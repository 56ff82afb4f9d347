//! Meaning both backends share, so that each writes only its SQL: what `update` changes,
//! how lists are stored, the refusals they give, the events' details, and name keys.

use super::{Credential, NewEvent, Timestamp, kind};
use crate::error::{Error, Result};

/// What `update` changes; `None` leaves an attribute as it is. A new name is recorded as
/// a `renamed` event, pausing as `disabled` or `enabled`, the rest as one `updated` event,
/// all in the same transaction.
#[derive(Debug, Default, Clone)]
pub struct Changes {
    pub name: Option<String>,
    pub disabled: Option<bool>,
    pub scopes: Option<Vec<String>>,
    pub allow_from: Option<Vec<String>>,
    pub expires_at: Option<Option<Timestamp>>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.disabled.is_none() && !self.sets_attributes()
    }

    /// Whether it changes anything an `updated` event records (all but the name and
    /// pausing).
    pub fn sets_attributes(&self) -> bool {
        self.scopes.is_some() || self.allow_from.is_some() || self.expires_at.is_some()
    }

    /// How a refusal names the change: "it cannot be renamed".
    pub(crate) fn done(&self) -> &'static str {
        match (&self.name, self.disabled, self.sets_attributes()) {
            (Some(_), None, false) => "renamed",
            (None, Some(true), false) => "disabled",
            (None, Some(false), false) => "enabled",
            _ => "updated",
        }
    }

    /// The pausing to write: the state wanted, when it differs from `current` (disabling a
    /// disabled credential writes nothing).
    pub fn pause(&self, current: bool) -> Option<bool> {
        self.disabled.filter(|&wanted| wanted != current)
    }

    /// The events these changes record on a credential now named `current_name` and
    /// paused or not (`current_disabled`), in order: `renamed`, then `disabled` or
    /// `enabled`, then `updated`. Each is written under the credential's new name. Empty
    /// when nothing changes.
    pub fn events(&self, current_name: &str, current_disabled: bool) -> Vec<Change> {
        let mut events = Vec::new();
        if self.name.is_some() {
            events.push(Change {
                kind: kind::RENAMED,
                detail: Some(detail::renamed(current_name)),
            });
        }
        if let Some(wanted) = self.pause(current_disabled) {
            events.push(Change {
                kind: if wanted {
                    kind::DISABLED
                } else {
                    kind::ENABLED
                },
                detail: None,
            });
        }
        if self.sets_attributes() {
            events.push(Change {
                kind: kind::UPDATED,
                detail: Some(self.detail()),
            });
        }
        events
    }

    /// The `updated` event's detail: what was set, in the store's own words.
    pub fn detail(&self) -> String {
        let mut parts = Vec::new();
        if let Some(scopes) = &self.scopes {
            parts.push(format!("scopes={}", list_text(scopes)));
        }
        if let Some(networks) = &self.allow_from {
            parts.push(format!("allow_from={}", list_text(networks)));
        }
        if let Some(expires_at) = self.expires_at {
            parts.push(match expires_at {
                Some(at) => format!("expires_at={at}"),
                None => "expires_at=never".into(),
            });
        }
        parts.join(" ")
    }
}

/// One event a change records (see [`Changes::events`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: &'static str,
    pub detail: Option<String>,
}

impl Change {
    /// The event, about credential `id` of `user` under its (new) `name`.
    pub fn event<'a>(
        &'a self,
        at: Timestamp,
        user: &'a str,
        id: &'a str,
        name: &'a str,
        actor: &'a str,
    ) -> NewEvent<'a> {
        NewEvent::about(self.kind, at, user, id, name)
            .detail(self.detail.as_deref())
            .by(actor)
    }
}

/// Scopes and networks as one column: space-separated (neither can hold a space).
pub fn list_text(items: &[String]) -> String {
    items.join(" ")
}

/// The inverse of [`list_text`].
pub fn text_list(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// `import` only fills an empty store: merging two stores' logs and names is not a copy.
pub(crate) fn check_empty(credentials: i64, events: i64) -> Result<()> {
    if credentials > 0 || events > 0 {
        return Err(Error::Conflict(format!(
            "the destination store is not empty ({credentials} credentials, {events} events); \
             copy-store only fills an empty store"
        )));
    }
    Ok(())
}

/// Refusal of a change to a revoked credential: "credential ID is {how}".
pub(crate) fn refuse_revoked(id: &str, how: &str) -> Error {
    Error::Conflict(format!("credential {id} is {how}"))
}

/// The `detail` of the events both backends write the same way.
pub(crate) mod detail {
    pub fn revoke_all(count: impl std::fmt::Display) -> String {
        format!("count={count}")
    }

    pub fn pruned(count: impl std::fmt::Display) -> String {
        format!("count={count}")
    }

    pub fn rotated(old_id: &str) -> String {
        format!("replaced {old_id}")
    }

    pub fn renamed(old_name: &str) -> String {
        format!("was {old_name:?}")
    }
}

/// Refusal of a second active credential with the same name (case-insensitive) for a user.
pub fn duplicate_name(user: &str, name: &str) -> Error {
    Error::Conflict(format!(
        "user {} already has an active credential named {}; pick another name or \
         revoke that one first",
        crate::secret::redact::quoted(user),
        crate::secret::redact::quoted(name)
    ))
}

/// The refusal of an id or prefix no credential has.
pub(crate) fn unknown_id(query: &str) -> Error {
    Error::UnknownId(format!(
        "no credential has the id {}",
        crate::secret::redact::quoted(query)
    ))
}

/// The single credential an id or prefix names, or why there is none.
pub(crate) fn one_match(query: &str, mut found: Vec<Credential>) -> Result<Credential> {
    match found.len() {
        0 => Err(unknown_id(query)),
        1 => Ok(found.remove(0)),
        _ => Err(Error::Ambiguous(format!(
            "the id prefix {} matches more than one credential; give more characters",
            crate::secret::redact::quoted(query)
        ))),
    }
}

/// The key names are unique on: full Unicode case folding, so names that differ only in
/// case in any script are one name (`Straße` = `STRASSE`, `ΟΔΟΣ` = `οδοσ`), which plain
/// lower-casing misses.
pub fn name_key(name: &str) -> String {
    unicase::UniCase::new(name).to_folded_case()
}

/// The schema version from which stored name keys are [`name_key`]'s case folding (before,
/// they were lower-cased); the migration to it recomputes every key with [`refolded_keys`].
pub const FOLDED_NAME_KEYS: usize = 4;

/// One stored credential as the name-key migration reads it.
pub struct KeyedRow {
    pub id: String,
    pub user: String,
    pub name: String,
    pub active: bool,
}

/// New name keys for stored credentials (given oldest first), as `(id, key)`. Names that
/// were distinct under lower-casing may fold alike (`Straße` and `STRASSE`, both active for
/// one user): the oldest keeps the folded key, so `--name` finds it, and each later one gets
/// a key no name folds to (the folded name, U+0001, its id), so both stay usable and nothing
/// is revoked behind the admin's back; renaming it gives it an ordinary key again.
pub fn refolded_keys(rows: impl IntoIterator<Item = KeyedRow>) -> Vec<(String, String)> {
    let mut taken = std::collections::HashSet::new();
    rows.into_iter()
        .map(|row| {
            let key = name_key(&row.name);
            let key = if row.active && !taken.insert((row.user, key.clone())) {
                format!("{key}\u{1}{}", row.id)
            } else {
                key
            };
            (row.id, key)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_change_records_its_event_and_no_change_none() {
        let kinds = |changes: &Changes, disabled| -> Vec<&str> {
            changes
                .events("old", disabled)
                .iter()
                .map(|c| c.kind)
                .collect()
        };
        let all = Changes {
            name: Some("new".into()),
            disabled: Some(true),
            scopes: Some(vec!["deploy".into()]),
            ..Changes::default()
        };
        assert_eq!(
            kinds(&all, false),
            [kind::RENAMED, kind::DISABLED, kind::UPDATED]
        );
        assert_eq!(
            all.events("old", false)[0].detail.as_deref(),
            Some("was \"old\"")
        );
        assert_eq!(
            all.events("old", false)[2].detail.as_deref(),
            Some("scopes=deploy")
        );
        let enable = Changes {
            disabled: Some(false),
            ..Changes::default()
        };
        assert_eq!(kinds(&enable, true), [kind::ENABLED]);
        assert!(kinds(&enable, false).is_empty(), "already enabled");
        assert!(kinds(&Changes::default(), true).is_empty());
    }
}
