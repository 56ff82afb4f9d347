//! The throttle holds against concurrency: an evaluation is reserved against the limit when
//! it is let through to argon2, not counted only when argon2 answers, so many requests in
//! flight at once get no more evaluations than `--max-failures` (the others 503, retry in
//! a second), and one turned away with 503 because the queue is full counts as a failure.

use std::sync::{Arc, Barrier};

use super::Server;
use crate::harness::{Appw, basic, forge};

const CLIENTS: usize = 24;
const LIMIT: usize = 4;

fn evaluations(server: &Server) -> u64 {
    let (_, m) = server.get("/metrics", &[]);
    m.lines()
        .find_map(|l| l.strip_prefix("appw_argon2_evaluations_total "))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[test]
fn concurrent_wrong_passwords_get_no_more_evaluations_than_the_limit() {
    // Slow enough hashing that the requests are in flight together.
    let appw = Appw::new().env("APPW_KDF", "m=8192,t=2,p=1");
    let (_, password) = appw.create("deploy", "ci");
    let limit = LIMIT.to_string();
    for queue in ["64", "1"] {
        let server = Arc::new(Server::start(
            &appw,
            &["--max-failures", &limit, "--workers", "1", "--queue", queue],
        ));
        let before = evaluations(&server);
        let forged = basic("deploy", &forge(&password));
        let start = Arc::new(Barrier::new(CLIENTS));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (server, start, forged) = (server.clone(), start.clone(), forged.clone());
                std::thread::spawn(move || {
                    start.wait();
                    server.get("/auth", &[("Authorization", &forged)]).0
                })
            })
            .collect();
        let mut statuses: Vec<u16> = clients.into_iter().map(|c| c.join().unwrap()).collect();
        assert!(
            statuses.iter().all(|s| [401, 429, 503].contains(s)),
            "queue {queue}: {statuses:?}"
        );
        // Then one at a time until throttled: the failures counted reach the limit.
        for _ in 0..=LIMIT {
            let status = server.get("/auth", &[("Authorization", &forged)]).0;
            statuses.push(status);
            if status == 429 {
                break;
            }
        }
        assert_eq!(statuses.last(), Some(&429), "queue {queue}: {statuses:?}");
        let spent = evaluations(&server) - before;
        assert!(
            spent <= LIMIT as u64,
            "queue {queue}: {spent} argon2 evaluations for {} wrong passwords, {CLIENTS} of \
             them at once, with --max-failures {LIMIT}: {statuses:?}",
            statuses.len()
        );
        assert!(
            statuses.iter().filter(|&&s| s == 401).count() <= LIMIT,
            "queue {queue}: {statuses:?}"
        );
        Arc::try_unwrap(server).ok().unwrap().stop();
    }
}
