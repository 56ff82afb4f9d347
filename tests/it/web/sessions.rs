//! The screen's sessions as a resource: only a sign-in makes one, so visitors who never
//! sign in cannot push a signed-in session out; one user's sign-ins push out only that
//! user's oldest sessions.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::screen::Browser;
use super::{Admin, admin_credential, credential};
use crate::harness::Appw;

/// More than the server would hold if each visit kept something.
const VISITS: usize = 10_001;

#[test]
fn anonymous_visits_sign_no_one_out() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let web = Admin::start(&appw);
    let mut b = Browser::open(&web);
    b.sign_in(&user, &password).status(303);
    assert!(b.get("/").status(200).body.contains(r#"id="credentials""#));

    // Many visits without a cookie, pipelined on one connection.
    let mut stream = TcpStream::connect(&web.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let host = web.addr.clone();
    let sending = std::thread::spawn(move || {
        let one = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        for _ in 1..VISITS {
            writer.write_all(one.as_bytes()).unwrap();
        }
        let last = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        writer.write_all(last.as_bytes()).unwrap();
    });
    let mut answers = Vec::new();
    stream.read_to_end(&mut answers).unwrap();
    sending.join().unwrap();
    let answered = String::from_utf8_lossy(&answers)
        .matches("HTTP/1.1 200 OK")
        .count();
    assert_eq!(answered, VISITS);

    let page = b.get("/").status(200);
    assert!(page.body.contains(r#"id="credentials""#), "still signed in");
}

#[test]
fn a_users_sign_ins_push_out_only_that_users_oldest_sessions() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let (alice, _) = credential(&appw, "alice", "laptop", &["--scope", "appw:self"]);
    let web = Admin::start(&appw);
    let mut admin = Browser::open(&web);
    admin.sign_in(&user, &password).status(303);
    let mut first = Browser::open(&web);
    first.sign_in("alice", &alice).status(303);
    assert!(first.get("/").body.contains(r#"id="credentials""#));
    for _ in 0..40 {
        let mut other = Browser::open(&web);
        other.sign_in("alice", &alice).status(303);
    }
    let page = first.get("/").status(200);
    assert!(page.body.contains(r#"id="sign-in""#), "alice's oldest went");
    let page = admin.get("/").status(200);
    assert!(page.body.contains(r#"id="credentials""#), "not the admin's");
}
