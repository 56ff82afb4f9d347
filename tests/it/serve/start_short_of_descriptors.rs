//! A server short of file descriptors at start (its threads, their event loops and their
//! copies of the listening sockets each need some) either says so in one `appw:` line and
//! exits 4 before it says it is listening, or starts and stops cleanly: never a panic.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::harness::{Appw, bin};

#[test]
fn too_few_descriptors_fail_the_start_with_one_line_or_not_at_all() {
    let appw = Appw::sqlite();
    appw.create("deploy", "ci");
    let (mut refused, mut started) = (0, 0);
    // Enough at the top for the threads of any machine to start.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for limit in (10..=48 + 8 * cores).step_by(2) {
        let script = format!("ulimit -n {limit} && exec \"$0\" serve --listen 127.0.0.1:0");
        let mut child = appw
            .command_of(Path::new("sh"), &["-c", &script, bin()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = Vec::new();
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut listening = false;
        while let Some(Ok(line)) = stderr.next() {
            listening = line.starts_with("appw serve: listening on ");
            lines.push(line);
            if listening {
                break;
            }
        }
        if listening {
            let pid = child.id().to_string();
            let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
            assert!(killed.success());
            lines.extend(stderr.map_while(Result::ok));
            let status = child.wait().unwrap();
            assert_eq!(status.code(), Some(0), "limit {limit}: {lines:#?}");
            started += 1;
        } else {
            let status = child.wait().unwrap();
            assert_eq!(status.code(), Some(4), "limit {limit}: {lines:#?}");
            let errors: Vec<_> = lines.iter().filter(|l| l.starts_with("appw: ")).collect();
            assert_eq!(errors.len(), 1, "limit {limit}: {lines:#?}");
            refused += 1;
        }
        assert!(
            !lines.iter().any(|l| l.contains("panicked")),
            "limit {limit}: {lines:#?}"
        );
    }
    eprintln!("{refused} limits refused, {started} started");
    assert!(refused > 0, "no limit was too low");
    assert!(started > 0, "no limit was high enough");
}
