use super::*;
use crate::secret::memory::{Arena, Reuse, Strategy};

const CHEAP: KdfParams = KdfParams { m: 64, t: 1, p: 1 };

#[test]
fn params_parse_and_print() {
    assert_eq!(
        "m=19456,t=2,p=1".parse::<KdfParams>().unwrap(),
        KdfParams::default()
    );
    assert_eq!(
        "t=3".parse::<KdfParams>().unwrap(),
        KdfParams {
            m: 19456,
            t: 3,
            p: 1
        }
    );
    assert_eq!(
        " m = 8 , t=1 ".parse::<KdfParams>().unwrap().to_string(),
        "m=8,t=1,p=1"
    );
    for bad in [
        "",
        "m",
        "m=x",
        "q=1",
        "m=4",
        "t=0",
        "p=0",
        "m=99999999",
        "m=-1",
        "t=1000",
    ] {
        assert!(bad.parse::<KdfParams>().is_err(), "{bad}");
    }
}

#[test]
fn upgrades_only_raise_costs() {
    let policy = KdfParams::default();
    let weak = KdfParams { m: 64, t: 1, p: 1 };
    assert_eq!(weak.upgrade_to(&policy), Some(policy));
    assert_eq!(policy.upgrade_to(&policy), None);
    let more_memory = KdfParams {
        m: 65536,
        t: 1,
        p: 1,
    };
    assert_eq!(
        more_memory.upgrade_to(&policy),
        Some(KdfParams {
            m: 65536,
            t: 2,
            p: 1
        })
    );
    let strong = KdfParams {
        m: 65536,
        t: 3,
        p: 2,
    };
    assert_eq!(strong.upgrade_to(&policy), None);
    // Two hosts with crossed policies converge after one upgrade each.
    let (a, b) = (
        KdfParams {
            m: 65536,
            t: 2,
            p: 1,
        },
        KdfParams {
            m: 19456,
            t: 3,
            p: 1,
        },
    );
    let once = a.upgrade_to(&b).unwrap();
    assert_eq!(once.upgrade_to(&a), None);
    assert_eq!(once.upgrade_to(&b), None);
}

const ID: &str = "abcdefgh2345";

fn hasher(policy: KdfParams) -> Hasher {
    hasher_with(policy, Strategy::Ordinary)
}

fn hasher_with(policy: KdfParams, strategy: Strategy) -> Hasher {
    Hasher::new(policy, Arena::new(strategy, Reuse::WipeNow))
}

fn hash(password: &[u8], id: &str, policy: KdfParams) -> String {
    hasher(policy).hash(password, id)
}

#[test]
fn hash_then_verify() {
    let h = hash(b"correct", ID, CHEAP);
    assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$YXBwd2FiY2RlZmdoMjM0NQ$"));
    // With the early evaluation at the hash's own salt and parameters, at others, and
    // at another id's salt: the same answers.
    for (id, policy) in [
        (ID, CHEAP),
        (ID, KdfParams::default()),
        ("zzzzzzzzzzzz", CHEAP),
    ] {
        let hasher = hasher(policy);
        assert!(hasher.attempt(b"correct", id).check(&h).unwrap().valid);
        assert!(!hasher.attempt(b"wrong", id).check(&h).unwrap().valid);
    }
}

#[test]
fn salts_differ_per_credential() {
    assert_ne!(
        hash(b"same", ID, CHEAP),
        hash(b"same", "abcdefgh2346", CHEAP)
    );
    assert_eq!(salt_for(ID).len(), SALT_LEN);
}

#[test]
fn rehashes_reach_the_policy_and_the_ids_salt() {
    let policy = KdfParams::default();
    let current = hash(b"pw", ID, CHEAP);
    let cheap = hasher(CHEAP);
    let attempt = cheap.attempt(b"pw", ID);
    assert_eq!(attempt.check(&current).unwrap().rehash, None);
    assert_eq!(
        hasher(policy)
            .attempt(b"pw", ID)
            .check(&current)
            .unwrap()
            .rehash,
        Some(policy)
    );
    // A random salt from an older appw is replaced, at the same parameters.
    let legacy = Phc {
        params: CHEAP,
        salt: b"random-salt-1234".to_vec(),
        hash: cheap.compute(b"pw", b"random-salt-1234", CHEAP).to_vec(),
    }
    .format();
    let checked = attempt.check(&legacy).unwrap();
    assert!(checked.valid);
    assert_eq!(checked.rehash, Some(CHEAP));
    // Reusing the early output gives exactly what hashing anew would.
    assert_eq!(attempt.rehash(CHEAP), current);
    assert_eq!(attempt.rehash(policy), hash(b"pw", ID, policy));
}

#[test]
fn known_answer_matches_the_reference_implementation() {
    // From the argon2 reference `argon2 somesalt -id -t 2 -m 16 -p 1 -l 32` on "password".
    let params = KdfParams {
        m: 65536,
        t: 2,
        p: 1,
    };
    let out = hasher(params).compute(b"password", b"somesalt", params);
    assert_eq!(
        phc::Output::new(out.as_slice()).unwrap().to_string(),
        "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
    );
}

#[test]
fn huge_page_and_ordinary_memory_give_identical_hashes() {
    for params in [
        CHEAP,
        KdfParams {
            m: 4096,
            t: 2,
            p: 2,
        },
        KdfParams::default(),
    ] {
        let a = hasher_with(params, Strategy::HugePages).compute(b"pw", b"saltsalt", params);
        let b = hasher(params).compute(b"pw", b"saltsalt", params);
        assert_eq!(a.as_slice(), b.as_slice(), "{params}");
    }
}

#[test]
fn damaged_hashes_are_refused() {
    let good = hash(b"x", ID, CHEAP);
    let cheap = hasher(CHEAP);
    let attempt = cheap.attempt(b"x", ID);
    for bad in [
        "",
        "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
        &good.replace("v=19", "v=16"),
        &good.replace("m=64", "m=zz"),
        &format!("{good}$extra"),
        &good[..good.len() - 4],
        &good.replace("m=64,t=1,p=1", "t=1,p=1"),
        &good.replace("m=64,t=1,p=1", "m=64,t=1,p=1,keyid=AAAA"),
        &good.replace("m=64", "m=99999999"),
    ] {
        assert!(attempt.check(bad).is_err(), "{bad}");
    }
}

#[test]
fn phc_strings_read_and_write_as_appw_always_wrote_them() {
    // A hash made by an earlier appw, whose PHC string was written by hand.
    let stored = "$argon2id$v=19$m=64,t=1,p=1$YXBwd2FiY2RlZmdoMjM0NQ$";
    let h = hash(b"correct", ID, CHEAP);
    assert!(h.starts_with(stored), "{h}");
    let phc = Phc::parse(&h).unwrap();
    assert_eq!(phc.salt, b"appwabcdefgh2345");
    assert_eq!(phc.params, CHEAP);
    assert_eq!(phc.format(), h);
    // Another salt length, as older builds' random salts.
    let legacy = Phc {
        params: KdfParams::default(),
        salt: b"random-salt-1234".to_vec(),
        hash: vec![7; OUTPUT_LEN],
    };
    let text = legacy.format();
    assert_eq!(
        text,
        "$argon2id$v=19$m=19456,t=2,p=1$cmFuZG9tLXNhbHQtMTIzNA$BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc"
    );
    assert_eq!(Phc::parse(&text).unwrap().hash, legacy.hash);
}
