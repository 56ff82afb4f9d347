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
//!
//! Here: the package itself. `systemd.rs`: sd_notify and socket activation. `fail2ban.rs`:
//! the packaged filter and jail.

mod admin_dropin;
mod fail2ban;
mod fail2ban_right_passwords;
mod postinst_account;
mod systemd;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

use crate::harness::{Skip, bin, have_from, skip};
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
        skip(
            Skip::NotForThisPass,
            &format!("{what}: checked in the SQLite pass"),
        );
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
        "usr/share/doc/appw/examples/appw-serve-admin.conf",
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
        "ExecStart=/usr/bin/appw serve --trusted-proxy user:www-data --trusted-proxy user:caddy",
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
    // The web server's socket: only root and nginx's group may connect, and a peer is
    // believed about the client's address only by its user (the service's
    // --trusted-proxy), which a user namespace of its own would hide.
    for line in [
        "ListenStream=127.0.0.1:9180",
        "ListenStream=/run/appw/serve.sock",
        "SocketGroup=www-data",
        "SocketMode=0660",
    ] {
        assert!(socket.lines().any(|l| l == line), "{SOCKET} lacks {line}");
    }
    assert!(
        !unit.lines().any(|l| l.starts_with("PrivateUsers=")),
        "{UNIT}: PrivateUsers would make every peer nobody"
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
        crate::harness::assert_mandoc_clean(&[gz]);
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
