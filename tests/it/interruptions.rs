//! Commands cut short: `create` killed with SIGKILL at any point leaves a sound store, a
//! password whose stdout is closed is revoked unseen, and a confirmation interrupted at the
//! terminal (a pty) revokes nothing. The `soak_*` test is ignored by default (`--ignored`).

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Appw, Out, Rng, Skip, integrity, skip};

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
fn an_interrupted_confirmation_revokes_nothing() {
    let appw = Appw::new();
    appw.create("u", "a");
    appw.create("u", "b");
    // A terminal for revoke-all via python3's pty module; each key ends the prompt without
    // a yes: Ctrl-D (EOF), Ctrl-C, Escape, 'n', and the terminal hanging up.
    let script = r#"
import os, pty, sys, time, select, termios
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
# The key comes when a person would press it: once the prompt reads keys one by one (it
# has taken the terminal out of canonical mode), not while it is still being drawn, when
# the line discipline would turn Ctrl-D into an end of file for appw.
while termios.tcgetattr(fd)[3] & termios.ICANON and time.time() < deadline:
    time.sleep(0.01)
deadline = time.time() + 60
if key == "hangup":
    os.close(fd)
else:
    os.write(fd, bytes.fromhex(key))
    try:
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                more = os.read(fd, 1024)
                if not more:
                    break
                buf += more
    except OSError:
        pass
# appw must exit by itself, however busy the machine; SIGKILL only ends a run that hung,
# which is then reported as such.
status = "hung"
while time.time() < deadline:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
        break
    time.sleep(0.05)
if status == "hung":
    os.kill(pid, 9)
    os.waitpid(pid, 0)
else:
    status = os.waitstatus_to_exitcode(status)
print("prompted" if b"Revoke all" in buf else "no prompt", status)
print(buf.decode(errors="replace"))
"#;
    if Command::new("python3")
        .arg("-c")
        .arg("import pty")
        .status()
        .map_or(true, |s| !s.success())
    {
        skip(
            Skip::Missing,
            "python3 with the pty module is not available",
        );
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
            .unwrap_or_else(|_| panic!("key {key}: appw did not exit: {out:?}"));
        if key == "hangup" {
            // Killed by SIGHUP, or declined when the read fails; never success.
            assert!(status != 0, "key {key}: revoke-all succeeded: {out:?}");
        } else {
            assert_eq!(status, 3, "key {key}: not declined: {out:?}");
            assert!(
                out.stdout.contains("nothing was revoked"),
                "key {key}: {out:?}"
            );
        }
        assert_eq!(appw.list().len(), 2, "key {key} revoked something");
    }
}
