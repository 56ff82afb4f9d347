//! Reliability and security (issue 3): many processes at once, crashes, broken files,
//! hostile input, secrets in outputs, equal hashing work on every verify path, permissions.
//!
//! Each test is a few seconds at most on two cores; the `soak_*` tests are the same shapes
//! at a larger size, ignored by default (`cargo test --test it soak -- --ignored --nocapture`).
//! Figures (lock waits, process counts) are printed with `--nocapture`.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use appw::auth::{Outcome, Request};
use appw::cmd::verify::check;
use appw::secret::memory::{Arena, Reuse, Strategy as Memory};
use appw::secret::{Hasher, KdfParams};
use appw::store::{Access, Location, Store};
use proptest::prelude::*;

use crate::harness::{Appw, CHEAP_KDF, Out, contains, store_bytes};

// ---------------------------------------------------------------------------------------
// Helpers

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A tiny deterministic generator, so a failing run can be replayed from its printed seed.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let seed = std::env::var("APPW_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("rng seed {seed} (set APPW_TEST_SEED to replay)");
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A password in appw's format, with a valid checksum, for lookup id `id` and a secret
/// nobody issued: it passes the format check and must be rejected by the hash.
fn forged_token(id: &str, rng: &mut Rng) -> String {
    let mut s = format!("appw{id}");
    for _ in 0..26 {
        s.push(BASE62[rng.below(62) as usize] as char);
    }
    crate::harness::with_checksum(&s)
}

/// The message of a failure that says the store was locked or busy.
fn mentions_lock(out: &Out) -> bool {
    let e = out.stderr.to_lowercase();
    e.contains("locked") || e.contains("busy")
}

/// Runs `cmd` with stdout going into a pipe whose read end is already closed.
fn run_into_closed_pipe(mut cmd: Command) -> Out {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid two-element array for pipe(2) to fill.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: pipe(2) just returned these two descriptors, owned by nobody else.
    let (read, write) = unsafe {
        use std::os::fd::FromRawFd;
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    drop(read);
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(write))
        .stderr(Stdio::piped())
        .output()
        .expect("spawn appw");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `PRAGMA integrity_check` of a store file, opened read-only.
fn integrity(path: &Path) -> String {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// A tmpfs mounted for the life of the value, when this process may mount (root in a
/// container that allows it); `None` otherwise.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }

    fn remount(&self, opts: &str) -> bool {
        Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

// ---------------------------------------------------------------------------------------
// Load: many processes at once

struct LoadShape {
    credentials: usize,
    verifiers: usize,
    per_verifier: usize,
    creators: usize,
    per_creator: usize,
    churn: usize,
}

#[derive(Default)]
struct LoadFigures {
    processes: usize,
    verifications: usize,
    valid: usize,
    invalid: usize,
    creates: usize,
    revokes: usize,
    worst_process: Duration,
    worst_lock_wait: Duration,
}

/// Measures how long `BEGIN IMMEDIATE` waits for the write lock while `running` is set.
fn probe_lock_waits(path: &Path, running: &AtomicBool) -> Duration {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(120)).unwrap();
    let mut worst = Duration::ZERO;
    while running.load(Ordering::Relaxed) {
        let t = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        worst = worst.max(t.elapsed());
        conn.execute_batch("ROLLBACK").unwrap();
        std::thread::sleep(Duration::from_millis(3));
    }
    worst
}

fn timed(f: impl FnOnce() -> Out) -> (Out, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn load(shape: &LoadShape) -> LoadFigures {
    let appw = Appw::new();
    let mut rng = Rng::seeded();
    let creds: Vec<(String, String)> = (0..shape.credentials)
        .map(|i| appw.create("load", &format!("cred {i}")))
        .collect();
    let forged: Vec<String> = creds
        .iter()
        .map(|(id, _)| forged_token(id, &mut rng))
        .collect();
    let successes = Mutex::new(HashMap::<String, usize>::new());
    let figures = Mutex::new(LoadFigures::default());
    let created = Mutex::new(Vec::<(String, String)>::new());
    let running = AtomicBool::new(true);
    let note = |out: &Out, took: Duration| {
        assert!(!mentions_lock(out), "a process saw a locked store: {out:?}");
        let mut f = figures.lock().unwrap();
        f.processes += 1;
        f.worst_process = f.worst_process.max(took);
    };
    let worst_lock = std::thread::scope(|s| {
        let probe =
            (!appw.is_postgres()).then(|| s.spawn(|| probe_lock_waits(&appw.path(), &running)));
        let mut workers = Vec::new();
        for v in 0..shape.verifiers {
            let (creds, forged, successes, figures) = (&creds, &forged, &successes, &figures);
            let appw = &appw;
            workers.push(s.spawn(move || {
                for i in 0..shape.per_verifier {
                    let k = (v * 7 + i) % creds.len();
                    let (id, pw) = &creds[k];
                    let valid = (v + i) % 4 != 3;
                    let pw = if valid { pw } else { &forged[k] };
                    let source = format!("worker-{v}");
                    let (out, took) = timed(|| {
                        appw.run_stdin(
                            &["verify", "--user", "load", "--source", &source],
                            format!("{pw}\n").as_bytes(),
                        )
                    });
                    note(&out, took);
                    if valid {
                        let out = out.ok();
                        assert!(out.stdout.starts_with(id.as_str()), "{out:?}");
                        *successes.lock().unwrap().entry(id.clone()).or_default() += 1;
                        figures.lock().unwrap().valid += 1;
                    } else {
                        out.code(1).one_error_line();
                        figures.lock().unwrap().invalid += 1;
                    }
                }
            }));
        }
        for c in 0..shape.creators {
            let (created, figures, appw) = (&created, &figures, &appw);
            workers.push(s.spawn(move || {
                for i in 0..shape.per_creator {
                    let name = format!("new {c}-{i}");
                    let (out, took) =
                        timed(|| appw.run(&["create", "--user", "new", &name, "--json"]));
                    note(&out, took);
                    let v = out.ok().json();
                    let id = v["id"].as_str().unwrap().to_string();
                    let pw = v["password"].as_str().unwrap().to_string();
                    created.lock().unwrap().push((id, pw));
                    figures.lock().unwrap().creates += 1;
                }
            }));
        }
        {
            let (figures, appw) = (&figures, &appw);
            workers.push(s.spawn(move || {
                for i in 0..shape.churn {
                    let name = format!("churn {i}");
                    let (out, took) =
                        timed(|| appw.run(&["create", "--user", "churn", &name, "--porcelain"]));
                    note(&out, took);
                    let pw = out.ok().stdout.trim().to_string();
                    let id = &pw[4..16];
                    let (out, took) = timed(|| appw.run(&["revoke", id]));
                    note(&out, took);
                    out.ok();
                    let (out, took) = timed(|| appw.verify("churn", &pw));
                    note(&out, took);
                    out.code(1);
                    let mut f = figures.lock().unwrap();
                    f.creates += 1;
                    f.revokes += 1;
                }
            }));
        }
        for w in workers {
            w.join().unwrap();
        }
        running.store(false, Ordering::Relaxed);
        probe.map(|p| p.join().unwrap()).unwrap_or_default()
    });

    // Every use counted exactly once, none lost, none invented.
    let successes = successes.into_inner().unwrap();
    let listed: BTreeMap<String, i64> = appw
        .list()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["use_count"].as_i64().unwrap(),
            )
        })
        .collect();
    for (id, _) in &creds {
        let want = successes.get(id).copied().unwrap_or(0) as i64;
        assert_eq!(listed[id], want, "use_count of {id}");
    }
    let verified_events = appw
        .log(&[])
        .iter()
        .filter(|e| e["event"] == "verified")
        .count();
    assert_eq!(verified_events, successes.values().sum::<usize>());
    // Every create that printed a password left a row that verifies.
    for (id, pw) in created.into_inner().unwrap() {
        let out = appw.verify("new", &pw).ok();
        assert!(out.stdout.starts_with(&id));
    }
    let mut f = figures.into_inner().unwrap();
    f.verifications = f.valid + f.invalid;
    f.worst_lock_wait = worst_lock;
    eprintln!(
        "load: {} processes, {} verifications ({} valid, {} invalid) by {} parallel verifiers, \
         {} creates, {} revokes; worst process {:?}, worst write-lock wait {:?}; 0 lost",
        f.processes,
        f.verifications,
        f.valid,
        f.invalid,
        shape.verifiers,
        f.creates,
        f.revokes,
        f.worst_process,
        f.worst_lock_wait
    );
    f
}

#[test]
fn parallel_verifies_creates_and_revokes_lose_nothing() {
    let f = load(&LoadShape {
        credentials: 8,
        verifiers: 16,
        per_verifier: 16,
        creators: 2,
        per_creator: 8,
        churn: 6,
    });
    assert!(f.verifications >= 256);
}

#[test]
#[ignore = "soak: a minute or more; run with --ignored --nocapture"]
fn soak_parallel_verifies_creates_and_revokes_lose_nothing() {
    load(&LoadShape {
        credentials: 24,
        verifiers: 32,
        per_verifier: 100,
        creators: 4,
        per_creator: 50,
        churn: 50,
    });
}

/// `revoke-all` while 16 processes verify: after it commits, no verification of a revoked
/// credential succeeds, and every success before it is counted.
fn revoke_all_race(verifiers: usize, rounds: usize) {
    let appw = Appw::new();
    let creds: Vec<(String, String)> = (0..6)
        .map(|i| appw.create("race", &format!("r{i}")))
        .collect();
    let (keep_id, keep_pw) = appw.create("keep", "other user");
    let started = AtomicUsize::new(0);
    let revoked_at = Mutex::new(None::<Instant>);
    let results = Mutex::new(Vec::<(String, Instant, i32)>::new());
    let race_began = Instant::now();
    std::thread::scope(|s| {
        for v in 0..verifiers {
            let (appw, creds, started, revoked_at, results) =
                (&appw, &creds, &started, &revoked_at, &results);
            s.spawn(move || {
                let mut after = 0;
                for i in 0.. {
                    // Keep going until a few rounds have run after the revocation (however
                    // long revoke-all waits for the lock; the cap only ends a failed test).
                    if revoked_at.lock().unwrap().is_some() {
                        after += 1;
                        if after > 3 {
                            break;
                        }
                    } else if race_began.elapsed() > Duration::from_secs(120) {
                        break;
                    }
                    let (id, pw) = &creds[(v + i) % creds.len()];
                    let begun = Instant::now();
                    started.fetch_add(1, Ordering::Relaxed);
                    let out = appw.verify("race", pw);
                    assert!(
                        out.code == 0 || out.code == 1,
                        "verify neither accepted nor rejected: {out:?}"
                    );
                    assert!(!mentions_lock(&out), "{out:?}");
                    results.lock().unwrap().push((id.clone(), begun, out.code));
                }
            });
        }
        while started.load(Ordering::Relaxed) < verifiers * rounds {
            assert!(
                race_began.elapsed() < Duration::from_secs(120),
                "the verifiers did not get going"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        let out = appw.run(&["revoke-all", "--user", "race", "--yes"]).ok();
        *revoked_at.lock().unwrap() = Some(Instant::now());
        assert_eq!(out.stdout.trim(), "Revoked 6 credentials.");
    });
    let revoked_at = revoked_at.into_inner().unwrap().unwrap();
    let results = results.into_inner().unwrap();
    let late: Vec<_> = results.iter().filter(|(_, t, _)| *t > revoked_at).collect();
    assert!(!late.is_empty(), "no verification started after revoke-all");
    for (id, _, code) in &late {
        assert_eq!(*code, 1, "{id} verified after revoke-all committed");
    }
    // In the audit log, every `verified` of a race credential comes before the revoke-all.
    let events = appw.log(&[]);
    let cut = events.iter().find(|e| e["event"] == "revoke-all").unwrap()["seq"]
        .as_i64()
        .unwrap();
    let mut counted = HashMap::<String, i64>::new();
    for (id, _, code) in &results {
        if *code == 0 {
            *counted.entry(id.clone()).or_default() += 1;
        }
    }
    for (id, _) in &creds {
        let late_use = events.iter().any(|e| {
            e["event"] == "verified"
                && e["credential_id"] == id.as_str()
                && e["seq"].as_i64() > Some(cut)
        });
        assert!(!late_use, "{id} has a verified event after revoke-all");
        let c = appw.show(id);
        assert_eq!(
            c["use_count"],
            counted.get(id).copied().unwrap_or(0),
            "{id}"
        );
        assert!(c["revoked_at"].is_string());
    }
    assert!(
        appw.verify("keep", &keep_pw)
            .ok()
            .stdout
            .starts_with(&keep_id)
    );
    eprintln!(
        "revoke-all race: {} verifications by {verifiers} processes, {} succeeded before the \
         revocation, {} started after it (all rejected)",
        results.len(),
        counted.values().sum::<i64>(),
        late.len()
    );
}

#[test]
fn revoke_all_racing_verify_leaves_no_revoked_credential_usable() {
    revoke_all_race(16, 3);
}

#[test]
#[ignore = "soak: run with --ignored --nocapture"]
fn soak_revoke_all_racing_verify() {
    for _ in 0..5 {
        revoke_all_race(32, 10);
    }
}

// ---------------------------------------------------------------------------------------
// Faults: crashes and broken files

/// Kills `appw create` with SIGKILL at random points of its life, then checks the store.
/// Goes on past `kills` (up to five times as many, aiming earlier) until `landed` kills hit a
/// running create, since creates may run faster than they did when timed at the start.
/// Returns (kills that landed while create ran, committed credentials nobody saw).
fn kill_creates(kills: usize, landed: usize) -> (usize, usize) {
    let appw = Appw::sqlite();
    let (_, first) = appw.create("seed", "first");
    let mut rng = Rng::seeded();
    // How long one create lives, so the delays cover all of it (and a little before).
    // (the median of three, so one slow start does not stretch the delays past its end)
    let mut lives: Vec<u64> = (0..3)
        .map(|i| {
            let t = Instant::now();
            appw.run(&[
                "create",
                "--user",
                "seed",
                &format!("timing {i}"),
                "--porcelain",
            ])
            .ok();
            t.elapsed().as_micros().max(1000) as u64
        })
        .collect();
    lives.sort_unstable();
    let life = lives[1];
    let mut printed = vec![("seed".to_string(), first)];
    let (mut killed_alive, mut finished) = (0, 0);
    let mut i = 0;
    while i < kills || (killed_alive < landed && i < kills * 5) {
        let late = i >= kills;
        i += 1;
        let user = format!("u{}", i % 5);
        let mut cmd = appw.command(&["create", "--user", &user, &format!("k{i}"), "--porcelain"]);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let span = if late { life / 2 } else { life * 12 / 10 };
        std::thread::sleep(Duration::from_micros(rng.below(span)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        if status.signal() == Some(libc::SIGKILL) {
            killed_alive += 1;
        } else {
            finished += 1;
            assert_eq!(status.code(), Some(0), "create failed on its own");
        }
        let pw = out.trim();
        if pw.len() == 48 {
            printed.push((user, pw.to_string()));
        } else {
            assert!(pw.is_empty(), "half a password reached stdout: {pw:?}");
        }
    }
    let path = appw.path();
    assert_eq!(integrity(&path), "ok");
    let conn = rusqlite::Connection::open(&path).unwrap();
    // No half-written credential: every row has a usable hash or is revoked (the schema's
    // CHECK), a parseable argon2id hash, and its `created` event (same transaction).
    let bad: i64 = conn
        .query_row(
            "SELECT count(*) FROM credentials c WHERE
               (c.revoked_at IS NULL AND (c.hash IS NULL OR c.hash NOT LIKE '$argon2id$v=19$%'))
               OR NOT EXISTS (SELECT 1 FROM events e WHERE e.kind = 'created' AND e.credential_id = c.id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bad, 0, "half-written credentials");
    // Killed between commit and print: stored, valid, and seen by nobody. SIGKILL leaves no
    // chance to revoke; the count is reported so the window stays visible.
    let seen: std::collections::HashSet<&str> = printed.iter().map(|(_, pw)| &pw[4..16]).collect();
    let unseen: Vec<String> = conn
        .prepare("SELECT id, name FROM credentials WHERE revoked_at IS NULL AND name LIKE 'k%'")
        .unwrap()
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .filter(|(id, _)| !seen.contains(id.as_str()))
        .map(|(_, name)| name)
        .collect();
    if !unseen.is_empty() {
        eprintln!("committed, killed before printing: {unseen:?}");
    }
    let unseen = unseen.len();
    drop(conn);
    for (user, pw) in &printed {
        appw.verify(user, pw).ok();
    }
    // Leftover temporary files of killed creators do not count as stores.
    appw.run(&["list"]).ok();
    eprintln!(
        "SIGKILL: {i} creates killed at random points within {life} us: {killed_alive} \
         killed alive, {finished} had finished; {} printed passwords all verify; {unseen} \
         committed but killed before printing; integrity ok",
        printed.len()
    );
    (killed_alive, unseen)
}

#[test]
fn sigkill_during_create_leaves_a_sound_store() {
    let (killed, _) = kill_creates(40, 5);
    assert!(killed >= 5, "too few kills landed while create was running");
}

#[test]
fn sigkill_during_the_first_create_of_a_store() {
    // The store's creation itself (temp file + link) interrupted at random points of a first
    // create's life, until at least 5 kills have landed while it ran.
    let mut rng = Rng::seeded();
    // How long a first create lives: the median of three, so one slow start does not
    // stretch the delays past its end.
    let mut lives: Vec<u64> = (0..3)
        .map(|_| {
            let t = Instant::now();
            Appw::sqlite().create("u", "timing");
            t.elapsed().as_micros().max(1000) as u64
        })
        .collect();
    lives.sort_unstable();
    let life = lives[1];
    let (mut runs, mut killed) = (0, 0);
    while runs < 15 || (killed < 5 && runs < 75) {
        // Past the first runs, aim earlier: creates may run faster than when timed.
        let span = if runs < 15 { life * 12 / 10 } else { life / 2 };
        runs += 1;
        let appw = Appw::sqlite();
        let mut child = appw
            .command(&["create", "--user", "u", "first", "--porcelain"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(span)));
        let _ = child.kill();
        if child.wait().unwrap().signal() == Some(libc::SIGKILL) {
            killed += 1;
        }
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        // Either no store, or a complete one that any command can use.
        if appw.path().exists() {
            assert_eq!(integrity(&appw.path()), "ok");
            appw.run(&["list"]).ok();
        }
        let leftovers = std::fs::read_dir(appw.path().parent().unwrap())
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .ends_with(".tmp")
                })
                .count()
            })
            .unwrap_or(0);
        if leftovers > 0 {
            eprintln!("a killed first create left {leftovers} temporary file(s) behind");
        }
        appw.run(&["create", "--user", "u", "second", "--porcelain"])
            .ok();
        if out.trim().len() == 48 {
            appw.verify("u", out.trim()).ok();
        }
    }
    assert!(
        killed >= 5,
        "{killed} of {runs} kills landed while create ran"
    );
}

#[test]
#[ignore = "soak: run with --ignored --nocapture"]
fn soak_sigkill_during_create() {
    let (_, unseen) = kill_creates(500, 0);
    // The gap between commit and print is microseconds; work placed in it (as a WAL fold
    // once was: 55 of 500) shows up here.
    assert!(
        unseen <= 10,
        "{unseen} of 500 killed creates left a password nobody saw"
    );
}

#[test]
fn a_closed_stdout_revokes_the_unseen_password_and_never_panics() {
    let appw = Appw::new();
    appw.create("keep", "seen");
    for format in ["--porcelain", "--json", "--human"] {
        let mut args = vec!["create", "--user", "u", "unseen"];
        if format != "--human" {
            args.push(format);
        }
        let out = run_into_closed_pipe(appw.command(&args));
        assert_ne!(out.code, 101, "panic: {out:?}");
        let out = out.code(4).one_error_line();
        assert!(
            out.stderr.contains("could not print the password"),
            "{out:?}"
        );
        assert!(out.stderr.contains("revoked"), "{out:?}");
        // The credential is not left valid: the name is free again, nothing active.
        let users: Vec<_> = appw.list().iter().map(|c| c["user"].clone()).collect();
        assert_eq!(users, ["keep"], "{format}");
    }
    // Readers that leave early: a quiet success, not a panic, not a message.
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["log"],
        &["log", "--json"],
        &["--help"],
        &["completions", "bash"],
    ] {
        let out = run_into_closed_pipe(appw.command(args));
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        assert_eq!(out.stderr, "", "{args:?}");
    }
}

#[test]
fn a_store_that_is_a_symlink_loop_or_dangling_is_refused() {
    let appw = Appw::sqlite();
    let path = appw.path();
    let dir = path.parent().unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let other = dir.join("other.db");
    symlink(&other, &path).unwrap();
    symlink(&path, &other).unwrap();
    for args in [
        &["list"][..],
        &["create", "--user", "u", "n"],
        &["revoke-all", "--yes"],
        &["log"],
    ] {
        let out = appw.run(args);
        assert_eq!(out.code, 4, "{args:?}: {out:?}");
        out.one_error_line();
    }
    let (_, pw) = Appw::new().create("u", "elsewhere");
    appw.verify("u", &pw).code(4).one_error_line();
    assert_eq!(std::fs::read_link(&path).unwrap(), other);
    assert_eq!(std::fs::read_link(&other).unwrap(), path);
}

#[test]
fn a_directory_store_is_left_as_it_was() {
    let appw = Appw::sqlite();
    let path = appw.path();
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("inside"), b"x").unwrap();
    for args in [
        &["revoke-all", "--yes"][..],
        &["log"],
        &["show", "abcdefgh"],
    ] {
        appw.run(args).code(4).one_error_line();
    }
    let names: Vec<_> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["inside"]);
    assert!(!path.parent().unwrap().join("credentials.db-wal").exists());
}

/// Sets the modes of `store` (and its -wal and -shm, when there) and of its folder.
fn set_modes(store: &Path, file: u32, folder: u32) {
    for suffix in ["", "-wal", "-shm"] {
        let f = PathBuf::from(format!("{}{suffix}", store.display()));
        if f.exists() {
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(file)).unwrap();
        }
    }
    std::fs::set_permissions(
        store.parent().unwrap(),
        std::fs::Permissions::from_mode(folder),
    )
    .unwrap();
}

/// Makes a store made read-only by `set_modes` writable again, so its temporary folder can be
/// removed even when the test fails.
struct Writable<'a>(&'a Path);

impl Drop for Writable<'_> {
    fn drop(&mut self) {
        set_modes(self.0, 0o600, 0o700);
    }
}

#[test]
fn a_read_only_store_is_refused_and_left_alone() {
    // Permission bits do not bind root: then use a read-only mount if one can be made.
    let base = Appw::sqlite();
    let mount = if is_root() {
        let Some(m) = Tmpfs::mount(&base.dir.path().join("ro"), "1m") else {
            eprintln!("skipped: running as root and cannot mount a read-only tmpfs");
            return;
        };
        Some(m)
    } else {
        None
    };
    let appw = match &mount {
        Some(m) => Appw::sqlite().env("APPW_DB", m.0.join("s/credentials.db").to_str().unwrap()),
        None => base,
    };
    let store = match &mount {
        Some(m) => m.0.join("s/credentials.db"),
        None => appw.path(),
    };
    let (id, pw) = appw.create("u", "before");
    // Without a mount: the folder and the files in it read-only. (A read-only folder alone
    // is not enough, nor should it be: the -wal and -shm files are kept, so SQLite can write
    // the store through files that stay writable.)
    let _writable_again = match &mount {
        Some(m) => {
            assert!(m.remount("ro"), "remount read-only");
            None
        }
        None => {
            set_modes(&store, 0o400, 0o500);
            Some(Writable(&store))
        }
    };
    let bytes = store_bytes(&store);
    for args in [
        &["create", "--user", "u", "n"][..],
        &["revoke-all", "--yes"],
        &["revoke", &id],
    ] {
        let out = appw.run(args);
        assert_eq!(out.code, 4, "{args:?}: {out:?}");
        let out = out.one_error_line();
        let says = |w: &str| out.stderr.contains(w);
        assert!(says("read-only") || says("writable"), "{out:?}");
    }
    // Reading may work (SQLite can read a WAL store it cannot write) or fail cleanly.
    let out = appw.run(&["list", "--json"]);
    match out.code {
        0 => assert!(out.stdout.contains(&id), "{out:?}"),
        _ => drop(out.code(4).one_error_line()),
    }
    // verify cannot record the use, so it cannot succeed.
    appw.verify("u", &pw).code(4).one_error_line();
    assert_eq!(store_bytes(&store), bytes, "the read-only store changed");
}

#[test]
fn a_full_disk_is_one_error_line_and_a_sound_store() {
    let base = Appw::sqlite();
    let fs_dir = base.dir.path().join("tiny");
    let mount = Tmpfs::mount(&fs_dir, "256k");
    let appw = match &mount {
        Some(m) => Appw::sqlite().env(
            "APPW_DB",
            m.0.join("s").join("credentials.db").to_str().unwrap(),
        ),
        None => {
            eprintln!("no tmpfs: simulating a full disk with RLIMIT_FSIZE instead");
            base
        }
    };
    let db = PathBuf::from(
        appw.command(&[])
            .get_envs()
            .find(|(k, _)| *k == "APPW_DB")
            .unwrap()
            .1
            .unwrap(),
    );
    let (id, pw) = appw.create("u", "before");
    let fill = |cmd: &mut Command| {
        if mount.is_none() {
            // SAFETY: setrlimit and signal are async-signal-safe; no allocation here.
            unsafe {
                cmd.pre_exec(|| {
                    let lim = libc::rlimit {
                        rlim_cur: 0,
                        rlim_max: libc::RLIM_INFINITY,
                    };
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
                    Ok(())
                });
            }
        }
    };
    if let Some(m) = &mount {
        // Fill the disk to the last byte.
        let mut f = std::fs::File::create(m.0.join("filler")).unwrap();
        let chunk = vec![0u8; 4096];
        while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
        let _ = std::io::Write::write_all(&mut f, &[0u8]);
        while std::io::Write::write_all(&mut f, &[0u8]).is_ok() {}
    }
    let mut failures = 0;
    for i in 0..30 {
        let name = format!("bulk {i} {}", "x".repeat(90));
        let mut cmd = appw.command(&["create", "--user", "u", &name, "--porcelain"]);
        fill(&mut cmd);
        let out = appw.run_with(cmd, b"");
        assert_ne!(out.code, 101, "{out:?}");
        if out.code == 0 {
            appw.verify("u", out.stdout.trim()).ok();
            continue;
        }
        let out = out.code(4).one_error_line();
        eprintln!("full disk after {i} creates: {}", out.stderr.trim());
        failures += 1;
        break;
    }
    assert!(failures > 0, "the disk never filled");
    let mut cmd = appw.command(&["verify", "--user", "u"]);
    fill(&mut cmd);
    let out = appw.run_with(cmd, format!("{pw}\n").as_bytes());
    assert!(out.code == 0 || out.code == 4, "{out:?}");
    if out.code == 4 {
        out.one_error_line();
    }
    if let Some(m) = &mount {
        std::fs::remove_file(m.0.join("filler")).unwrap();
    }
    assert_eq!(integrity(&db), "ok");
    assert!(appw.verify("u", &pw).ok().stdout.starts_with(&id));
}

#[test]
fn an_interrupted_confirmation_revokes_nothing() {
    let appw = Appw::new();
    appw.create("u", "a");
    appw.create("u", "b");
    // A terminal for revoke-all via python3's pty module; each key ends the prompt without
    // a yes: Ctrl-D (EOF), Ctrl-C, Escape, 'n', and the terminal hanging up.
    let script = r#"
import os, pty, sys, time, select
key = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], [sys.argv[2], "revoke-all"])
buf = b""
deadline = time.time() + 60
while b"Revoke all" not in buf and time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            buf += os.read(fd, 1024)
        except OSError:
            break
if key == "hangup":
    os.close(fd)
else:
    os.write(fd, bytes.fromhex(key))
    try:
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r and not os.read(fd, 1024):
                break
    except OSError:
        pass
for _ in range(100):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.05)
else:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
print("prompted" if b"Revoke all" in buf else "no prompt", status)
"#;
    if Command::new("python3")
        .arg("-c")
        .arg("import pty")
        .status()
        .map_or(true, |s| !s.success())
    {
        eprintln!("skipped: python3 with the pty module is not available");
        return;
    }
    for key in ["04", "03", "1b", "6e0d", "hangup"] {
        let mut cmd = appw.command(&[]);
        cmd.env_remove("RUST_BACKTRACE");
        let cmd = {
            let mut c = Command::new("python3");
            c.arg("-c").arg(script).arg(key).arg(crate::harness::bin());
            c.env_clear();
            for (k, v) in cmd.get_envs() {
                if let Some(v) = v {
                    c.env(k, v);
                }
            }
            c
        };
        let out = appw.run_with(cmd, b"");
        assert!(out.stdout.starts_with("prompted"), "key {key}: {out:?}");
        let status: i32 = out
            .stdout
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        // Exit 3 (declined), or killed by the signal the key raised; never success.
        assert!(status != 0, "key {key}: revoke-all succeeded: {out:?}");
        assert_eq!(appw.list().len(), 2, "key {key} revoked something");
    }
}

// ---------------------------------------------------------------------------------------
// Hostile input

/// Text that could hurt a store, a terminal or a shell: SQL and shell metacharacters,
/// escapes, controls, direction overrides, quotes, long and non-ASCII runs.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        ".{0,40}",
        "[\\x01-\\x1f\\x7f\u{80}-\u{9f}'\";%_\\\\$`|&<>(){}*?\u{202e}\u{200b}\u{feff} a-z]{0,30}",
        Just("'; DROP TABLE credentials; --".to_string()),
        Just("\" OR 1=1 --".to_string()),
        Just("%' OR name LIKE '%".to_string()),
        Just("\u{1b}]0;pwned\u{7}\u{1b}[2J".to_string()),
        Just("$(rm -rf /)`id`".to_string()),
        // Text that looks like an option, which only `--flag=VALUE` and `--` carry safely.
        Just("-h".to_string()),
        Just("--json".to_string()),
        "-[a-z -]{1,20}",
        "[a-z]{99,102}",
    ]
    // argv cannot carry NUL at all; NUL is tried on stdin and in `appw::input` below.
    .prop_map(|s| s.replace('\0', ""))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every argument that reaches the store, through the real binary: accepted values are
    /// stored exactly as validated and round-trip; refused ones are one line with exit 2.
    #[test]
    fn hostile_arguments_are_stored_faithfully_or_refused(
        user in hostile_text(),
        name in hostile_text(),
        app_id in hostile_text(),
        source in hostile_text(),
    ) {
        let appw = Appw::new();
        let seed = appw.create("seed", "seed");
        // Values go in `--flag=VALUE` form and positionals after `--`, as a script passing
        // arbitrary text must: otherwise a value starting with `-` is read as a flag.
        let (user_arg, source_arg) = (format!("--user={user}"), format!("--source={source}"));
        let app_id_arg = format!("--app-id={app_id}");
        let out = appw.run(&["create", &user_arg, &app_id_arg, "--json", "--", &name]);
        prop_assert_ne!(out.code, 101);
        // A new credential's user also may not hold a ':' (HTTP Basic could not carry it).
        let valid = appw::input::new_user(&user).is_ok()
            && appw::input::name(&name).is_ok()
            && appw::input::app_id(&app_id).is_ok();
        if valid {
            let v = out.ok().json();
            prop_assert_eq!(v["user"].as_str().unwrap(), appw::input::user(&user).unwrap());
            prop_assert_eq!(v["name"].as_str().unwrap(), appw::input::name(&name).unwrap());
            prop_assert_eq!(v["app_id"].as_str().unwrap(), appw::input::app_id(&app_id).unwrap());
            let pw = v["password"].as_str().unwrap().to_string();
            let out = appw.run_stdin(
                &["verify", &user_arg, &source_arg],
                format!("{pw}\n").as_bytes(),
            );
            if source.trim().is_empty() {
                // An empty source (a hook's unset $REMOTE_ADDR) is no source.
                out.ok();
                let listed = appw.list();
                let c = listed.iter().find(|c| c["id"] == v["id"]).unwrap();
                prop_assert!(c["last_source"].is_null());
            } else if appw::input::source(&source).is_ok() {
                out.ok();
                let listed = appw.list();
                let c = listed.iter().find(|c| c["id"] == v["id"]).unwrap();
                prop_assert_eq!(c["last_source"].as_str().unwrap(), appw::input::source(&source).unwrap());
                prop_assert_eq!(&c["name"], &v["name"]);
            } else {
                out.code(2).one_error_line();
            }
            // The table shows nothing a terminal would act on.
            let table = appw.run(&["list"]).ok().stdout;
            prop_assert!(!table.chars().any(|c| appw::text::is_unprintable(c) && c != '\n'));
        } else {
            let out = out.code(2).one_error_line();
            prop_assert!(!out.stderr.chars().any(|c| appw::text::is_unprintable(c) && c != '\n'));
        }
        // Filters and lookups with the same text never match what they should not.
        let out = appw.run(&["list", &user_arg, "--json"]);
        prop_assert_ne!(out.code, 101);
        if out.code == 0 {
            for c in out.json().as_array().unwrap() {
                prop_assert_eq!(c["user"].as_str().unwrap(), user.trim());
            }
        }
        let out = appw.run(&["revoke", &user_arg, &format!("--name={name}")]);
        prop_assert!([0, 2, 3].contains(&out.code), "{:?}", out);
        let out = appw.run(&["revoke", "--", &name]);
        prop_assert!([2, 3].contains(&out.code), "{:?}", out);
        // The seed credential survived whatever the text was.
        appw.verify("seed", &seed.1).ok();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// The validators in-process, many more cases than the binary can afford: whatever they
    /// accept is trimmed, bounded, printable and not a password.
    #[test]
    fn validators_accept_only_clean_text(raw in prop_oneof![hostile_text(), ".*", "[\\x00-\\x7f]{0,210}"]) {
        for (check, max) in [
            (appw::input::name as fn(&str) -> _, 100),
            (appw::input::user, 100),
            (appw::input::app_id, 100),
            (appw::input::source, 200),
        ] {
            if let Ok(v) = check(&raw) {
                prop_assert!(!v.is_empty() && v.chars().count() <= max);
                prop_assert_eq!(v.trim(), v.as_str());
                prop_assert!(!v.chars().any(appw::text::is_unprintable));
                prop_assert!(appw::secret::Token::parse(&v).is_err());
            }
        }
    }
}

#[test]
fn nul_bytes_invalid_utf8_and_huge_inputs_are_refused_without_a_hash() {
    let appw = Appw::new();
    let (_, pw) = appw.create("u", "real");
    let rejected = |out: Out| -> Out {
        assert_ne!(out.code, 101);
        out.code(1).one_error_line()
    };
    // 10 MB on stdin: refused before any hashing (no `rejected` event: the store is not
    // even reached), whatever the content.
    let before = appw.log(&[]).len();
    for big in [
        vec![b'a'; 10 << 20],
        [b"appw".as_slice(), &vec![b'0'; 10 << 20]].concat(),
    ] {
        let out = rejected(appw.run_stdin(&["verify", "--user", "u"], &big));
        assert!(out.stderr.contains("longer than"), "{out:?}");
        let out = rejected(appw.run_stdin(&["verify", "--basic"], &big));
        assert!(out.stderr.contains("longer than"), "{out:?}");
    }
    assert_eq!(
        appw.log(&[]).len(),
        before,
        "a huge input reached the store"
    );
    // NUL bytes and invalid UTF-8 in the password.
    for bad in [
        format!("{pw}\0\n").into_bytes(),
        format!("\0{pw}\n").into_bytes(),
        [
            &pw.as_bytes()[..20],
            b"\xff\xfe",
            &pw.as_bytes()[20..],
            b"\n",
        ]
        .concat(),
        b"\xc3\x28\n".to_vec(),
        b"\n".to_vec(),
        Vec::new(),
    ] {
        rejected(appw.run_stdin(&["verify", "--user", "u"], &bad));
    }
    // ... and in the environment variable it may come from.
    let mut cmd = appw.command(&["verify", "--user", "u", "--password-env", "PW"]);
    cmd.env("PW", OsStr::from_bytes(b"appw\xff\xfe"));
    rejected(appw.run_with(cmd, b""));
    // Invalid UTF-8 in arguments: usage errors, one line.
    for args in [
        vec![
            OsStr::from_bytes(b"create"),
            OsStr::new("--user"),
            OsStr::from_bytes(b"\xffu"),
            OsStr::new("n"),
        ],
        vec![
            OsStr::new("create"),
            OsStr::new("--user"),
            OsStr::new("u"),
            OsStr::from_bytes(b"n\xc0"),
        ],
        vec![
            OsStr::new("verify"),
            OsStr::new("--user"),
            OsStr::new("u"),
            OsStr::new("--source"),
            OsStr::from_bytes(b"\xfe"),
        ],
        vec![
            OsStr::new("list"),
            OsStr::new("--user"),
            OsStr::from_bytes(b"\x80"),
        ],
        vec![OsStr::new("revoke"), OsStr::from_bytes(b"abcdefgh\xff")],
    ] {
        let mut cmd = appw.command(&[]);
        cmd.args(&args);
        let out = appw.run_with(cmd, format!("{pw}\n").as_bytes());
        assert_ne!(out.code, 101, "{args:?}");
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
    }
    // ... and in the environment appw reads.
    for (var, value) in [
        ("APPW_KDF", &b"m=\xff"[..]),
        ("APPW_DB", b"/tmp/\xff\xfe/x.db"),
        ("HOME", b"/\xff"),
    ] {
        let mut cmd = appw.command(&["list"]);
        cmd.env(var, OsStr::from_bytes(value));
        if var == "HOME" {
            cmd.env_remove("APPW_DB");
        }
        let out = appw.run_with(cmd, b"");
        assert!([0, 2, 4].contains(&out.code), "{var}: {out:?}");
        if out.code != 0 {
            out.one_error_line();
        }
    }
    // Still exactly one credential, untouched.
    appw.verify("u", &pw).ok();
    // NUL and escapes where the validators see them directly.
    for raw in ["a\0b", "\0", "x\u{1b}[31m", "\u{9b}2J"] {
        assert!(appw::input::name(raw).is_err(), "{raw:?}");
        assert!(appw::input::user(raw).is_err(), "{raw:?}");
        assert!(appw::input::source(raw).is_err(), "{raw:?}");
        assert!(appw::input::app_id(raw).is_err(), "{raw:?}");
    }
}

// ---------------------------------------------------------------------------------------
// No secret in any output but create's one print; the hash never leaves the store

#[test]
fn the_password_and_hash_never_appear_anywhere_but_the_one_print() {
    let appw = Appw::new();
    let (id, pw) = appw.create("deploy", "ci");
    let (id2, pw2) = appw.create("deploy", "to revoke");
    let secret = &pw[16..42];
    let grouped = crate::harness::grouped(&pw);
    let typo = crate::harness::typo(&pw, 30);
    let mut outputs: Vec<(String, Out)> = Vec::new();
    let mut record = |what: &str, out: Out| outputs.push((what.to_string(), out));
    record("verify ok", appw.verify("deploy", &pw));
    record("verify grouped", appw.verify("deploy", &grouped));
    record("verify wrong user", appw.verify("other", &pw));
    record("verify typo", appw.verify("deploy", &typo));
    record("verify truncated", appw.verify("deploy", &pw[..40]));
    record("verify appended", appw.verify("deploy", &format!("{pw}x")));
    record(
        "verify basic",
        appw.run_stdin(&["verify", "--basic"], format!("Basic {pw}\n").as_bytes()),
    );
    let mut cmd = appw.command(&["verify", "--user", "deploy", "--password-env", "NOPE"]);
    cmd.env("PW", &pw);
    record("verify missing env", appw.run_with(cmd, b""));
    // A password typed into another field is refused, not stored and shown.
    record(
        "verify source=password",
        appw.run_stdin(
            &["verify", "--user", "deploy", "--source", &pw],
            format!("{pw2}\n").as_bytes(),
        ),
    );
    record(
        "create name=password",
        appw.run(&["create", "--user", "deploy", &format!("{pw}\u{1b}")]),
    );
    record(
        "create name=password",
        appw.run(&["create", "--user", "deploy", &grouped]),
    );
    record(
        "create user=password",
        appw.run(&["create", "--user", &pw, "n"]),
    );
    record(
        "create app-id=password",
        appw.run(&["create", "--user", "deploy", "n", "--app-id", &pw]),
    );
    record(
        "verify password as argument",
        appw.run(&["verify", "--user", "deploy", &pw]),
    );
    record(
        "create --expires password",
        appw.run(&["create", "--user", "deploy", "x", "--expires", &pw]),
    );
    record(
        "create --kdf password",
        appw.run(&["--kdf", &pw, "create", "--user", "deploy", "y"]),
    );
    record(
        "list --expiring password",
        appw.run(&["list", "--expiring", &typo]),
    );
    record("unknown command password", appw.run(&[&pw]));
    record("revoke password", appw.run(&["revoke", &pw]));
    record("show password", appw.run(&["show", &pw]));
    record("revoke", appw.run(&["revoke", &id2]));
    record("verify revoked", appw.verify("deploy", &pw2));
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", &id],
        &["show", &id, "--json"],
        &["show", &id2, "--json"],
        &["log"],
        &["log", "--json"],
    ] {
        record(&args.join(" "), appw.run(args));
    }
    for (what, out) in &outputs {
        assert_ne!(out.code, 101, "{what}");
        for text in [&out.stdout, &out.stderr] {
            crate::harness::assert_no_secret(text, &pw, what);
            crate::harness::assert_no_secret(text, &pw2, what);
            for needle in ["$argon2id$", "argon2id$v="] {
                assert!(!text.contains(needle), "{what} printed {needle:?}: {out:?}");
            }
        }
    }
    for (what, out) in &outputs {
        if what.contains("password") && what != "verify missing env" {
            assert!(out.code == 2 || out.code == 3, "{what}: {out:?}");
        }
        if what.contains("=password") {
            assert_eq!(out.code, 2, "{what}: {out:?}");
        }
    }
    if !appw.is_postgres() {
        let bytes = store_bytes(&appw.path());
        for needle in [
            pw.as_bytes(),
            secret.as_bytes(),
            pw2.as_bytes(),
            &pw2.as_bytes()[16..42],
        ] {
            assert!(!contains(&bytes, needle), "the store holds a password");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Timing, as counts of argon2 evaluations

/// Verifies `password` for `user` in-process, as `appw verify` does, at the cheap policy,
/// with a hasher of its own: whether it was valid, and how many argon2 evaluations it cost.
pub fn verify_counted<S>(
    open: impl FnOnce() -> Result<Option<S>, appw::error::Error> + Send,
    user: &str,
    password: &str,
    scope: Option<&str>,
    source: Option<&str>,
    now: i64,
) -> (bool, u64)
where
    S: std::ops::DerefMut<Target = dyn Store> + Send,
{
    let policy: KdfParams = CHEAP_KDF.parse().unwrap();
    let hasher = Hasher::new(policy, Arena::new(Memory::Ordinary, Reuse::WipeNow));
    let Ok(request) = Request::password(Some(user.to_string()), password) else {
        return (false, hasher.evaluations());
    };
    let outcome = check(open, &request, scope, source, &hasher, now).unwrap();
    (matches!(outcome, Outcome::Valid(_)), hasher.evaluations())
}

#[test]
fn every_verify_outcome_costs_exactly_one_hash_evaluation() {
    let appw = Appw::new();
    let (id, pw) = appw.create("u", "valid");
    let (revoked_id, revoked_pw) = appw.create("u", "revoked");
    appw.run(&["revoke", &revoked_id]).ok();
    let (_, expiring_pw) = appw.create("u", "expires");
    appw.run(&["create", "--user", "u", "expiring", "--expires", "1h"])
        .ok();
    let expired_pw = {
        let out = appw
            .run(&[
                "create",
                "--user",
                "u",
                "soon",
                "--expires",
                "1h",
                "--porcelain",
            ])
            .ok();
        out.stdout.trim().to_string()
    };
    let mut rng = Rng::seeded();
    let wrong_pw = forged_token(&id, &mut rng);
    let (_, unknown_id_pw) = Appw::new().create("u", "elsewhere");
    let location = Location::resolve(Some(PathBuf::from(&appw.db))).unwrap();
    let mut store = appw::store::open(&location, Access::Existing)
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    let cases: [(&str, &str, &str, i64, bool); 7] = [
        ("valid", "u", &pw, now, true),
        ("wrong password", "u", &wrong_pw, now, false),
        ("unknown user", "nobody", &pw, now, false),
        ("unknown lookup id", "u", &unknown_id_pw, now, false),
        ("revoked", "u", &revoked_pw, now, false),
        ("expired", "u", &expired_pw, now + 2 * 3600, false),
        (
            "another credential of the same user",
            "u",
            &expiring_pw,
            now,
            true,
        ),
    ];
    for (what, user, password, at, valid) in cases {
        let (ok, evaluations) =
            verify_counted(|| Ok(Some(store.as_mut())), user, password, None, None, at);
        assert_eq!(evaluations, 1, "{what}");
        assert_eq!(ok, valid, "{what}");
    }
    // Without a store, still one evaluation; malformed input and huge input, none (the
    // format is public, so refusing it early tells an attacker nothing).
    for (what, with_store, password, want) in [
        ("no store", false, pw.clone(), 1),
        ("malformed", true, "appw-not-a-token".to_string(), 0),
        ("10 MB", true, "a".repeat(10 << 20), 0),
        ("checksum typo", true, crate::harness::typo(&pw, 47), 0),
    ] {
        let opened = with_store.then(|| store_for(&location));
        let (ok, evaluations) = verify_counted(|| Ok(opened), "u", &password, None, None, now);
        assert_eq!(evaluations, want, "{what}");
        assert!(!ok, "{what}");
    }
}

#[test]
fn a_hash_made_under_other_parameters_costs_a_second_evaluation_until_rehashed() {
    // The limit SECURITY.md states: the early evaluation (at the policy, with the id's salt)
    // answers only for hashes made that way. Checking any other costs one more, for a wrong
    // password as for the right one; a successful verify rehashes a weaker hash, after which
    // its checks cost one again. A stronger hash stays as it is (and stays at two).
    let appw = Appw::new();
    let (weak_id, weak_pw) = appw.create_with("m=32,t=1,p=1", "u", "weak");
    let (strong_id, strong_pw) = appw.create_with("m=128,t=1,p=1", "u", "strong");
    let location = Location::resolve(Some(PathBuf::from(&appw.db))).unwrap();
    let mut store = store_for(&location);
    let now = chrono::Utc::now().timestamp();
    let mut rng = Rng::seeded();
    let cases: [(&str, String, u64, bool); 5] = [
        (
            "wrong password, weaker hash",
            forged_token(&weak_id, &mut rng),
            2,
            false,
        ),
        (
            "wrong password, stronger hash",
            forged_token(&strong_id, &mut rng),
            2,
            false,
        ),
        (
            "right password, weaker hash: rehashed",
            weak_pw.clone(),
            2,
            true,
        ),
        ("right password, rehashed hash", weak_pw, 1, true),
        ("right password, stronger hash", strong_pw, 2, true),
    ];
    for (what, password, want, valid) in cases {
        let (ok, evaluations) =
            verify_counted(|| Ok(Some(store.as_mut())), "u", &password, None, None, now);
        assert_eq!(evaluations, want, "{what}");
        assert_eq!(ok, valid, "{what}");
    }
}

fn store_for(location: &Location) -> Box<dyn appw::store::Store> {
    appw::store::open(location, Access::Existing)
        .unwrap()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Permissions

#[test]
fn a_new_store_is_private_even_under_umask_000() {
    let appw = Appw::sqlite();
    let mut cmd = appw.command(&["create", "--user", "u", "n", "--porcelain"]);
    // SAFETY: umask is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0);
            Ok(())
        });
    }
    let out = appw.run_with(cmd, b"").ok();
    assert_eq!(out.stderr, "", "no warning on a store appw made itself");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let path = appw.path();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    for suffix in ["-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        if let Ok(meta) = std::fs::metadata(&p) {
            assert_eq!(meta.permissions().mode() & 0o077, 0, "{suffix}");
        }
    }
    // No leftover temporary file from the atomic creation.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn a_store_others_can_read_draws_a_warning() {
    // Others being able to write it is refused: see hostile.rs.
    let appw = Appw::sqlite();
    let (_, pw) = appw.create("u", "n");
    for mode in [0o640, 0o604, 0o644] {
        std::fs::set_permissions(appw.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        for out in [appw.run(&["list"]), appw.verify("u", &pw)] {
            let out = out.ok();
            assert!(
                out.stderr.starts_with("appw: warning:"),
                "{mode:o}: {out:?}"
            );
            assert!(out.stderr.contains("chmod 600"), "{out:?}");
            assert_eq!(out.stderr.lines().count(), 1);
        }
    }
    std::fs::set_permissions(appw.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(appw.run(&["list"]).ok().stderr, "");
}

#[test]
fn messages_that_echo_input_redact_password_shaped_text() {
    use appw::secret::redact::redact;
    let mut rng = Rng::seeded();
    let pw = forged_token("k3j4h5g6f7d8", &mut rng);
    let other = forged_token("a1b2c3d4e5f6", &mut rng);
    let grouped = crate::harness::grouped(&pw);
    // Any 8 characters of either secret left in the text is a leak (by chance, one of these
    // 38 windows turns up in these texts about once in 10^10 runs).
    let leaks = |r: &str| {
        [&pw, &other]
            .iter()
            .any(|p| (16..=42 - 8).any(|i| r.contains(&p[i..i + 8])))
    };
    for text in [
        format!("unexpected argument '{pw}' found"),
        pw.clone(),
        format!("\"{}x\" is neither", &pw[..47]),
        format!("{grouped}\n"),
        // A cut-short password run straight into a whole one, with and without space: the
        // first run ends inside the second password.
        format!("a {} b {pw}", &pw[..30]),
        format!("{}{pw}", &pw[..20]),
        format!("{} {}", &grouped[..30], grouped),
        format!("{} b {other} and {pw}", &pw[..30]),
        format!("{pw}{other}"),
        format!("{}\t{pw}", &other[..17]),
    ] {
        let r = redact(&text);
        assert!(!leaks(&r), "{text:?} -> {r:?}");
        // The public id of the first password-shaped run stays, to say which it was.
        let first = if text.starts_with(&other[..8]) {
            &other
        } else {
            &pw
        };
        assert!(r.contains(&first[..16]), "{r}");
    }
    for plain in [
        "appw: no such file",
        "/home/appwuser/x.db",
        "appw",
        "appwk3j4h5g6",
    ] {
        assert_eq!(redact(plain), plain);
    }
}

#[test]
fn passwords_match_the_documented_scanner_regex() {
    let appw = Appw::new();
    let (_, pw) = appw.create("u", "n");
    assert!(crate::harness::is_token(&pw), "{pw}");
    let security =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/SECURITY.md")).unwrap();
    assert!(security.contains(r"\bappw[0-9a-z]{12}[0-9A-Za-z]{32}\b"));
}
