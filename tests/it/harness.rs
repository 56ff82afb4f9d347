//! A temporary store and the real binary: `Appw::new()` points `--db` into a fresh temp
//! folder (or, with `APPW_TEST_BACKEND=postgres`, at a fresh PostgreSQL database), and
//! every run's exit code, stdout and stderr come back as an [`Out`].

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod other_users;
mod passwords;
mod random;
mod skip;

pub use passwords::{forge, grouped, is_token, typo, with_checksum};
pub use random::{Rng, forged_token};
pub use skip::{Skip, skip};

/// Cheap argon2 parameters: most tests are not about hashing.
pub const CHEAP_KDF: &str = "m=64,t=1,p=1";

pub struct Appw {
    pub dir: tempfile::TempDir,
    /// What `--db` gets: a file path, or a postgres:// URL.
    pub db: String,
    envs: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts the exit code, showing everything on failure.
    #[track_caller]
    pub fn code(self, expected: i32) -> Out {
        assert_eq!(self.code, expected, "unexpected exit code; {self:#?}");
        self
    }

    #[track_caller]
    pub fn ok(self) -> Out {
        self.code(0)
    }

    /// Asserts the error contract: exactly one line on stderr, starting with `appw: `.
    #[track_caller]
    pub fn one_error_line(self) -> Out {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("appw: warning:"))
            .collect();
        assert_eq!(lines.len(), 1, "expected one stderr line; {self:#?}");
        assert!(lines[0].starts_with("appw: "), "{self:#?}");
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:#?}"))
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_appw")
}

impl Appw {
    /// A fresh, not yet created, store on the backend chosen for this run.
    pub fn new() -> Appw {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = match crate::postgres::fresh_database() {
            Some(url) => url,
            None => dir
                .path()
                .join("store")
                .join("credentials.db")
                .to_string_lossy()
                .into_owned(),
        };
        Appw {
            dir,
            db,
            envs: Vec::new(),
        }
    }

    /// A fresh SQLite store, whatever backend the run is on (for tests about files).
    pub fn sqlite() -> Appw {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir
            .path()
            .join("store")
            .join("credentials.db")
            .to_string_lossy()
            .into_owned();
        Appw {
            dir,
            db,
            envs: Vec::new(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.db.starts_with("postgres")
    }

    /// The SQLite file (panics on PostgreSQL).
    pub fn path(&self) -> PathBuf {
        assert!(!self.is_postgres());
        PathBuf::from(&self.db)
    }

    /// Sets an environment variable for every later run.
    pub fn env(mut self, key: &str, value: &str) -> Appw {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// The command with a clean environment: the store, cheap hashing, a private HOME.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_of(Path::new(bin()), args)
    }

    /// [`Appw::command`] of the binary at `program`.
    pub fn command_of(&self, program: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .env("APPW_DB", &self.db)
            .env("APPW_KDF", CHEAP_KDF)
            .env("RUST_BACKTRACE", "0")
            // On a busy 2-core machine, forty processes connecting at once may take more
            // than the default 2 s to get a PostgreSQL connection; that is not what a test
            // checks. (Tests of a server that is not there set their own timeout.)
            .env("PGCONNECT_TIMEOUT", "30");
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Out {
        self.run_with(self.command(args), b"")
    }

    pub fn run_stdin(&self, args: &[&str], stdin: &[u8]) -> Out {
        self.run_with(self.command(args), stdin)
    }

    pub fn run_with(&self, mut cmd: Command, stdin: &[u8]) -> Out {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn appw");
        let mut pipe = child.stdin.take().unwrap();
        let input = stdin.to_vec();
        // Write from a thread: appw may exit before reading it all (and must not hang).
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
        let out = child.wait_with_output().expect("wait appw");
        let _ = writer.join();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Creates a credential and returns (id, password).
    pub fn create(&self, user: &str, name: &str) -> (String, String) {
        self.created(&["create", "--user", user, name, "--json"])
    }

    /// Creates a credential hashed with `--kdf kdf` and returns (id, password).
    pub fn create_with(&self, kdf: &str, user: &str, name: &str) -> (String, String) {
        self.created(&["--kdf", kdf, "create", "--user", user, name, "--json"])
    }

    /// Runs a `create ... --json` and returns (id, password).
    pub fn created(&self, args: &[&str]) -> (String, String) {
        let v = self.run(args).ok().json();
        (
            v["id"].as_str().unwrap().to_string(),
            v["password"].as_str().unwrap().to_string(),
        )
    }

    /// Verifies `password` for `user` through stdin; returns the exit code.
    pub fn verify(&self, user: &str, password: &str) -> Out {
        self.run_stdin(
            &["verify", "--user", user],
            format!("{password}\n").as_bytes(),
        )
    }

    /// The active credentials, as `list --json` prints them.
    pub fn list(&self) -> Vec<serde_json::Value> {
        self.json_array(&["list", "--json"])
    }

    /// One credential, as `show ID --json` prints it.
    pub fn show(&self, id: &str) -> serde_json::Value {
        self.run(&["show", id, "--json"]).ok().json()
    }

    /// The audit log's events, as `log --json ARGS...` prints them.
    pub fn log(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut all = vec!["log", "--json"];
        all.extend_from_slice(args);
        self.json_array(&all)
    }

    /// What `appw ARGS...` printed, as JSON.
    pub fn json_of(&self, args: &[&str]) -> serde_json::Value {
        self.run(args).ok().json()
    }

    fn json_array(&self, args: &[&str]) -> Vec<serde_json::Value> {
        match self.run(args).ok().json() {
            serde_json::Value::Array(items) => items,
            other => panic!("appw {args:?} printed no JSON array: {other}"),
        }
    }
}

/// Every byte of a file and its WAL/journal companions.
pub fn store_bytes(path: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-journal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(bytes) = std::fs::read(&p) {
            all.extend(bytes);
        }
    }
    all
}

/// `PRAGMA integrity_check` of a store file, opened read-only.
pub fn integrity(path: &Path) -> String {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// Runs `f`, and how long it took (figures printed with --nocapture, never asserted).
pub fn timed(f: impl FnOnce() -> Out) -> (Out, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A fixed "now" for tests that set appw's clock.
pub const T0: &str = "2027-01-01T12:00:00Z";

/// Runs appw with `args` and `stdin` at the time `now` (see [`set_clock`]).
pub fn at(appw: &Appw, now: &str, args: &[&str], stdin: &str) -> Out {
    let mut cmd = appw.command(args);
    set_clock(&mut cmd, now);
    appw.run_with(cmd, stdin.as_bytes())
}

/// Sets the clock of the appw that `cmd` runs with `APPW_NOW`, which only debug builds honour
/// (a release build's clock cannot be moved, or an expired password would verify).
pub fn set_clock(cmd: &mut Command, now: &str) {
    if !cfg!(debug_assertions) {
        panic!(
            "this test sets appw's clock with APPW_NOW, which release builds ignore: run it \
             with `cargo test`, without --release"
        );
    }
    cmd.env("APPW_NOW", now);
}

/// Panics when `text` holds any 8 characters of `password`'s secret in a row, whatever
/// spaces, escapes or other punctuation stand between them (8 given characters turn up by
/// chance in a few KB of output about once in 10^10).
#[track_caller]
pub fn assert_no_secret(text: &str, password: &str, what: &str) {
    let letters: String = text
        .replace("\\u{a0}", "")
        .replace("\\u{200b}", "")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let secret = &password[16..42];
    for i in 0..=secret.len() - 8 {
        assert!(
            !letters.contains(&secret[i..i + 8]),
            "{what} shows part of a password's secret: {text:?}"
        );
    }
}

/// The Authorization value for `user`'s `password`, as `curl -u USER:PASSWORD` sends it.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let pair = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Whether `tool` can be run; when not, skips (see [`skip`]): a failure in CI, where it must be there.
pub fn have(tool: &str, what: &str) -> bool {
    have_from(tool, what, ".ci/setup-shells.sh")
}

/// [`have`], for a tool that the CI script `setup` installs.
pub fn have_from(tool: &str, what: &str, setup: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        skip(
            Skip::Missing,
            &format!("{what}: {tool} is not installed (bash {setup} installs it)"),
        );
    }
    found
}

/// `mandoc -Tlint -W warning` on `pages`: panics with mandoc's report unless it is clean.
#[track_caller]
pub fn assert_mandoc_clean(pages: &[PathBuf]) {
    let out = Command::new("mandoc")
        .args(["-Tlint", "-W", "warning"])
        .args(pages)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.trim().is_empty(),
        "mandoc -Tlint on {pages:?}:\n{report}"
    );
}
