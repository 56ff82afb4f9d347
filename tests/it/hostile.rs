//! A second user on the same machine: a store another user could replace, names
//! planted where a new store is built, a closed standard output, and the races, kills and
//! odd files that held up in the same round, kept so they keep holding. Tests that need
//! other users run appw under other uids, and skip unless the suite runs as root (a failure
//! under CI=true, which runs as root: see `harness::skip`).

use std::os::unix::fs::{PermissionsExt, lchown, symlink};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::harness::{Appw, Out, Skip, skip, store_bytes};

/// Uids no account uses: the store's owner and the other user.
const VICTIM: u32 = 4242;
const ATTACKER: u32 = 4243;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown(path: &Path, uid: u32) {
    lchown(path, Some(uid), Some(uid)).unwrap();
}

fn companion(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

/// Runs appw as `uid` (its own group, no supplementary groups), as setpriv would.
fn run_as(appw: &Appw, uid: u32, args: &[&str]) -> Out {
    appw.run_with(appw.command_as(uid, args), b"")
}

/// Every command that opens the store is refused with exit 4, one line naming `culprit` and
/// the fix, and the store is left byte for byte as it was.
#[track_caller]
fn refused(appw: &Appw, pw: &str, culprit: &Path, fix: &str) {
    let before = store_bytes(&appw.path());
    let mut outs: Vec<Out> = [
        &["list"][..],
        &["log", "--json"],
        &["create", "--user", "u", "another"],
        &["revoke-all", "--yes"],
    ]
    .iter()
    .map(|args| appw.run(args))
    .collect();
    outs.push(appw.verify("u", pw));
    for out in outs {
        let out = out.code(4).one_error_line();
        assert!(
            out.stderr.contains(&culprit.display().to_string()),
            "{culprit:?}: {out:?}"
        );
        assert!(out.stderr.contains(fix), "{fix}: {out:?}");
    }
    assert!(store_bytes(&appw.path()) == before, "the store was changed");
}

/// A store whose folder, files or any folder above could be written by
/// others is refused, whoever runs appw; a sticky folder above (`/tmp`) is fine.
#[test]
fn a_store_others_could_replace_is_refused_and_left_as_it_was() {
    let appw = Appw::sqlite();
    let (_, pw) = appw.create("u", "n");
    let path = appw.path();
    let folder = path.parent().unwrap();
    let top = appw.dir.path();
    for mode in [0o770, 0o707, 0o777] {
        chmod(folder, mode);
        refused(&appw, &pw, folder, "chmod go-w");
    }
    chmod(folder, 0o700);
    for suffix in ["", "-wal", "-shm"] {
        let file = companion(&path, suffix);
        assert!(file.exists(), "{file:?}");
        for mode in [0o620, 0o602] {
            chmod(&file, mode);
            refused(&appw, &pw, &file, "chmod 600");
        }
        chmod(&file, 0o600);
    }
    chmod(top, 0o777);
    refused(&appw, &pw, top, "chmod go-w");
    // Sticky, as /tmp is: others cannot swap what is ours in it.
    chmod(top, 0o1777);
    appw.verify("u", &pw).ok();
    chmod(top, 0o700);
    appw.run(&["list"]).ok();
}

/// As root: files and folders of another user (root's own aside) are
/// refused, on the way to the store too, and so are symlinks another user could re-point.
#[test]
fn a_store_another_user_owns_any_part_of_is_refused() {
    if !is_root() {
        skip(Skip::Missing, "needs root to hand files to another user");
        return;
    }
    let appw = Appw::sqlite();
    let (_, pw) = appw.create("u", "n");
    let path = appw.path();
    let folder = path.parent().unwrap();
    let top = appw.dir.path();
    let fix = "a folder of your own";
    chown(folder, ATTACKER);
    refused(&appw, &pw, folder, fix);
    chown(folder, 0);
    for suffix in ["", "-wal", "-shm"] {
        let file = companion(&path, suffix);
        chown(&file, ATTACKER);
        refused(&appw, &pw, &file, fix);
        chown(&file, 0);
    }
    for mode in [0o755, 0o1777] {
        chown(top, ATTACKER);
        chmod(top, mode);
        refused(&appw, &pw, top, fix);
    }
    chown(top, 0);
    chmod(top, 0o700);
    // A symlinked folder: fine when the link is ours, refused when another user's.
    let link = top.join("link");
    symlink(folder, &link).unwrap();
    let via_link = Appw::sqlite().env("APPW_DB", link.join("credentials.db").to_str().unwrap());
    via_link.verify("u", &pw).ok();
    chown(&link, ATTACKER);
    let out = via_link.verify("u", &pw).code(4).one_error_line();
    assert!(out.stderr.contains(link.to_str().unwrap()), "{out:?}");
    // A -wal that is a symlink (to a WAL of another store, say) is refused, not followed.
    let wal = companion(&path, "-wal");
    let elsewhere = top.join("other-wal");
    std::fs::rename(&wal, &elsewhere).unwrap();
    symlink(&elsewhere, &wal).unwrap();
    refused(&appw, &pw, &wal, "symbolic link");
}

/// The attack as reported: another user makes the store's folder (0777)
/// before the victim's first `create`, to swap its WAL later. The victim, not root, is
/// refused before anything is written there; in a folder of their own under a sticky,
/// root-owned one (as stores under /tmp are), everything works.
#[test]
fn a_folder_another_user_made_ready_is_never_filled() {
    if !is_root() {
        skip(Skip::Missing, "needs root to run appw as two other users");
        return;
    }
    let appw = Appw::sqlite();
    let shared = appw.dir.path();
    chmod(shared, 0o1777);
    let trap = shared.join("store");
    std::fs::create_dir(&trap).unwrap();
    chown(&trap, ATTACKER);
    chmod(&trap, 0o777);
    let out = run_as(&appw, VICTIM, &["create", "--user", "u", "n"])
        .code(4)
        .one_error_line();
    assert!(out.stderr.contains(trap.to_str().unwrap()), "{out:?}");
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_dir(&trap).unwrap().count(),
        0,
        "nothing written"
    );

    let own = Appw::sqlite().env(
        "APPW_DB",
        shared.join("mine").join("credentials.db").to_str().unwrap(),
    );
    let created = run_as(&own, VICTIM, &["create", "--user", "u", "n", "--porcelain"]).ok();
    let pw = created.stdout.trim();
    let cmd = own.command_as(VICTIM, &["verify", "--user", "u"]);
    own.run_with(cmd, format!("{pw}\n").as_bytes()).ok();
    assert_eq!(run_as(&own, VICTIM, &["list"]).ok().stderr, "");
    // The same store is not the attacker's to use, nor to trust.
    run_as(&own, ATTACKER, &["list"]).code(4).one_error_line();
}

/// The file a new store is built in has a name nobody can guess, made
/// only where nothing is. Names planted for the pids appw may get (`.NAME.PID.tmp`, which
/// the old name was) neither stop `create` nor are touched by it.
#[test]
fn names_planted_where_a_new_store_is_built_change_nothing() {
    let appw = Appw::sqlite();
    let folder = appw.path().parent().unwrap().to_path_buf();
    std::fs::create_dir(&folder).unwrap();
    chmod(&folder, 0o700);
    let next = Command::new("true").spawn().unwrap().id();
    let pid_max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .map_or(32768, |s| s.trim().parse().unwrap());
    let planted: Vec<PathBuf> = (0..3000)
        .map(|i| folder.join(format!(".credentials.db.{}.tmp", (next + i) % pid_max)))
        .collect();
    for p in &planted {
        std::fs::create_dir(p).unwrap();
    }
    let (_, pw) = appw.create("u", "n");
    appw.verify("u", &pw).ok();
    let left = std::fs::read_dir(&folder).unwrap().count();
    assert_eq!(
        left,
        planted.len() + 3,
        "the store, its -wal and -shm, and the planted"
    );
    assert!(planted.iter().all(|p| p.is_dir()));
}

/// `create` or `rotate` with standard output closed (`>&-`, not a pipe)
/// would print the password to nobody: refused before anything is stored. Commands that only
/// print end quietly, as with a closed pipe, and `verify` still answers by its status.
#[test]
fn a_closed_standard_output_issues_no_password() {
    let appw = Appw::new();
    let (id, pw) = appw.create("u", "kept");
    let closed = |args: &[&str], stdin: &str| {
        let mut cmd = appw.command(args);
        // SAFETY: close(2) is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::close(1);
                Ok(())
            });
        }
        appw.run_with(cmd, stdin.as_bytes())
    };
    for args in [
        &["create", "--user", "u", "unseen"][..],
        &["create", "--user", "u", "unseen", "--json"],
        &["create", "--user", "u", "unseen", "--porcelain"],
        &["rotate", &id],
        &["rotate", "--user", "u", "--name", "kept", "--porcelain"],
    ] {
        let out = closed(args, "").code(4).one_error_line();
        assert!(out.stderr.contains("standard output is closed"), "{out:?}");
    }
    assert_eq!(appw.list().len(), 1);
    assert_eq!(
        appw.log(&[]).len(),
        1,
        "nothing was stored, nothing revoked"
    );
    appw.verify("u", &pw).ok();
    closed(&["verify", "--user", "u"], &format!("{pw}\n")).ok();
    closed(
        &["verify", "--user", "u"],
        &format!("{}\n", crate::harness::forge(&pw)),
    )
    .code(1);
    closed(&["list"], "").ok();
}

/// Held up: 40 parallel creates of one name, exactly one wins; the others are refused as
/// duplicates (exit 3), and no password is printed for them.
#[test]
fn parallel_creates_of_one_name_have_one_winner() {
    let appw = Arc::new(Appw::new());
    appw.create("u", "warm-up");
    let outs: Vec<Out> = (0..40)
        .map(|_| {
            let appw = appw.clone();
            std::thread::spawn(move || appw.run(&["create", "--user", "u", "contested", "--json"]))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let won: Vec<&Out> = outs.iter().filter(|o| o.code == 0).collect();
    assert_eq!(won.len(), 1, "{outs:#?}");
    for out in outs.iter().filter(|o| o.code != 0) {
        assert_eq!(out.code, 3, "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
    }
    let pw = won[0].json()["password"].as_str().unwrap().to_string();
    appw.verify("u", &pw).ok();
    assert_eq!(appw.list().len(), 2);
}

/// Held up: 12 parallel rotates of one credential leave exactly one valid password, the one
/// the only successful rotation printed.
#[test]
fn parallel_rotates_leave_one_valid_password() {
    let appw = Arc::new(Appw::new());
    let (id, old) = appw.create("u", "rotating");
    let outs: Vec<Out> = (0..12)
        .map(|_| {
            let (appw, id) = (appw.clone(), id.clone());
            std::thread::spawn(move || appw.run(&["rotate", &id, "--porcelain"]))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let printed: Vec<&str> = outs
        .iter()
        .filter(|o| o.code == 0)
        .map(|o| o.stdout.trim())
        .collect();
    assert_eq!(printed.len(), 1, "{outs:#?}");
    assert!(outs.iter().all(|o| o.code == 0 || o.code == 3), "{outs:#?}");
    appw.verify("u", printed[0]).ok();
    appw.verify("u", &old).code(1);
    assert_eq!(appw.list().len(), 1);
}

/// Held up: SIGKILL at random points of `rotate` and `copy-store` leaves a sound store
/// with exactly one valid password (rotate), and a source as it was (copy-store).
#[test]
fn sigkill_during_rotate_and_copy_store_leaves_sound_stores() {
    let appw = Appw::sqlite();
    let (id, first) = appw.create("u", "rotating");
    let mut current = (id, first);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut landed = 0;
    for round in 0..24 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = std::time::Duration::from_micros(seed % 30_000);
        let (args, dest): (Vec<String>, Option<PathBuf>) = if round % 2 == 0 {
            (
                vec!["rotate".into(), current.0.clone(), "--json".into()],
                None,
            )
        } else {
            let dest = appw.dir.path().join(format!("copy{round}.db"));
            let to = format!("--to={}", dest.display());
            (vec!["copy-store".into(), to], Some(dest))
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = appw
            .command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        if out.status.signal() == Some(libc::SIGKILL) {
            landed += 1;
        }
        // The source stays usable; exactly one of the old and a printed new password works.
        let list = appw.list();
        assert_eq!(list.len(), 1, "{list:?}");
        let active = list[0]["id"].as_str().unwrap().to_string();
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) {
            if let Some(pw) = v["password"].as_str() {
                current = (v["id"].as_str().unwrap().to_string(), pw.to_string());
            }
        }
        if active == current.0 {
            appw.verify("u", &current.1).ok();
        } else {
            // Killed between commit and print: the new one was stored, never seen.
            appw.verify("u", &current.1).code(1);
            let (new_id, pw) = rotate_to_known(&appw, &active);
            current = (new_id, pw);
        }
        if let Some(dest) = dest.filter(|d| d.exists()) {
            let copy = Appw::sqlite().env("APPW_DB", dest.to_str().unwrap());
            let out = copy.run(&["list", "--json"]);
            assert!(out.code == 0 || out.code == 4, "{out:?}");
        }
    }
    eprintln!("{landed} of 24 kills landed while the command ran");
}

fn rotate_to_known(appw: &Appw, id: &str) -> (String, String) {
    let v = appw.run(&["rotate", id, "--json"]).ok().json();
    (
        v["id"].as_str().unwrap().to_string(),
        v["password"].as_str().unwrap().to_string(),
    )
}

/// Held up: a FIFO or a device as the store is refused (exit 4) without blocking or
/// writing to it.
#[test]
fn a_fifo_or_a_device_as_the_store_is_refused() {
    let appw = Appw::sqlite();
    let folder = appw.path().parent().unwrap().to_path_buf();
    std::fs::create_dir(&folder).unwrap();
    let fifo = folder.join("credentials.db");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for args in [&["list"][..], &["create", "--user", "u", "n"], &["log"]] {
        appw.run(args).code(4).one_error_line();
    }
    let null = Appw::sqlite().env("APPW_DB", "/dev/null");
    for args in [&["list"][..], &["create", "--user", "u", "n"]] {
        null.run(args).code(4).one_error_line();
    }
}
