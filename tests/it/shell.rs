//! appw in shells, scripts and web servers: the checked-in completion scripts and man pages
//! (current, and working in real shells and in mandoc), `--json` everywhere, `verify
//! --basic` with headers as curl builds them, the web-server auth handler in `contrib/`,
//! and the README's recipes run as written.
//!
//! Tests that need an outside tool (bash-completion, zsh, fish, mandoc, python3, curl) skip
//! with a message when it is missing, except in CI (`CI=true`), where
//! `.ci/setup-shells.sh` installs them and a missing tool is a failure.

pub mod assets;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

use crate::harness::{Appw, Skip, basic, bin, have, skip};

const REGENERATE: &str = "APPW_REGENERATE=1 cargo test --test it shell::";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const BASH_COMPLETION: &str = "/usr/share/bash-completion/bash_completion";

pub(crate) fn have_bash_completion() -> bool {
    if !have("bash", "bash completion") {
        return false;
    }
    let found = Path::new(BASH_COMPLETION).exists();
    if !found {
        skip(
            Skip::Missing,
            "bash completion: bash-completion is not installed (bash .ci/setup-shells.sh \
             installs it)",
        );
    }
    found
}

/// Runs `cmd` with a private HOME, failing the test if it takes longer than `limit`.
fn run_limited(mut cmd: Command, home: &Path, limit: Duration) -> (i32, String, String) {
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            panic!(
                "{cmd:?} took over {limit:?}; output so far:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// ---- generated assets ---------------------------------------------------------------------

/// Writes `contents` to `path` through a temporary file, so a reader never sees half a file.
fn write_atomically(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let tmp = path.with_extension("regenerating");
    std::fs::write(&tmp, contents).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Man pages in `man/` that no subcommand generates any more (a removed or renamed one).
fn orphan_pages(expected: &BTreeSet<String>) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(repo().join("man")) else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "1"))
        .filter(|p| {
            let rel = format!("man/{}", p.file_name().unwrap().to_string_lossy());
            !expected.contains(&rel)
        })
        .collect()
}

#[test]
fn generated_assets_are_up_to_date() {
    let assets = assets::all();
    let expected: BTreeSet<String> = assets.iter().map(|a| a.path.clone()).collect();
    if std::env::var_os("APPW_REGENERATE").is_some() {
        for asset in &assets {
            write_atomically(&repo().join(&asset.path), &asset.contents);
        }
        for orphan in orphan_pages(&expected) {
            std::fs::remove_file(orphan).unwrap();
        }
        eprintln!(
            "regenerated {} files under completions/ and man/",
            assets.len()
        );
        return;
    }
    let mut stale: Vec<String> = assets
        .iter()
        .filter(|a| {
            std::fs::read_to_string(repo().join(&a.path)).ok().as_ref() != Some(&a.contents)
        })
        .map(|a| a.path.clone())
        .collect();
    stale.extend(
        orphan_pages(&expected)
            .iter()
            .map(|p| format!("{} (no longer generated)", p.display())),
    );
    assert!(
        stale.is_empty(),
        "these generated files differ from what src/cli.rs generates now: {}\n\
         regenerate them with `{REGENERATE}` and commit the result",
        stale.join(", ")
    );
}

/// `appw completions SHELL` prints exactly the checked-in script.
#[test]
fn completions_command_prints_the_generated_scripts() {
    let appw = Appw::new();
    for (shell, name, path) in assets::COMPLETIONS {
        let out = appw.run(&["completions", name]).ok();
        assert!(
            out.stdout == assets::completion(shell),
            "{name} differs from {path}"
        );
    }
    appw.run(&["completions", "tcsh"]).code(2);
}

#[test]
fn every_page_has_the_sections_a_reader_looks_for() {
    let pages = assets::man_pages();
    let mut root = <appw::cli::Cli as clap::CommandFactory>::command();
    root.build();
    for sub in root.get_subcommands().filter(|s| s.get_name() != "help") {
        let path = format!("man/appw-{}.1", sub.get_name());
        assert!(pages.iter().any(|p| p.path == path), "no page {path}");
    }
    for page in &pages {
        for section in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "EXIT STATUS",
            "ENVIRONMENT",
            "FILES",
            "EXAMPLES",
            "SEE ALSO",
        ] {
            let heading = if section.contains(' ') {
                format!(".SH \"{section}\"\n")
            } else {
                format!(".SH {section}\n")
            };
            assert!(
                page.contents.contains(&heading),
                "{} lacks {section}",
                page.path
            );
        }
        for needle in ["APPW_DB", "APPW_KDF", "credentials.db", "0700", "0600"] {
            assert!(
                page.contents.contains(needle),
                "{} lacks {needle}",
                page.path
            );
        }
    }
}

// ---- completion scripts in real shells ----------------------------------------------------

fn completion_file(name: &str) -> PathBuf {
    repo().join("completions").join(name)
}

fn words(out: &str) -> BTreeSet<String> {
    out.lines()
        .filter_map(|l| l.split('\t').next())
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// What bash-completion offers for `line` (the cursor at its end), with the checked-in script.
fn bash_complete(line: &str, home: &Path) -> BTreeSet<String> {
    bash_complete_with(&completion_file("appw.bash"), line, home)
}

/// What bash-completion offers for `line` with the completion script `script`.
pub(crate) fn bash_complete_with(script_file: &Path, line: &str, home: &Path) -> BTreeSet<String> {
    let script = format!(
        "source {BASH_COMPLETION}\n\
         source \"$1\"\n\
         COMP_LINE='{line}'\n\
         COMP_POINT=${{#COMP_LINE}}\n\
         read -r -a COMP_WORDS <<< \"$COMP_LINE\"\n\
         [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\n\
         COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n\
         spec=$(complete -p appw)\n\
         fn=${{spec#*-F }}; fn=${{fn%% *}}\n\
         \"$fn\" appw \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
    );
    let mut cmd = Command::new("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script, "bash"])
        .arg(script_file);
    let (code, out, err) = run_limited(cmd, home, Duration::from_secs(60));
    assert_eq!(code, 0, "bash failed:\n{out}\n{err}");
    words(&out)
}

#[test]
fn bash_completes_commands_and_options() {
    if !have_bash_completion() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    completes_commands_and_options(|line| bash_complete(line, home.path()));
    let shells = bash_complete("appw completions ", home.path());
    assert!(
        shells.contains("zsh") && shells.contains("fish"),
        "{shells:?}"
    );
}

fn fish_complete(line: &str, home: &Path) -> BTreeSet<String> {
    fish_complete_with(&completion_file("appw.fish"), line, home)
}

/// What fish offers for `line` with the completion script `script`.
pub(crate) fn fish_complete_with(script: &Path, line: &str, home: &Path) -> BTreeSet<String> {
    let mut cmd = Command::new("fish");
    cmd.args(["--no-config", "-c", "source $argv[1]; complete -C $argv[2]"])
        .arg(script)
        .arg(line);
    // fish reads and writes its universal variables under the config and data homes.
    let (code, out, err) = run_limited(cmd, home, Duration::from_secs(60));
    assert_eq!(code, 0, "fish failed:\n{out}\n{err}");
    words(&out)
}

#[test]
fn fish_completes_commands_and_options() {
    if !have("fish", "fish completion") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    completes_commands_and_options(|line| fish_complete(line, home.path()));
}

/// What every shell's completion must offer: both commands starting `rev`, and `--basic`
/// for `verify --ba`.
pub(crate) fn completes_commands_and_options(complete: impl Fn(&str) -> BTreeSet<String>) {
    assert_eq!(complete("appw rev"), set(&["revoke", "revoke-all"]));
    assert_eq!(complete("appw verify --ba"), set(&["--basic"]));
}

/// Types `line` and TAB into an interactive zsh (in a pseudo-terminal, through zsh's own
/// zpty module) that loaded `_appw` with compinit, and returns what the terminal showed.
/// Keys are typed only once zsh shows its prompt after a marker, so its line editor reads
/// them in order (typed earlier, the terminal's own line editing could eat them).
fn zsh_complete(line: &str, home: &Path) -> String {
    zsh_complete_with(&repo().join("completions"), line, home)
}

/// What zsh shows for `line` and TAB with `_appw` from the folder `dir` on its fpath.
pub(crate) fn zsh_complete_with(dir: &Path, line: &str, home: &Path) -> String {
    // The marker is typed split in two so that only the command's output contains it whole.
    let script = format!(
        r#"zmodload zsh/zpty || exit 3
zpty z 'TERM=vt100 PS1="%% " zsh -f -i'
zpty -w z 'fpath=({dir} $fpath); autoload -Uz compinit; compinit -u -D'
zpty -w z 'unsetopt beep listambiguous; zstyle ":completion:*" list-prompt ""'
zpty -w z 'print READY""MARK'
zpty -r z _ '*READYMARK*% '
zpty -w -n z $'{line}\t'
zpty -w -n z $'\C-e\C-u'
zpty -w z 'print COMPLETION_""DONE'
zpty -r z out '*COMPLETION_DONE*'
print -r -- "$out"
zpty -d z
"#,
        dir = dir.display()
    );
    let mut cmd = Command::new("zsh");
    cmd.args(["-f", "-c", &script]);
    let (code, out, err) = run_limited(cmd, home, Duration::from_secs(60));
    assert_eq!(code, 0, "zsh failed:\n{out}\n{err}");
    out
}

#[test]
fn zsh_completes_commands_and_options() {
    if !have("zsh", "zsh completion") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let screen = zsh_complete("appw rev", home.path());
    assert!(
        screen.contains("appw revoke"),
        "rev not completed to revoke:\n{screen}"
    );
    assert!(
        screen.contains("revoke-all"),
        "no revoke-all offered:\n{screen}"
    );
    assert!(
        !screen.contains("rotate"),
        "rotate offered for rev:\n{screen}"
    );
    let screen = zsh_complete("appw verify --bas", home.path());
    assert!(
        screen.contains("--basic"),
        "--basic not completed:\n{screen}"
    );
}

// ---- man pages in mandoc ------------------------------------------------------------------

#[test]
fn man_pages_lint_clean_in_mandoc() {
    if !have("mandoc", "man page lint") {
        return;
    }
    let pages: Vec<PathBuf> = assets::man_pages()
        .iter()
        .map(|p| repo().join(&p.path))
        .collect();
    crate::harness::assert_mandoc_clean(&pages);
    // groff, which `man -l` uses, with all its warnings on, where it is installed.
    let groff = Command::new("sh")
        .args(["-c", "command -v groff"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    for page in pages.iter().filter(|_| groff) {
        let out = Command::new("groff")
            .args(["-man", "-ww", "-z", "-Tutf8"])
            .arg(page)
            .output()
            .unwrap();
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && warnings.trim().is_empty(),
            "groff on {}:\n{warnings}",
            page.display()
        );
    }
    // And a page reads as text with what its reader came for.
    let out = Command::new("mandoc")
        .args(["-Tutf8", "-Ios=appw"])
        .arg(repo().join("man/appw-verify.1"))
        .env("MANWIDTH", "80")
        .output()
        .unwrap();
    assert!(out.status.success());
    // Bold and underline come as overstrikes (`X\bX`, `_\bX`): keep the last character.
    let mut text = String::new();
    for c in String::from_utf8_lossy(&out.stdout).chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    for needle in [
        "--basic",
        "EXIT STATUS",
        "APPW_DB",
        "JSON OUTPUT",
        "EXAMPLES",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
}

// ---- --json on every command that prints data ---------------------------------------------

fn keys(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().flat_map(keys).collect(),
        Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("not a JSON object or array: {other}"),
    }
}

/// The event kinds `log --json`'s page names for the `event` key.
fn documented_kinds<'a>(keys: &[(&str, &'a str)]) -> Vec<&'a str> {
    let (_, text) = keys.iter().find(|(k, _)| *k == "event").unwrap();
    text.split(", ").flat_map(|w| w.split(" or ")).collect()
}

/// Every data command takes --json, prints one JSON document, and every key in it is
/// documented in that command's man page.
#[test]
fn json_everywhere_and_documented() {
    let appw = Appw::new();
    let (id, password) = appw.create("deploy", "ci");
    let (other, _) = appw.create("backup", "nightly");
    let header = basic("deploy", &password);
    let runs: Vec<(&str, Vec<&str>, String)> = vec![
        (
            "create",
            vec!["create", "--user", "deploy", "more", "--json"],
            String::new(),
        ),
        ("list", vec!["list", "--json"], String::new()),
        ("show", vec!["show", &id, "--json"], String::new()),
        (
            "rename",
            vec!["rename", &id, "ci-renamed", "--json"],
            String::new(),
        ),
        (
            "verify",
            vec!["verify", "--basic", "--json"],
            format!("{header}\n"),
        ),
        (
            "update",
            vec!["update", &id, "--scope", "deploy", "--json"],
            String::new(),
        ),
        ("log", vec!["log", "--json"], String::new()),
        ("log", vec!["log", "--prune", "1d", "--json"], String::new()),
        ("revoke", vec!["revoke", &other, "--json"], String::new()),
        ("rotate", vec!["rotate", &id, "--json"], String::new()),
        (
            "revoke-all",
            vec!["revoke-all", "--yes", "--json"],
            String::new(),
        ),
    ];
    for (command, args, stdin) in runs {
        let out = appw.run_stdin(&args, stdin.as_bytes()).ok();
        assert_eq!(
            out.stdout.lines().count(),
            1,
            "one document on one line: {out:#?}"
        );
        let doc = out.json();
        let (_, documented) = assets::json_output(command).expect("documented");
        for key in keys(&doc) {
            assert!(
                documented.iter().any(|(k, _)| *k == key),
                "{command} --json prints {key:?}, which its man page does not document"
            );
        }
        if let Some(events) = doc.as_array().filter(|_| command == "log") {
            for event in events {
                let kind = event["event"].as_str().unwrap();
                assert!(documented_kinds(&documented).contains(&kind), "{kind}");
            }
        }
    }
    // Every kind of event the store writes is named on log's page, spelled as printed.
    let (_, documented) = assets::json_output("log").unwrap();
    let mut kinds = documented_kinds(&documented);
    kinds.sort_unstable();
    let mut all = appw::store::kind::ALL.to_vec();
    all.sort_unstable();
    assert_eq!(kinds, all);
    // Errors stay one line on stderr, with nothing on stdout.
    let out = appw
        .run(&["show", "zzzzzzzzzzzz", "--json"])
        .code(3)
        .one_error_line();
    assert!(out.stdout.is_empty(), "{out:#?}");
}

/// No escape sequences for a pipe, with or without NO_COLOR.
#[test]
fn no_colour_or_escapes_off_a_terminal() {
    let appw = Appw::new();
    appw.create("deploy", "ci");
    for no_color in [false, true] {
        let mut cmd = appw.command(&["list"]);
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = appw.run_with(cmd, b"").ok();
        assert!(out.stdout.contains("deploy"), "{out:#?}");
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stderr.contains('\u{1b}'),
            "{out:#?}"
        );
    }
}

// ---- verify --basic -----------------------------------------------------------------------

/// The Authorization value `curl -u USER:PASSWORD` sends, captured from curl itself on a
/// loopback socket.
fn curl_authorization(userpass: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    // -q first: no ~/.curlrc; and no proxy from the environment, so curl talks to us.
    let mut curl = Command::new("curl")
        .args([
            "-q",
            "--noproxy",
            "*",
            "-s",
            "-o",
            "/dev/null",
            "--max-time",
            "10",
            "-u",
            userpass,
            &url,
        ])
        .spawn()
        .unwrap();
    let (stream, _) = listener.accept().unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut header = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            header = Some(value.trim().to_string());
        }
    }
    let _ = (&stream).write_all(b"HTTP/1.0 204 No Content\r\n\r\n");
    drop(stream);
    let _ = curl.wait();
    header.expect("curl sent no Authorization header")
}

#[test]
fn verify_basic_accepts_what_curl_sends() {
    let appw = Appw::new();
    let (id, password) = appw.create("deploy", "ci");
    let mut headers = vec![basic("deploy", &password)];
    if have("curl", "verify --basic with a header captured from curl") {
        let from_curl = curl_authorization(&format!("deploy:{password}"));
        assert_eq!(
            from_curl, headers[0],
            "curl builds Basic headers differently"
        );
        headers.push(from_curl);
    }
    // As a whole header line too, as a hook may pass it.
    headers.push(format!("Authorization: {}", headers[0]));
    for (n, header) in headers.iter().enumerate() {
        let source = format!("10.0.0.{n}");
        let out = appw
            .run_stdin(
                &["verify", "--basic", "--source", &source],
                format!("{header}\n").as_bytes(),
            )
            .ok();
        assert!(out.stdout.starts_with(&id), "{out:#?}");
        let listed = appw.list();
        assert_eq!(listed[0]["last_source"], source.as_str());
        assert_eq!(listed[0]["use_count"], (n + 1) as u64);
    }
    // --quiet prints nothing.
    let out = appw
        .run_stdin(
            &["verify", "--basic", "--quiet"],
            format!("{}\n", headers[0]).as_bytes(),
        )
        .ok();
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:#?}");
}

#[test]
fn verify_basic_rejects_wrong_malformed_and_other_schemes() {
    let appw = Appw::new();
    let (_, password) = appw.create("deploy", "ci");
    let (_, other) = appw.create("backup", "nightly");
    let mut wrong = password.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'a' { 'b' } else { 'a' });
    let cases = [
        ("wrong password (checksum)", basic("deploy", &wrong)),
        ("another user's password", basic("deploy", &other)),
        ("unknown user", basic("nobody", &password)),
        ("not base64", "Basic !!!not-base64!!!".to_string()),
        (
            "no colon",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("deploy")
            ),
        ),
        ("no credentials", "Basic".to_string()),
        ("empty", String::new()),
        ("Bearer scheme", format!("Bearer {password}")),
        (
            "Digest scheme",
            "Digest username=\"deploy\", response=\"abc\"".to_string(),
        ),
    ];
    for (what, header) in cases {
        let out = appw
            .run_stdin(
                &["verify", "--basic", "--source", "203.0.113.9"],
                format!("{header}\n").as_bytes(),
            )
            .code(1)
            .one_error_line();
        assert!(out.stdout.is_empty(), "{what}: {out:#?}");
        assert!(
            !out.stderr.contains(&password),
            "{what}: password echoed: {out:#?}"
        );
    }
    // A rejection was recorded with where it came from.
    let log = appw.run(&["log", "--json"]).ok().json();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "rejected" && e["source"] == "203.0.113.9"),
        "{log:#}"
    );
}

/// A directory holding an `appw` symlink to the binary under test, to put first on PATH.
fn bin_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(bin(), dir.path().join("appw")).unwrap();
    dir
}

fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

// ---- README recipes -----------------------------------------------------------------------

/// Every fenced block right after a `<!-- recipe: NAME -->` line, as (NAME, script).
fn recipes(readme: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .trim()
            .strip_prefix("<!-- recipe:")
            .and_then(|rest| rest.strip_suffix("-->"))
        else {
            continue;
        };
        let name = name.trim().to_string();
        let fence = lines
            .by_ref()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_else(|| panic!("recipe {name}: no code block after its marker"));
        let fence = fence.trim();
        assert!(
            fence.starts_with("```"),
            "recipe {name}: expected a ``` block, found {fence:?}"
        );
        let mut script = String::new();
        let mut closed = false;
        for l in lines.by_ref() {
            if l.trim() == "```" {
                closed = true;
                break;
            }
            script.push_str(l);
            script.push('\n');
        }
        assert!(closed, "recipe {name}: its code block is not closed");
        found.push((name, script));
    }
    found
}

#[test]
fn recipe_extraction_follows_the_convention() {
    let text = "intro\n<!-- recipe: one -->\n```sh\nappw list\necho hi\n```\n\n```sh\nnot a recipe\n```\n\
                <!-- recipe: two-->\n\n```bash\ntrue\n```\n";
    let found = recipes(text);
    assert_eq!(
        found,
        vec![
            ("one".to_string(), "appw list\necho hi\n".to_string()),
            ("two".to_string(), "true\n".to_string())
        ]
    );
}

#[test]
fn readme_recipes_run_as_written() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let all = recipes(&readme);
    assert!(
        !all.is_empty(),
        "README.md has no recipes: mark each tested block with a `<!-- recipe: NAME -->` line \
         right before its ```sh fence"
    );
    let bins = bin_dir();
    let mut failed = Vec::new();
    for (name, script) in &all {
        let appw = Appw::new();
        let work = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--norc", "--noprofile", "-euo", "pipefail", "-c", script])
            .current_dir(work.path())
            .env_clear()
            .env("PATH", path_with(bins.path()))
            .env("APPW_DB", &appw.db)
            .env("APPW_KDF", crate::harness::CHEAP_KDF)
            .env("LANG", "C.UTF-8")
            .env("RUST_BACKTRACE", "0");
        let (code, out, err) = run_limited(cmd, work.path(), Duration::from_secs(120));
        if code != 0 {
            failed.push(format!(
                "recipe {name} exited {code}\n--- stdout\n{out}--- stderr\n{err}"
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
