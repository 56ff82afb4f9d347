//! The whole story in a real browser: Debian's headless Chromium, driven through
//! chromedriver (WebDriver, with fantoccini), as a person would use the screen; axe-core
//! checks every page for serious or critical accessibility violations. Without chromium,
//! chromedriver or axe-core the test skips through `harness::skip` (Missing: in CI it fails).

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::{Admin, admin_credential, credential};
use crate::harness::{Appw, Skip, have_from, skip};

pub(super) const SETUP: &str = ".ci/setup-browser.sh";

/// axe-core's script: `APPW_AXE_JS`, or where `.ci/setup-browser.sh` installs it, under
/// `npm root -g` (asked the same way, so the two never disagree).
pub(super) fn axe() -> Option<String> {
    let npm_root = std::process::Command::new("npm")
        .args(["root", "-g"])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|root| !root.is_empty());
    let roots = [
        std::env::var("APPW_AXE_JS").ok().map(PathBuf::from),
        npm_root.map(|root| PathBuf::from(root).join("axe-core/axe.min.js")),
    ];
    let found = roots
        .into_iter()
        .flatten()
        .find_map(|p| std::fs::read_to_string(p).ok());
    if found.is_none() {
        skip(
            Skip::Missing,
            &format!("the browser story: axe-core is not installed (bash {SETUP} installs it)"),
        );
    }
    found
}

/// A chromedriver on a free loopback port; killed when dropped.
pub(super) struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub(super) fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Its own process group, so that the browsers it starts go with it even when a
        // failing test never closes its session.
        let mut child = Command::new("chromedriver")
            .process_group(0)
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if line.contains("started successfully") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(60))
            .expect("chromedriver did not start");
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = self.child.id() as libc::pid_t;
        // SAFETY: kill only sends a signal, here to the group this test started.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

pub(super) async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let binary = if std::path::Path::new("/usr/lib/chromium/chromium").exists() {
        "/usr/lib/chromium/chromium"
    } else {
        "chromium"
    };
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        &format!("--user-data-dir={}", profile.display()),
    ];
    let caps = json!({ "goog:chromeOptions": { "binary": binary, "args": args } });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

/// axe-core on the current page: no serious or critical violation.
pub(super) async fn check_accessibility(c: &Client, axe: &str, page: &str) {
    c.execute(axe, vec![]).await.expect("axe-core loads");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(
               r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ': ' + v.help + ' at ' +
                   v.nodes.map(n => n.target.join(' ')).join(', '))));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    assert_eq!(found, json!([]), "accessibility of {page}");
}

pub(super) async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub(super) async fn exists(c: &Client, css: &str) -> bool {
    !c.find_all(Locator::Css(css)).await.unwrap().is_empty()
}

async fn press(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Presses `css` and waits (60 s at most) for the next page: until `ready` holds on it.
pub(super) async fn press_until(c: &Client, css: &str, ready: Ready<'_>) {
    press(c, css).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = match ready {
            Ready::Shows(css) => exists(c, css).await,
            Ready::Gone(css) => !exists(c, css).await,
        };
        if done {
            return;
        }
        assert!(Instant::now() < deadline, "after pressing {css}: {ready:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Ready<'a> {
    Shows(&'a str),
    Gone(&'a str),
}

pub(super) async fn fill(c: &Client, css: &str, value: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// The ids of the table's rows.
async fn rows(c: &Client) -> Vec<String> {
    let mut ids = Vec::new();
    for row in c
        .find_all(Locator::Css("table#credentials tr[data-credential-id]"))
        .await
        .unwrap()
    {
        ids.push(row.attr("data-credential-id").await.unwrap().unwrap());
    }
    ids
}

async fn sign_in(c: &Client, base: &str, axe: &str, user: &str, password: &str) {
    c.goto(base).await.unwrap();
    check_accessibility(c, axe, "the sign-in page").await;
    fill(c, "form#sign-in input[name=user]", user).await;
    fill(c, "form#sign-in input[name=password]", password).await;
    press_until(
        c,
        "form#sign-in button[type=submit]",
        Ready::Gone("form#sign-in"),
    )
    .await;
    assert!(
        exists(c, "table#credentials").await,
        "signed in as {user}: {}",
        c.source().await.unwrap()
    );
}

#[test]
fn the_whole_story_in_a_browser() {
    let tools = have_from("chromium", "the browser story", SETUP)
        && have_from("chromedriver", "the browser story", SETUP);
    let Some(axe) = tools.then(axe).flatten() else {
        return;
    };
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let web = Admin::start(&appw);
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let c = browser(&driver, profile.path()).await;
        let base = format!("http://{}/", web.addr);
        sign_in(&c, &base, &axe, &user, &password).await;
        check_accessibility(&c, &axe, "the credentials").await;

        // Create, and read the password once.
        fill(&c, "form#create input[name=name]", "Zapier").await;
        fill(&c, "form#create input[name=user]", "deploy").await;
        fill(&c, "form#create input[name=scopes]", "deploy").await;
        press_until(
            &c,
            "form#create button[type=submit]",
            Ready::Shows("#new-password"),
        )
        .await;
        let secret: String = text(&c, "#new-password").await.split_whitespace().collect();
        assert_eq!(secret.len(), 48);
        assert!(text(&c, "#curl-line").await.contains(&secret));
        check_accessibility(&c, &axe, "the new password").await;
        c.refresh().await.unwrap();
        assert!(!exists(&c, "#new-password").await, "gone on reload");
        assert!(!c.source().await.unwrap().contains(&secret[16..42]));

        // Use it; its last use appears.
        assert_eq!(web.auth("deploy", &secret), 204);
        let id = secret[4..16].to_string();
        let row = format!("tr[data-credential-id='{id}']");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            c.refresh().await.unwrap();
            let shown = text(&c, &row).await;
            if shown.contains("127.0.0.1") {
                break;
            }
            assert!(Instant::now() < deadline, "no last use: {shown}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if let Ok(path) = std::env::var("APPW_SCREENSHOT") {
            credential(&appw, "backup", "nightly", &["--expires", "90d"]);
            credential(
                &appw,
                "ops",
                "Grafana <dashboards>",
                &["--scope", "metrics:read"],
            );
            c.refresh().await.unwrap();
            std::fs::write(path, c.screenshot().await.unwrap()).unwrap();
        }

        // Rotate: a new password, the old one refused.
        let old_row = row.clone();
        press_until(
            &c,
            &format!("{row} button[name=rotate]"),
            Ready::Gone(&old_row),
        )
        .await;
        let rotated: String = text(&c, "#new-password").await.split_whitespace().collect();
        assert_ne!(rotated, secret);
        assert_eq!(web.auth("deploy", &secret), 401);
        assert_eq!(web.auth("deploy", &rotated), 204);
        let row = format!("tr[data-credential-id='{}']", &rotated[4..16]);

        // Disable and enable, then revoke.
        let enable = format!("{row} button[name=enable]");
        press_until(
            &c,
            &format!("{row} button[name=disable]"),
            Ready::Shows(&enable),
        )
        .await;
        assert_eq!(web.auth("deploy", &rotated), 401);
        let disable = format!("{row} button[name=disable]");
        press_until(&c, &enable, Ready::Shows(&disable)).await;
        assert_eq!(web.auth("deploy", &rotated), 204);
        press_until(&c, &format!("{row} button[name=revoke]"), Ready::Gone(&row)).await;
        assert_eq!(web.auth("deploy", &rotated), 401);

        // Revoke all of a user, through the confirmation.
        credential(&appw, "ops", "one", &[]);
        credential(&appw, "ops", "two", &[]);
        fill(&c, "form#revoke-all input[name=user]", "ops").await;
        press_until(
            &c,
            "form#revoke-all button[type=submit]",
            Ready::Shows("#revoke-count"),
        )
        .await;
        let count = text(&c, "#revoke-count").await;
        let expected = appw.json_of(&["list", "--user", "ops", "--json"]);
        assert_eq!(count, expected.as_array().unwrap().len().to_string());
        check_accessibility(&c, &axe, "the confirmation").await;
        press_until(
            &c,
            "form#confirm-revoke-all button[type=submit]",
            Ready::Gone("#revoke-count"),
        )
        .await;
        assert_eq!(
            appw.json_of(&["list", "--user", "ops", "--json"]),
            json!([])
        );

        press_until(
            &c,
            "form#sign-out button[type=submit]",
            Ready::Shows("form#sign-in"),
        )
        .await;
        c.goto(&base).await.unwrap();
        assert!(exists(&c, "form#sign-in").await, "still signed out");

        // An appw:self user sees only their own.
        let (alice, _) = credential(&appw, "alice", "laptop", &["--scope", "appw:self"]);
        let (_, alice_ci) = credential(&appw, "alice", "CI", &[]);
        let (_, bob) = credential(&appw, "bob", "phone", &[]);
        sign_in(&c, &base, &axe, "alice", &alice).await;
        let ids = rows(&c).await;
        assert!(ids.contains(&alice_ci) && !ids.contains(&bob), "{ids:?}");
        assert!(!exists(&c, "form#create input[name=user]:not([type=hidden])").await);
        check_accessibility(&c, &axe, "an appw:self user's credentials").await;
        c.close().await.unwrap();
    });
}
