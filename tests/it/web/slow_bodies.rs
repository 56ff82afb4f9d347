//! A body that never completes: refused after a while (408), so trickling clients cannot
//! hold the admin listener's connections.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::Admin;
use crate::harness::Appw;

#[test]
fn a_body_that_never_completes_is_refused() {
    let appw = Appw::new();
    let web = Admin::start(&appw);
    let mut stream = TcpStream::connect(&web.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "POST /sign-in HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 1000\r\n\r\nus",
        web.addr
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(read.is_ok(), "no answer within 60 s: {read:?}");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}
