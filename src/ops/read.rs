//! Reading credentials and the log, and the log's upkeep: `show`, `list`, `log`, `prune`.

use super::{Ctx, Target, resolve, user_filter};
use crate::error::{Error, Result};
use crate::store::{Credential, Event, ListFilter, LogFilter, Store, Timestamp};
use crate::when;

/// One credential, revoked or not.
pub fn show(store: &mut dyn Store, target: &Target) -> Result<Credential> {
    resolve(store, target)
}

/// Which active credentials to list: of `user`; only expired ones; or only those expiring
/// within `expiring` (a duration such as `30d`).
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub user: Option<String>,
    pub expired_only: bool,
    pub expiring: Option<String>,
}

/// Active credentials, by user then creation; none without a store. A read takes the clock
/// alone: it changes nothing, so no one acts.
pub fn list(
    store: Option<&mut (dyn Store + 'static)>,
    now: Timestamp,
    req: &ListRequest,
) -> Result<Vec<Credential>> {
    let filter = ListFilter {
        user: user_filter(req.user.as_deref())?,
        expired_only: req.expired_only,
        expiring_before: req
            .expiring
            .as_deref()
            .map(|d| when::parse_duration(d, "expiring").map(|secs| now + secs))
            .transpose()?,
    };
    match store {
        Some(store) => store.list(&filter, now),
        None => Ok(Vec::new()),
    }
}

/// Which events to read: about `user` (and store-wide ones); since a WHEN (a duration ago
/// or an RFC 3339 time).
#[derive(Debug, Clone, Default)]
pub struct LogRequest {
    pub user: Option<String>,
    pub since: Option<String>,
}

/// The audit log, oldest first; nothing without a store.
pub fn log(
    store: Option<&mut (dyn Store + 'static)>,
    now: Timestamp,
    req: &LogRequest,
) -> Result<Vec<Event>> {
    let filter = LogFilter {
        user: user_filter(req.user.as_deref())?,
        since: req
            .since
            .as_deref()
            .map(|s| when::parse_past(s, now, "since"))
            .transpose()?,
    };
    match store {
        Some(store) => store.events(&filter),
        None => Ok(Vec::new()),
    }
}

/// What pruning did: how many events went, and the cut-off it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub count: u64,
    pub before: Timestamp,
}

/// Deletes the events before `before` (a WHEN in the past) and records that it did. A
/// time in the future is refused: it would delete events written a moment ago.
pub fn prune(store: Option<&mut (dyn Store + 'static)>, ctx: &Ctx, before: &str) -> Result<Pruned> {
    let before = when::parse_past(before, ctx.now, "before")?;
    if before > ctx.now {
        return Err(Error::invalid(
            "before",
            format!(
                "{} is in the future; pruning deletes the events before it, so give a past \
                 time or a duration (180d)",
                when::rfc3339(before)
            ),
        ));
    }
    let count = match store {
        Some(store) => store.prune_events(before, ctx.now, &ctx.actor.to_string())?,
        None => 0,
    };
    Ok(Pruned { count, before })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NOW, ctx, store};
    use super::super::{CreateRequest, create};
    use super::*;

    #[test]
    fn list_filters_and_a_missing_store_lists_nothing() {
        let (_dir, mut store) = store();
        let ctx = ctx();
        let soon = CreateRequest {
            expires: Some("1d".into()),
            ..CreateRequest::new("a", "soon")
        };
        create(store.as_mut(), &ctx, soon).unwrap();
        create(store.as_mut(), &ctx, CreateRequest::new("b", "later")).unwrap();
        let expiring = ListRequest {
            expiring: Some("2d".into()),
            ..ListRequest::default()
        };
        let found = list(Some(store.as_mut()), ctx.now, &expiring).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "soon");
        assert_eq!(list(None, ctx.now, &ListRequest::default()).unwrap(), []);
        let bad = ListRequest {
            expiring: Some("soon".into()),
            ..ListRequest::default()
        };
        let err = list(None, ctx.now, &bad).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Invalid {
                    field: "expiring",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn prune_refuses_the_future_and_says_what_it_deleted() {
        let (_dir, mut store) = store();
        let mut ctx = ctx();
        create(store.as_mut(), &ctx, CreateRequest::new("a", "ci")).unwrap();
        let future = prune(Some(store.as_mut()), &ctx, "2099-01-01T00:00:00Z");
        assert!(matches!(
            future,
            Err(Error::Invalid {
                field: "before",
                ..
            })
        ));
        ctx.now += 7 * 86_400;
        let pruned = prune(Some(store.as_mut()), &ctx, "1d").unwrap();
        assert_eq!(
            pruned,
            Pruned {
                count: 1,
                before: ctx.now - 86_400
            }
        );
        let events = log(Some(store.as_mut()), ctx.now, &LogRequest::default()).unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["pruned"]);
        let since = LogRequest {
            since: Some("1h".into()),
            ..LogRequest::default()
        };
        assert_eq!(log(Some(store.as_mut()), ctx.now, &since).unwrap().len(), 1);
        assert!(NOW < ctx.now);
    }
}
