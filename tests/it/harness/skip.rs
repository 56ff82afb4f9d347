//! The one way a test skips its checks. A skip that libtest captures is a pass nobody reads,
//! so every skip goes through [`skip`]: the line goes straight to the terminal, past the
//! capture, and into a per-run file under `target/tmp/skips/` that `.ci/run` prints at the
//! end. Two kinds, because they mean different things in CI:
//!
//! - [`Skip::NotForThisPass`]: the test belongs to the other pass of CI (the SQLite pass or
//!   the PostgreSQL pass runs it). Expected; never fails anything.
//! - [`Skip::Missing`]: something the test needs is not here (a tool, root). CI provides
//!   everything (`.ci/setup-*.sh`, run as root), so under `CI=true` this fails the test.

use std::io::Write;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// The test is checked in the other pass (SQLite or PostgreSQL) of the same run.
    NotForThisPass,
    /// A tool, privilege or file the test needs is not here: a failure under `CI=true`.
    Missing,
}

impl Skip {
    fn label(self) -> &'static str {
        match self {
            Skip::NotForThisPass => "not for this pass",
            Skip::Missing => "skipped",
        }
    }
}

/// Whether this run is CI's (`CI=true`), where nothing a test needs may be missing.
pub fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Says that the calling test does not run (the rest of) its checks, and why; the caller
/// then returns. Fails the test instead when `kind` is [`Skip::Missing`] under `CI=true`.
#[track_caller]
pub fn skip(kind: Skip, reason: &str) {
    // libtest runs each test on a thread named after it.
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let pass = match std::env::var("APPW_TEST_BACKEND").as_deref() {
        Ok("postgres") => "PostgreSQL",
        _ => "SQLite",
    };
    let line = format!("[{pass} pass] {test}: {}: {reason}", kind.label());
    if kind == Skip::Missing && in_ci() {
        panic!("{line}, but CI=true: CI must provide what every test needs");
    }
    // Straight to stderr, not eprintln!: the harness captures that and shows it on failure only.
    let _ = writeln!(std::io::stderr(), "{line}");
    record(&line);
}

/// This run's skip list: `$APPW_TEST_RUN` (set by `.ci/run`) names it; otherwise the cargo
/// process that started the test binary does, so each `cargo test` gets a file of its own.
pub fn run_file() -> PathBuf {
    let run = std::env::var("APPW_TEST_RUN")
        .unwrap_or_else(|_| format!("cargo-{}", std::os::unix::process::parent_id()));
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("skips")
        .join(format!("{run}.log"))
}

fn record(line: &str) {
    let path = run_file();
    let _ = std::fs::create_dir_all(path.parent().unwrap());
    // One append of one whole line: tests skip from many threads and processes at once.
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = file.write_all(format!("{line}\n").as_bytes());
    }
}
