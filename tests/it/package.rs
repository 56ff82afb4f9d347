//! The Debian package and `appw serve` under systemd: `cargo deb` builds it, lintian passes
//! it, it holds what an admin expects where Debian expects it (completions that load, man
//! pages that lint), its unit is hardened, `appw serve` speaks sd_notify and takes over
//! sockets systemd passes, and the packaged fail2ban filter finds the real client in what
//! the server really logs.
//!
//! The package is built once per run from the test suite's own binary (`cargo deb
//! --no-build` on a copy of it in a private target folder): no release build in CI.
//! Tools (cargo-deb, lintian, fail2ban-regex, systemd-analyze, systemd-socket-activate)
//! come from `.ci/setup-deb.sh`; without them these tests skip, except in CI.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::harness::{Appw, basic, bin, forge, have_from};
use crate::serve::{Server, request, request_text};
use crate::shell;

const SETUP: &str = ".ci/setup-deb.sh";

fn have(tool: &str, what: &str) -> bool {
    have_from(tool, what, SETUP)
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The PostgreSQL pass of CI runs the suite again: neither the package nor systemd's side
/// of `appw serve` depends on the store, so these tests run in the SQLite pass only (on a
/// SQLite store: the server's own tests cover each backend).
fn store_independent(what: &str) -> bool {
    let again = std::env::var("APPW_TEST_BACKEND").as_deref() == Ok("postgres");
    if again {
        eprintln!("skipped: {what}: checked in the SQLite pass");
    }
    !again
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The built package, and its files extracted under `root`.
struct Package {
    deb: PathBuf,
    root: PathBuf,
}

static PACKAGE: OnceLock<Option<Package>> = OnceLock::new();

/// Builds the package once per run; None (the test skips) without cargo-deb outside CI.
fn package() -> Option<&'static Package> {
    PACKAGE
        .get_or_init(|| {
            if !(have("cargo-deb", "the Debian package") && have("dpkg-deb", "the Debian package"))
            {
                return None;
            }
            Some(build_package())
        })
        .as_ref()
}

fn build_package() -> Package {
    // A target folder of its own (under target/tmp, wiped each run), holding the suite's
    // binary where cargo-deb looks for a release build: cargo-deb's stripped copies and
    // staging stay out of the real target folder, and nothing is compiled again.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("package");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("release")).unwrap();
    let binary = dir.join("release/appw");
    if std::fs::hard_link(bin(), &binary).is_err() {
        std::fs::copy(bin(), &binary).unwrap();
    }
    let started = Instant::now();
    run(Command::new("cargo")
        .args([
            "deb",
            "--no-build",
            "--offline",
            "--locked",
            "--fast",
            "--output",
        ])
        .arg(dir.join("out"))
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", &dir));
    eprintln!("cargo deb --no-build: {:?}", started.elapsed());
    let deb = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .expect("cargo deb made no .deb");
    let name = deb.file_name().unwrap().to_string_lossy().into_owned();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        name.starts_with(&format!("appw_{version}-")) && name.ends_with(".deb"),
        "{name}: not appw_VERSION_ARCH.deb"
    );
    let root = dir.join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    run(Command::new("dpkg-deb")
        .arg("-e")
        .arg(&deb)
        .arg(dir.join("control")));
    let _ = std::fs::remove_file(&binary);
    Package { deb, root }
}

impl Package {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn text(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn control(&self, name: &str) -> String {
        let path = self.root.parent().unwrap().join("control").join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("control {name}: {e}"))
    }
}

fn files_under(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                found.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    found
}

fn man_pages() -> Vec<String> {
    let mut pages: Vec<String> = std::fs::read_dir(repo().join("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".1"))
        .collect();
    pages.sort();
    pages
}

const UNIT: &str = "usr/lib/systemd/system/appw-serve.service";
const SOCKET: &str = "usr/lib/systemd/system/appw-serve.socket";
const FILTER: &str = "etc/fail2ban/filter.d/appw.conf";
const JAIL: &str = "etc/fail2ban/jail.d/appw.conf";

// ---- the package --------------------------------------------------------------------------

#[test]
fn package_passes_lintian() {
    if !store_independent("lintian") || !have("lintian", "lintian on the package") {
        return;
    }
    let Some(package) = package() else { return };
    let out = Command::new("lintian")
        .args(["--fail-on", "error", "--no-tag-display-limit"])
        .arg(&package.deb)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "lintian --fail-on error:\n{report}");
    assert!(
        !report.lines().any(|l| l.starts_with("E: ")),
        "lintian errors:\n{report}"
    );
    eprintln!("lintian:\n{report}");
}

#[test]
fn package_holds_every_file_where_debian_expects_it() {
    if !store_independent("package layout") {
        return;
    }
    let Some(package) = package() else { return };
    let mut expected: BTreeSet<String> = [
        "usr/bin/appw",
        "usr/share/bash-completion/completions/appw",
        "usr/share/zsh/vendor-completions/_appw",
        "usr/share/fish/vendor_completions.d/appw.fish",
        UNIT,
        SOCKET,
        FILTER,
        JAIL,
        "usr/share/doc/appw/copyright",
        "usr/share/doc/appw/changelog.Debian.gz",
        "usr/share/doc/appw/README.md",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let pages = man_pages();
    assert!(pages.contains(&"appw-serve.1".to_string()), "{pages:?}");
    expected.extend(pages.iter().map(|p| format!("usr/share/man/man1/{p}.gz")));
    assert_eq!(files_under(&package.root), expected);

    // The same bytes as the sources; man pages gzipped.
    for (installed, source) in [
        (
            "usr/share/bash-completion/completions/appw",
            "completions/appw.bash",
        ),
        (
            "usr/share/zsh/vendor-completions/_appw",
            "completions/_appw",
        ),
        (
            "usr/share/fish/vendor_completions.d/appw.fish",
            "completions/appw.fish",
        ),
        (UNIT, "packaging/systemd/appw-serve.service"),
        (SOCKET, "packaging/systemd/appw-serve.socket"),
        (FILTER, "packaging/fail2ban/filter.d/appw.conf"),
        (JAIL, "packaging/fail2ban/jail.d/appw.conf"),
        ("usr/share/doc/appw/copyright", "packaging/debian/copyright"),
    ] {
        assert!(
            std::fs::read(package.path(installed)).unwrap()
                == std::fs::read(repo().join(source)).unwrap(),
            "{installed} differs from {source}"
        );
    }
    for page in &pages {
        let gz = package.path(&format!("usr/share/man/man1/{page}.gz"));
        let out = run(Command::new("gzip").arg("-dc").arg(&gz));
        assert!(
            out.stdout == std::fs::read(repo().join("man").join(page)).unwrap(),
            "{page}.gz is not man/{page}"
        );
    }
    let changelog = run(Command::new("gzip")
        .arg("-dc")
        .arg(package.path("usr/share/doc/appw/changelog.Debian.gz")));
    let changelog = String::from_utf8(changelog.stdout).unwrap();
    assert!(
        changelog.starts_with(&format!("appw ({}-", env!("CARGO_PKG_VERSION"))),
        "changelog.Debian's first entry is not this version:\n{changelog}"
    );

    // The packaged binary is the one tested, and runs.
    let out = run(Command::new(package.path("usr/bin/appw")).arg("--version"));
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));

    // Control: the user comes from adduser, /etc files are conffiles, and nothing is
    // enabled or started on install.
    let control = package.control("control");
    assert!(
        control.contains("Depends: ") && control.contains("adduser"),
        "{control}"
    );
    let conffiles = package.control("conffiles");
    let conffiles: BTreeSet<&str> = conffiles.lines().collect();
    assert_eq!(
        conffiles,
        BTreeSet::from([
            "/etc/fail2ban/filter.d/appw.conf",
            "/etc/fail2ban/jail.d/appw.conf"
        ])
    );
    let postinst = package.control("postinst");
    assert!(
        postinst.contains("adduser --quiet --system --group") && postinst.contains(" appw\n"),
        "postinst makes no system user appw:\n{postinst}"
    );
    assert!(
        postinst.contains("install -d -o appw -g appw -m 0700 /var/lib/appw"),
        "{postinst}"
    );
    for never in ["deb-systemd-invoke start", "deb-systemd-invoke restart"] {
        assert!(
            !postinst.contains(never),
            "postinst starts a unit:\n{postinst}"
        );
    }
    assert!(
        !postinst.contains("#DEBHELPER#"),
        "cargo-deb left the token:\n{postinst}"
    );
    // The jail ships disabled.
    let jail = package.text(JAIL);
    assert!(
        jail.lines().any(|l| l.trim() == "enabled = false"),
        "{jail}"
    );
}

#[test]
fn units_say_what_the_service_needs() {
    if !store_independent("unit contents") {
        return;
    }
    let Some(package) = package() else { return };
    let unit = package.text(UNIT);
    for line in [
        "Type=notify",
        "User=appw",
        "StateDirectory=appw",
        "StateDirectoryMode=0700",
        "Environment=APPW_DB=/var/lib/appw/credentials.db",
        "ExecStart=/usr/bin/appw serve",
        "UMask=0077",
        "MemoryDenyWriteExecute=yes",
        "CapabilityBoundingSet=",
        "ProtectSystem=strict",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        "SystemCallFilter=@system-service",
        "LimitNOFILE=65536",
    ] {
        assert!(unit.lines().any(|l| l == line), "{UNIT} lacks {line}");
    }
    let socket = package.text(SOCKET);
    assert!(
        socket.lines().any(|l| l == "ListenStream=127.0.0.1:9180"),
        "{socket}"
    );
    // The socket activates the service of the same name: no Service= elsewhere.
    assert!(!socket.contains("Service="), "{socket}");
}

/// `systemd-analyze security --offline=true` on the packaged unit: 2.0 at most, and no
/// setting systemd does not know (a typo would silently weaken the unit).
#[test]
fn service_is_hardened() {
    if !store_independent("systemd-analyze security")
        || !have("systemd-analyze", "systemd-analyze security")
    {
        return;
    }
    let Some(package) = package() else { return };
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(package.path(UNIT))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("Unknown") && !stderr.contains("Failed to parse"),
        "systemd does not understand the unit:\n{stderr}"
    );
    let score: f64 = stdout
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for appw-serve.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no overall exposure level:\n{stdout}"));
    eprintln!("systemd-analyze security: {score}");
    assert!(score <= 2.0, "exposure {score} > 2.0:\n{stdout}");
}

#[test]
fn packaged_completions_load_in_bash_zsh_and_fish() {
    if !store_independent("packaged completions") {
        return;
    }
    let Some(package) = package() else { return };
    let home = tempfile::tempdir().unwrap();
    if shell::have_bash_completion() {
        let script = package.path("usr/share/bash-completion/completions/appw");
        shell::completes_commands_and_options(|line| {
            shell::bash_complete_with(&script, line, home.path())
        });
    }
    if crate::harness::have("fish", "fish completion") {
        let script = package.path("usr/share/fish/vendor_completions.d/appw.fish");
        shell::completes_commands_and_options(|line| {
            shell::fish_complete_with(&script, line, home.path())
        });
    }
    if crate::harness::have("zsh", "zsh completion") {
        let dir = package.path("usr/share/zsh/vendor-completions");
        let screen = shell::zsh_complete_with(&dir, "appw rev", home.path());
        assert!(screen.contains("revoke-all"), "{screen}");
        let screen = shell::zsh_complete_with(&dir, "appw verify --bas", home.path());
        assert!(screen.contains("--basic"), "{screen}");
    }
}

#[test]
fn packaged_man_pages_lint_clean() {
    if !store_independent("packaged man pages") || !crate::harness::have("mandoc", "man lint") {
        return;
    }
    let Some(package) = package() else { return };
    // mandoc reads a gzipped page as man(1) does (one page a run: given several gzipped
    // pages at once, mandoc 1.14.6 reads the second on as raw bytes).
    for page in man_pages() {
        let gz = package.path(&format!("usr/share/man/man1/{page}.gz"));
        let out = Command::new("mandoc")
            .args(["-Tlint", "-W", "warning"])
            .arg(&gz)
            .output()
            .unwrap();
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && report.trim().is_empty(),
            "{page}.gz: {report}"
        );
    }
    let out = run(Command::new("mandoc")
        .args(["-Tascii"])
        .arg(package.path("usr/share/man/man1/appw-serve.1.gz")));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--listen"),
        "appw-serve.1.gz reads as:\n{text}"
    );
}

// ---- appw serve under systemd ---------------------------------------------------------------

/// A Unix datagram socket standing in for systemd's notification socket.
fn notify_socket(dir: &Path) -> (UnixDatagram, PathBuf) {
    let path = dir.join("notify");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    (socket, path)
}

fn receive(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 4096];
    let n = socket
        .recv(&mut buf)
        .expect("no sd_notify message within 60 s");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// Type=notify: READY=1 once it listens (a request then succeeds at once), STOPPING=1 on
/// SIGTERM.
#[test]
fn serve_notifies_ready_and_stopping() {
    if !store_independent("sd_notify") {
        return;
    }
    let appw = Appw::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let (socket, path) = notify_socket(dir.path());
    let mut cmd = appw.command(&["serve", "--listen", "127.0.0.1:0"]);
    cmd.env("NOTIFY_SOCKET", &path);
    let server = Server::start_with(cmd, &[]);
    let ready = receive(&socket);
    assert!(ready.lines().any(|l| l == "READY=1"), "{ready:?}");
    assert_eq!(server.get("/healthz", &[]).0, 200);
    let (code, log) = server.stop();
    assert_eq!(code, 0, "{log:?}");
    let stopping = receive(&socket);
    assert!(stopping.lines().any(|l| l == "STOPPING=1"), "{stopping:?}");
}

/// A child whose stderr is collected line by line.
struct Logged {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Logged {
    fn spawn(cmd: &mut Command) -> Logged {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Logged { child, lines }
    }

    fn wait_for(&self, what: &str, found: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.lines.lock().unwrap().iter().any(|l| found(l)) {
            assert!(
                Instant::now() < deadline,
                "no {what} within 60 s: {:?}",
                self.lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(mut self) -> i32 {
        run(Command::new("kill").args(["-TERM", &self.child.id().to_string()]));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "did not exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Socket activation as appw-serve.socket does it: systemd-socket-activate listens, starts
/// `appw serve` on the first connection and passes the socket (LISTEN_FDS), which appw
/// serves instead of its --listen (here one it could not even bind).
#[test]
fn serve_takes_over_the_socket_systemd_passes() {
    if !store_independent("socket activation") {
        return;
    }
    if !have("systemd-socket-activate", "socket activation") {
        return;
    }
    let appw = Appw::sqlite();
    let (_, password) = appw.create("deploy", "ci");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    // systemd-socket-activate passes on only the variables it is told to (-E).
    let template = appw.command(&[]);
    let mut cmd = Command::new("systemd-socket-activate");
    cmd.args(["-l", &addr]);
    for (key, value) in template.get_envs() {
        if let Some(value) = value {
            let mut pair = key.to_os_string();
            pair.push("=");
            pair.push(value);
            cmd.arg("-E").arg(pair);
        }
    }
    cmd.args([
        bin(),
        "serve",
        "--listen",
        "unix:/nonexistent/appw/serve.sock",
    ]);
    let activator = Logged::spawn(&mut cmd);
    activator.wait_for("Listening on", |l| l.contains("Listening on"));
    let (status, resp) = request(&addr, &request_text(&addr, "GET", "/healthz", &[]));
    assert_eq!(status, 200, "{resp}");
    let header = basic("deploy", &password);
    let (status, resp) = request(
        &addr,
        &request_text(&addr, "GET", "/auth", &[("Authorization", &header)]),
    );
    assert_eq!(status, 204, "{resp}");
    let listening = format!("appw serve: listening on {addr}");
    activator.wait_for(&listening, |l| l == listening);
    let lines = activator.lines.clone();
    let code = activator.stop();
    let lines = lines.lock().unwrap().clone();
    assert_eq!(code, 0, "{lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("appw serve:") && l.contains("serve.sock")),
        "appw bound its own --listen: {lines:?}"
    );
}

// ---- fail2ban ----------------------------------------------------------------------------

/// The packaged filter beside fail2ban's own common.conf, as installed.
fn filter_dir(package: &Package) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let filters = dir.path().join("filter.d");
    std::fs::create_dir(&filters).unwrap();
    std::fs::copy(
        "/etc/fail2ban/filter.d/common.conf",
        filters.join("common.conf"),
    )
    .expect("fail2ban's /etc/fail2ban/filter.d/common.conf");
    std::fs::copy(package.path(FILTER), filters.join("appw.conf")).unwrap();
    dir
}

/// The hosts fail2ban-regex finds in `lines` with the filter (`logtype` as its jail uses).
fn matched_hosts(filter: &Path, logtype: &str, lines: &[String]) -> Vec<String> {
    let log = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(log.path(), lines.join("\n") + "\n").unwrap();
    let spec = format!("{}[logtype={logtype}]", filter.display());
    let out = run(Command::new("fail2ban-regex")
        .args(["-o", "ip"])
        .arg(log.path())
        .arg(spec));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Failed attempts and a throttle, as `appw serve` logs them, through the packaged filter:
/// every failure and the throttle count against the real client (127.0.0.1), a 403 (the
/// right password without the scope) does not, and a user name holding `client=6.6.6.6`
/// does not make 6.6.6.6 the host.
#[test]
fn fail2ban_filter_finds_the_client_in_real_server_output() {
    if !store_independent("the fail2ban filter") {
        return;
    }
    if !have("fail2ban-regex", "the fail2ban filter") {
        return;
    }
    let Some(package) = package() else { return };
    let appw = Appw::sqlite();
    let (_, password) = appw.create("deploy", "ci");
    let server = Server::start(&appw, &["--max-failures", "3"]);
    let good = basic("deploy", &password);
    let (status, _) = server.get("/auth?scope=admin", &[("Authorization", &good)]);
    assert_eq!(status, 403, "not a failure");
    let hostile = r#"x" client=6.6.6.6 user="y"#;
    assert_eq!(server.auth(hostile, &password), 401);
    assert_eq!(server.auth("deploy", &forge(&password)), 401);
    assert_eq!(
        server.get("/auth", &[("Authorization", "Basic !!!")]).0,
        401
    );
    // Throttled now (a password the server already knows would still get in).
    assert_eq!(server.auth("deploy", &forge(&password)), 429);
    let (code, log) = server.stop();
    assert_eq!(code, 0, "{log:?}");
    let ours: Vec<String> = log
        .into_iter()
        .filter(|l| l.starts_with("appw serve: "))
        .collect();
    let count = |needle: &str| ours.iter().filter(|l| l.contains(needle)).count();
    assert_eq!(
        count("appw serve: rejected client=127.0.0.1 "),
        4,
        "{ours:#?}"
    );
    assert_eq!(
        count("appw serve: throttled client=127.0.0.1 "),
        1,
        "{ours:#?}"
    );
    assert_eq!(
        count("client=6.6.6.6"),
        1,
        "the hostile name is logged: {ours:#?}"
    );
    assert_eq!(count("lacks the scope"), 1, "{ours:#?}");

    let dir = filter_dir(package);
    let filter = dir.path().join("filter.d/appw.conf");
    // As written to stderr (a log file), and as fail2ban reads it from the journal.
    let journal: Vec<String> = ours
        .iter()
        .map(|l| format!("host appw[4242]: {l}"))
        .collect();
    for (logtype, lines) in [("file", &ours), ("journal", &journal)] {
        let hosts = matched_hosts(&filter, logtype, lines);
        assert_eq!(
            hosts,
            vec!["127.0.0.1"; 4],
            "logtype={logtype}: three failures and the throttle, never the scope refusal \
             or 6.6.6.6:\n{}",
            lines.join("\n")
        );
    }
}

/// The packaged jail, in a copy of the installed fail2ban configuration: disabled as
/// shipped; enabled, it reads appw-serve.service's journal with the packaged filter.
#[test]
fn fail2ban_jail_is_off_until_enabled() {
    if !store_independent("the fail2ban jail") {
        return;
    }
    if !have("fail2ban-client", "the fail2ban jail") {
        return;
    }
    let Some(package) = package() else { return };
    let conf = tempfile::tempdir().unwrap();
    run(Command::new("cp")
        .args(["-r", "/etc/fail2ban/."])
        .arg(conf.path()));
    std::fs::copy(package.path(FILTER), conf.path().join("filter.d/appw.conf")).unwrap();
    std::fs::copy(package.path(JAIL), conf.path().join("jail.d/appw.conf")).unwrap();
    let dump = |conf: &Path| {
        let out = run(Command::new("fail2ban-client")
            .arg("-c")
            .arg(conf)
            .arg("-d"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        !dump(conf.path()).contains("'appw'"),
        "the jail is on as shipped"
    );
    std::fs::write(
        conf.path().join("jail.d/zz-test.local"),
        "[appw]\nenabled = true\n",
    )
    .unwrap();
    let on = dump(conf.path());
    for needle in [
        "['add', 'appw', 'systemd']",
        "_SYSTEMD_UNIT=appw-serve.service",
        "appw serve: rejected client=<ADDR>",
        "http,https",
    ] {
        assert!(on.contains(needle), "enabled jail lacks {needle}:\n{on}");
    }
}
