//! Aggregation under floods: what keeps its own row, what is counted together, and that
//! nothing goes uncounted.

use super::*;

#[test]
fn identical_occurrences_become_one_with_a_count() {
    let r = Recorder::default();
    for at in [5, 3, 9] {
        r.used("id1", Some("10.0.0.1"), at, None);
    }
    r.used("id1", Some("10.0.0.2"), 4, None);
    for _ in 0..4 {
        let rejection = Rejection {
            id: None,
            claimed_user: Some("eve"),
            reason: "no such credential for this user",
            source: Some("10.0.0.9"),
            expired: false,
        };
        r.rejected(&rejection, 7);
    }
    let (batch, dropped) = r.take();
    assert_eq!(dropped, 0);
    assert_eq!(batch.uses.len(), 2);
    let first = batch
        .uses
        .iter()
        .find(|u| u.source.as_deref() == Some("10.0.0.1"));
    assert_eq!(first.map(|u| (u.count, u.at)), Some((3, 9)));
    assert_eq!(batch.rejections.len(), 1);
    assert_eq!(batch.rejections[0].count, 4);
    assert_eq!(r.pending(), 0, "taken");
    r.restore(batch.clone());
    r.restore(batch);
    let (again, _) = r.take();
    assert_eq!(
        again.rejections[0].count, 8,
        "a failed commit is retried, not lost"
    );
    assert_eq!(again.uses.iter().map(|u| u.count).sum::<i64>(), 8);
}

#[test]
fn clients_varying_user_and_source_cannot_push_real_rejections_out() {
    let r = Recorder::default();
    // A flood of made-up users from one address, from a whole /64, and from many
    // IPv4 addresses.
    let unknown = |user: &str, source: &str| {
        r.rejected(
            &Rejection {
                id: None,
                claimed_user: Some(user),
                reason: "no such credential for this user",
                source: Some(source),
                expired: false,
            },
            1,
        );
    };
    for n in 0..5_000 {
        unknown(&format!("u{n}"), "203.0.113.9");
        unknown(&format!("v{n}"), &format!("2001:db8::{n:x}"));
        unknown(&format!("w{n}"), &format!("10.{}.{}.1", n / 256, n % 256));
    }
    // A real integration whose password was revoked, after the flood.
    r.rejected(
        &Rejection {
            id: Some("id1"),
            claimed_user: Some("deploy"),
            reason: "the credential is revoked",
            source: Some("192.0.2.1"),
            expired: false,
        },
        2,
    );
    let (batch, dropped) = r.take();
    assert_eq!(dropped, 0, "nothing was dropped");
    assert!(
        batch.rejections.len() <= MAX_ANONYMOUS + 2,
        "{}",
        batch.rejections.len()
    );
    assert!(
        batch
            .rejections
            .iter()
            .any(|x| x.id.as_deref() == Some("id1") && x.claimed_user.as_deref() == Some("deploy")),
        "the genuine rejection kept its row"
    );
    let total: i64 = batch.rejections.iter().map(|x| x.count).sum();
    assert_eq!(total, 15_001, "every rejection is counted");
    let one_host = batch
        .rejections
        .iter()
        .filter(|x| x.source.as_deref() == Some("203.0.113.9"))
        .count();
    assert!(one_host <= USERS_PER_SOURCE + 1, "{one_host}");
}

fn named(r: &Recorder, id: &str, reason: &'static str, source: &str) {
    r.rejected(
        &Rejection {
            id: Some(id),
            claimed_user: Some("deploy"),
            reason,
            source: Some(source),
            expired: false,
        },
        3,
    );
}

#[test]
fn a_revoked_id_named_from_every_address_of_a_48_keeps_a_few_rows() {
    let r = Recorder::default();
    // Every /64 of a /48, each a throttle key of its own, naming one public revoked id.
    for n in 0..=0xffff_u32 {
        named(
            &r,
            "revoked1",
            "the credential is revoked",
            &format!("2001:db8:7:{n:x}::1"),
        );
    }
    named(&r, "id2", "wrong password", "192.0.2.1");
    let (batch, dropped) = r.take();
    assert_eq!(dropped, 0);
    let of = |id: &'static str| {
        batch
            .rejections
            .iter()
            .filter(move |x| x.id.as_deref() == Some(id))
    };
    assert_eq!(of("revoked1").count(), SOURCES_PER_CREDENTIAL + 1);
    assert_eq!(
        of("revoked1")
            .filter(|x| x.source.is_none())
            .map(|x| x.count)
            .sum::<i64>(),
        0x10000 - SOURCES_PER_CREDENTIAL as i64,
        "beyond a few sources, counted under the credential without one"
    );
    assert_eq!(
        of("id2").map(|x| x.source.as_deref()).collect::<Vec<_>>(),
        [Some("192.0.2.1")],
        "another credential's rejection keeps its row and its source"
    );
    assert!(!batch.rejections.iter().any(|x| x.reason == NOT_RECORDED));
}

#[test]
fn rejections_past_the_table_are_counted_in_a_row_of_their_own() {
    let r = Recorder::default();
    let extra = 500;
    for n in 0..MAX_REJECTIONS + extra {
        named(
            &r,
            &format!("id{n}"),
            "the credential is revoked",
            "192.0.2.1",
        );
    }
    let (batch, dropped) = r.take();
    assert_eq!(dropped, extra as u64, "the metric counts them");
    let unrecorded = |batch: &Batch| {
        batch
            .rejections
            .iter()
            .filter(|x| x.reason == NOT_RECORDED)
            .map(|x| (x.id.clone(), x.source.clone(), x.count))
            .collect::<Vec<_>>()
    };
    assert_eq!(unrecorded(&batch), [(None, None, extra as i64)]);
    let total: i64 = batch.rejections.iter().map(|x| x.count).sum();
    assert_eq!(total, (MAX_REJECTIONS + extra) as i64);
    // A commit that failed: the count waits for the next one, once.
    r.restore(batch);
    let (again, dropped) = r.take();
    assert_eq!(dropped, 0, "not counted twice in the metric");
    assert_eq!(unrecorded(&again), [(None, None, extra as i64)]);
    // The next interval, with nothing dropped, has no such row.
    named(&r, "id0", "the credential is revoked", "192.0.2.1");
    assert_eq!(unrecorded(&r.take().0), []);
}

#[test]
fn uses_beyond_the_table_count_against_their_credential_without_a_source() {
    let r = Recorder::default();
    for n in 0..MAX_USES {
        r.used(
            "id1",
            Some(&format!("10.{}.{}.1", n / 256, n % 256)),
            1,
            None,
        );
    }
    // No room for a source's own row: counted, against the credential, without one.
    r.used("id1", Some("192.0.2.1"), 2, None);
    r.used("id2", Some("192.0.2.1"), 3, None);
    r.used("id2", Some("192.0.2.2"), 4, None);
    // An existing row still takes its own uses.
    r.used("id1", Some("10.0.0.1"), 5, None);
    assert_eq!(r.pending(), MAX_USES + 2);
    let (batch, _) = r.take();
    let count = |id: &str, source: Option<&str>| {
        batch
            .uses
            .iter()
            .filter(|u| u.id == id && u.source.as_deref() == source)
            .map(|u| (u.count, u.at))
            .collect::<Vec<_>>()
    };
    assert_eq!(count("id1", None), [(1, 2)]);
    assert_eq!(count("id2", None), [(2, 4)]);
    assert_eq!(count("id1", Some("10.0.0.1")), [(2, 5)]);
    let total: i64 = batch.uses.iter().map(|u| u.count).sum();
    assert_eq!(total, MAX_USES as i64 + 4, "no use lost");
    // Put back after a failed commit, none is lost either.
    r.restore(batch);
    let (again, _) = r.take();
    let total: i64 = again.uses.iter().map(|u| u.count).sum();
    assert_eq!(total, MAX_USES as i64 + 4, "no use lost on a retry");
}
