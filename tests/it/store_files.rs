//! The store's file where the filesystem is against it: a symlink loop or dangling link, a
//! directory, a read-only file or mount, a full disk; and who may read it (private under any
//! umask, a warning when others can read it).

use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::harness::{Appw, Skip, integrity, skip, store_bytes};

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
            skip(
                Skip::Missing,
                "running as root and cannot mount a read-only tmpfs",
            );
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
