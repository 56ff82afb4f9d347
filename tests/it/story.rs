//! One story for every backend, told through the `Store` trait itself (as atuin's
//! `db_story`): the same calls and the same answers from SQLite and PostgreSQL. The suite
//! runs once per backend, so this one test covers both.

use appw::error::Error;
use appw::store::{
    self, Access, Batch, Changes, LogFilter, NewCredential, Recorded, Rejection, RejectionCount,
    Store, Use, UseCount,
};

use crate::harness::Appw;

const HASH: &str =
    "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const REHASH: &str =
    "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const T: i64 = 1_700_000_000;
const ACTOR: &str = "cli:story";

fn new(id: &str, name: &str) -> NewCredential {
    NewCredential {
        id: id.into(),
        user: "deploy".into(),
        name: name.into(),
        app_id: None,
        hash: HASH.into(),
        expires_at: None,
        scopes: vec!["deploy".into()],
        allow_from: Vec::new(),
        disabled: false,
    }
}

/// The story: issue, refuse duplicates, use (one by one and in a batch), reject, update,
/// rename, pause, rotate, revoke, and read it all back from the log with who did what.
pub fn story(store: &mut dyn Store) {
    let (id, next) = ("story0000001", "story0000003");
    assert!(store.insert(&new(id, "Straße"), T, ACTOR).unwrap());
    assert!(
        !store.insert(&new(id, "other"), T, ACTOR).unwrap(),
        "a taken id"
    );
    assert!(
        matches!(
            store.insert(&new("story0000002", "STRASSE"), T, ACTOR),
            Err(Error::Conflict(_))
        ),
        "names are unique by case folding"
    );
    let record = store.hash_record(id).unwrap().unwrap();
    assert_eq!(record.hash.as_deref(), Some(HASH));
    assert_eq!(record.scopes, ["deploy"]);

    let used = Use {
        id,
        checked_hash: HASH,
        rehash: Some(REHASH),
        source: Some("10.0.0.1"),
    };
    assert_eq!(store.record_use(&used, T + 1).unwrap(), Recorded::Counted);
    assert_eq!(
        store.hash_record(id).unwrap().unwrap().hash.as_deref(),
        Some(REHASH)
    );
    store
        .record_rejection(
            &Rejection {
                id: None,
                claimed_user: Some("eve"),
                reason: "no such credential for this user",
                source: Some("192.0.2.9"),
                expired: false,
            },
            T + 1,
        )
        .unwrap();
    store
        .record_uses(&Batch {
            uses: vec![UseCount {
                id: id.into(),
                source: Some("10.0.0.2".into()),
                count: 5,
                at: T + 2,
                rehash: None,
            }],
            rejections: vec![RejectionCount {
                id: Some(id.into()),
                claimed_user: Some("deploy".into()),
                reason: "wrong password",
                source: Some("10.0.0.9".into()),
                expired: false,
                count: 3,
                at: T + 3,
            }],
        })
        .unwrap();
    let c = store.get(&id[..8]).unwrap();
    assert_eq!(c.use_count, 6);
    assert_eq!(c.last_used, Some(T + 2));
    assert_eq!(c.last_source.as_deref(), Some("10.0.0.2"));
    assert_eq!(c.last_failed, Some(T + 3));

    let changes = Changes {
        scopes: Some(vec!["deploy".into(), "reports:read".into()]),
        allow_from: Some(vec!["10.0.0.0/8".into()]),
        expires_at: Some(Some(T + 1000)),
        ..Changes::default()
    };
    let updated = store.update(id, &changes, T + 4, ACTOR).unwrap();
    assert_eq!(updated.scopes, ["deploy", "reports:read"]);
    assert_eq!(updated.allow_from, ["10.0.0.0/8"]);
    assert_eq!(updated.expires_at, Some(T + 1000));
    assert_eq!(
        store.hash_record(id).unwrap().unwrap().allow_from,
        ["10.0.0.0/8"]
    );

    store.rename(id, "ci", T + 5, ACTOR).unwrap();
    let pause = |disabled| Changes {
        disabled: Some(disabled),
        ..Changes::default()
    };
    assert!(
        store
            .update(id, &pause(true), T + 5, ACTOR)
            .unwrap()
            .disabled
    );
    assert!(
        store
            .update(id, &pause(true), T + 5, ACTOR)
            .unwrap()
            .disabled
    );
    assert!(store.hash_record(id).unwrap().unwrap().disabled);
    let paused = Use {
        id,
        checked_hash: REHASH,
        rehash: None,
        source: None,
    };
    assert_eq!(
        store.record_use(&paused, T + 5).unwrap(),
        Recorded::Disabled,
        "a pause wins as a revocation does, and says so"
    );
    assert!(
        !store
            .update(id, &pause(false), T + 5, ACTOR)
            .unwrap()
            .disabled
    );
    assert!(store.find_by_name("deploy", "CI").unwrap().is_some());
    assert!(store.rotate(id, &new(next, "ci"), T + 6, ACTOR).unwrap());
    let old = store.hash_record(id).unwrap().unwrap();
    assert!(old.hash.is_none(), "a rotated credential keeps no hash");
    let still = Use {
        id,
        checked_hash: REHASH,
        rehash: None,
        source: None,
    };
    assert_eq!(
        store.record_use(&still, T + 7).unwrap(),
        Recorded::Revoked,
        "the revocation won"
    );
    let revoked = store.revoke(&[next.to_string()], T + 8, ACTOR).unwrap();
    assert_eq!(revoked[0].revoked_at, Some(T + 8));
    assert!(matches!(
        store.revoke(&[next.to_string()], T + 8, ACTOR),
        Err(Error::Conflict(_))
    ));
    assert_eq!(
        store.revoke_all(None, T + 9, ACTOR).unwrap(),
        0,
        "nothing left active"
    );

    let events = store.events(&LogFilter::default()).unwrap();
    let told: Vec<(&str, i64)> = events.iter().map(|e| (e.kind.as_str(), e.count)).collect();
    assert_eq!(
        told,
        [
            ("created", 1),
            ("verified", 1),
            ("rejected", 1),
            ("verified", 5),
            ("rejected", 3),
            ("updated", 1),
            ("renamed", 1),
            ("disabled", 1),
            ("enabled", 1),
            ("rotated", 1),
            ("revoked", 1),
            ("revoke-all", 1),
        ]
    );
    assert_eq!(events[1].detail.as_deref(), Some(store::REHASHED));
    for e in &events {
        let change = !["verified", "rejected"].contains(&e.kind.as_str());
        assert_eq!(e.actor.as_deref(), change.then_some(ACTOR), "{}", e.kind);
    }
    assert_eq!(store.prune_events(T + 3, T + 10, ACTOR).unwrap(), 4);
    let kinds: Vec<String> = store
        .events(&LogFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("rejected"));
    assert_eq!(kinds.last().map(String::as_str), Some("pruned"));
}

#[test]
fn every_backend_tells_the_same_story() {
    let appw = Appw::new();
    let location = if appw.is_postgres() {
        store::Location::Postgres(appw.db.clone())
    } else {
        store::Location::Sqlite(appw.path())
    };
    let mut store = store::open(&location, Access::Create).unwrap().unwrap();
    story(store.as_mut());
}
