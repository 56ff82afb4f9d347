use super::*;

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
        assert!(
            Attempt::start(b"correct", id, policy)
                .check(&h)
                .unwrap()
                .valid
        );
        assert!(
            !Attempt::start(b"wrong", id, policy)
                .check(&h)
                .unwrap()
                .valid
        );
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
    let attempt = Attempt::start(b"pw", ID, CHEAP);
    assert_eq!(attempt.check(&current).unwrap().rehash, None);
    assert_eq!(
        Attempt::start(b"pw", ID, policy)
            .check(&current)
            .unwrap()
            .rehash,
        Some(policy)
    );
    // A random salt from an older appw is replaced, at the same parameters.
    let legacy = Phc {
        params: CHEAP,
        salt: b"random-salt-1234".to_vec(),
        hash: compute(b"pw", b"random-salt-1234", CHEAP, Strategy::Ordinary).to_vec(),
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
    let out = compute(
        b"password",
        b"somesalt",
        KdfParams {
            m: 65536,
            t: 2,
            p: 1,
        },
        Strategy::Ordinary,
    );
    assert_eq!(
        B64.encode(out.as_slice()),
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
        let a = compute(b"pw", b"saltsalt", params, Strategy::HugePages);
        let b = compute(b"pw", b"saltsalt", params, Strategy::Ordinary);
        assert_eq!(a.as_slice(), b.as_slice(), "{params}");
    }
}

#[test]
fn damaged_hashes_are_refused() {
    let good = hash(b"x", ID, CHEAP);
    let attempt = Attempt::start(b"x", ID, CHEAP);
    for bad in [
        "",
        "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
        &good.replace("v=19", "v=16"),
        &good.replace("m=64", "m=zz"),
        &format!("{good}$extra"),
        &good[..good.len() - 4],
    ] {
        assert!(attempt.check(bad).is_err(), "{bad}");
    }
}
