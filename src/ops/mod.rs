//! The core: one value-returning operation per use case. Every front (the CLI in `cmd`, the
//! JSON API and the screen) translates its request into one of these and renders what comes
//! back; none prints, parses arguments or knows an exit code.
//!
//! The domain rules live here: validating what reaches the store (each invalid value names
//! its field), finding a credential by id, prefix or name, issuing (generate, hash, retry on
//! an id clash), rotate's expiry renewal, create's duplicate check, revoke's de-duplication,
//! update's "nothing to change", rotate keeping a pause. Issuing hands the password back; delivering it, and what to
//! do when delivery fails, is the front's business.
//!
//! Reads that a missing store answers with "nothing" (`list`, `log`, `count_active`,
//! `revoke_all`, `prune`) take `Option<&mut (dyn Store + 'static)>`: a front that may find no store
//! yet passes `None`, and the request is still validated.

mod actor;
mod change;
mod issue;
mod read;
mod revoke;

pub use actor::Actor;
pub use change::{
    NOTHING_TO_CHANGE, Renamed, Switched, UpdateRequest, disable, enable, rename, update,
};
pub use issue::{CreateRequest, Issued, create, rotate};
pub use read::{ListRequest, LogRequest, Pruned, list, log, prune, show};
pub use revoke::{count_active, revoke, revoke_all};

use crate::error::{Error, Result};
use crate::input;
use crate::secret::redact::quoted;
use crate::secret::{Hasher, Token};
use crate::store::{Credential, Store, Timestamp};

/// What every operation may need besides its request: argon2 at the hashing policy (the
/// front's [`Hasher`], which owns its memory), the clock, and who is acting.
pub struct Ctx<'a> {
    pub hasher: &'a Hasher,
    pub now: Timestamp,
    pub actor: Actor,
}

/// The credential an operation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A full id, or a prefix of at least 8 characters that names one credential.
    Id(String),
    /// The user's active credential with this name (case-insensitive).
    Name { user: String, name: String },
}

/// The credential a target names (revoked or not, for an id; active, for a name).
pub fn resolve(store: &mut dyn Store, target: &Target) -> Result<Credential> {
    match target {
        Target::Id(id) => store.get(&id_prefix(id)?),
        Target::Name { user, name } => {
            let (user, name) = (input::user(user)?, input::name(name)?);
            store.find_by_name(&user, &name)?.ok_or_else(|| {
                Error::NotFound(format!(
                    "user {} has no active credential named {}",
                    quoted(&user),
                    quoted(&name)
                ))
            })
        }
    }
}

/// Checks the shape of an id: a full id, or a prefix of at least 8 characters.
pub fn id_prefix(raw: &str) -> Result<String> {
    let id = raw.trim();
    let invalid = |message: String| Err(Error::invalid("id", message));
    if !crate::secret::token::looks_like_id_prefix(id) {
        // A pasted password (or something as long) is never echoed: errors carry no secret.
        if let Ok(token) = Token::parse(raw) {
            return invalid(format!(
                "that is a password, not a credential id; its id is {}",
                token.id()
            ));
        }
        if raw.chars().count() > crate::secret::token::ID_LEN + 4 {
            return invalid(
                "the argument is not a credential id (ids are 12 lowercase letters and digits)"
                    .into(),
            );
        }
        return invalid(format!(
            "{} is not a credential id (ids are 12 lowercase letters and digits)",
            quoted(raw)
        ));
    }
    if id.len() < 8 {
        return invalid(format!(
            "the id prefix {} is too short; give at least 8 characters",
            quoted(id)
        ));
    }
    Ok(id.to_string())
}

/// The user a list, log, count or revoke-all is about, as the store spells it (trimmed,
/// validated): what a front shows as "whose" (each of those operations applies it itself).
pub fn user_filter(user: Option<&str>) -> Result<Option<String>> {
    user.map(input::user).transpose()
}

#[cfg(test)]
pub(crate) mod testing {
    //! A real store in a temporary folder, and a context with cheap hashing.

    use super::{Actor, Ctx};
    use crate::secret::memory::{Arena, Reuse, Strategy};
    use crate::secret::{Hasher, KdfParams};
    use crate::store::{Access, Store, sqlite::SqliteStore};

    pub const NOW: i64 = 1_800_000_000;

    pub fn store() -> (tempfile::TempDir, Box<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("credentials.db"), Access::Create)
            .unwrap()
            .unwrap();
        (dir, Box::new(store))
    }

    pub fn ctx() -> Ctx<'static> {
        let policy: KdfParams = "m=64,t=1,p=1".parse().unwrap();
        let arena = Arena::new(Strategy::Ordinary, Reuse::WipeNow);
        Ctx {
            hasher: Box::leak(Box::new(Hasher::new(policy, arena))),
            now: NOW,
            actor: Actor::Cli {
                os_user: "tester".into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_checked_before_the_store_is_asked() {
        assert_eq!(id_prefix(" abcd1234 ").unwrap(), "abcd1234");
        for bad in ["abc", "ABCD1234", "abcd-1234", &"a".repeat(40)] {
            let err = id_prefix(bad).unwrap_err();
            assert!(
                matches!(err, Error::Invalid { field: "id", .. }),
                "{bad}: {err:?}"
            );
        }
        let token = Token::generate();
        let err = id_prefix(token.as_str()).unwrap_err().to_string();
        assert!(
            !err.contains(token.as_str()) && err.contains(token.id()),
            "{err}"
        );
    }

    #[test]
    fn targets_resolve_by_prefix_and_by_name() {
        let (_dir, mut store) = testing::store();
        let ctx = testing::ctx();
        let issued = create(store.as_mut(), &ctx, CreateRequest::new("deploy", "CI")).unwrap();
        let id = issued.credential.id.clone();
        let by_prefix = resolve(store.as_mut(), &Target::Id(id[..8].into())).unwrap();
        assert_eq!(by_prefix.id, id);
        let by_name = Target::Name {
            user: "deploy".into(),
            name: "ci".into(),
        };
        assert_eq!(resolve(store.as_mut(), &by_name).unwrap().id, id);
        let missing = Target::Name {
            user: "deploy".into(),
            name: "other".into(),
        };
        assert!(matches!(
            resolve(store.as_mut(), &missing),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            resolve(store.as_mut(), &Target::Id("zzzzzzzz".into())),
            Err(Error::UnknownId(_))
        ));
    }
}
