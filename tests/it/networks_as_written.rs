//! Networks as written are networks as meant: one rule for `--allow-from` (create, update)
//! and `--trusted-proxy`. Host bits, leading zeros and prefixes that reach past IPv4-mapped
//! addresses are refused with one line (exit 2); IPv4-mapped values are stored as the IPv4
//! network they map, and a mapped client address matches IPv4 networks.

use crate::harness::Appw;

fn create(appw: &Appw, name: &str, allow: &str) -> crate::harness::Out {
    appw.run(&[
        "create",
        "--user",
        "deploy",
        "--porcelain",
        "--allow-from",
        allow,
        "--",
        name,
    ])
}

fn verify_from(appw: &Appw, password: &str, source: &str) -> i32 {
    appw.run_stdin(
        &["verify", "--user", "deploy", "--source", source],
        format!("{password}\n").as_bytes(),
    )
    .code
}

#[test]
fn ambiguous_networks_are_refused_with_what_to_write() {
    let appw = Appw::new();
    for (bad, hint) in [
        ("127.0.0.1/0", "127.0.0.1"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("2001:db8::1/32", "2001:db8::/32"),
        ("010.0.0.1", "010.0.0.1"),
        ("10.0.0.0/08", "leading zeros"),
        ("::ffff:10.0.0.0/8", "IPv4 network itself"),
    ] {
        let out = create(&appw, "x", bad).code(2).one_error_line();
        assert!(out.stderr.contains("--allow-from"), "{bad}: {}", out.stderr);
        assert!(out.stderr.contains(hint), "{bad}: {}", out.stderr);
    }
    assert!(appw.list().is_empty(), "nothing stored on a refusal");
}

#[test]
fn mapped_networks_are_stored_as_ipv4_and_mapped_clients_match_them() {
    let appw = Appw::new();
    let password = create(&appw, "mapped", "::ffff:10.0.0.0/104")
        .ok()
        .stdout
        .trim()
        .to_string();
    let listed = appw.list();
    assert_eq!(listed[0]["allow_from"], serde_json::json!(["10.0.0.0/8"]));
    assert_eq!(verify_from(&appw, &password, "10.1.2.3"), 0);
    assert_eq!(verify_from(&appw, &password, "::ffff:10.1.2.3"), 0);
    assert_eq!(verify_from(&appw, &password, "11.0.0.1"), 1);
    let host = create(&appw, "host", "::ffff:192.0.2.7")
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(verify_from(&appw, &host, "192.0.2.7"), 0);
    let listed = appw.list();
    let shown = listed.iter().find(|c| c["name"] == "host").unwrap();
    assert_eq!(shown["allow_from"], serde_json::json!(["192.0.2.7"]));
}
