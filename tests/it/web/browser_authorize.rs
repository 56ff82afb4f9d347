//! Apps asking for a credential, in a real browser: a small local app (a loopback HTTP
//! server) sends a signed-out user to `/authorize`, the user signs in, approves, and the
//! app receives its password by POST and uses it against `/auth`. Skipped (visibly) without
//! chromium, chromedriver or axe-core outside CI, as the browser story is.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::browser::{
    Driver, Ready, SETUP, axe, browser, check_accessibility, fill, press_until, text,
};
use super::{Admin, credential};
use crate::harness::{Appw, assert_no_secret, have_from, is_token};

/// A small local app: it answers the POST that delivers its password, uses the password
/// against `/auth`, and reports the password and the status there. It keeps the head
/// (request line and headers) of every request it receives.
struct App {
    origin: String,
    delivered: std::sync::mpsc::Receiver<(String, u16)>,
    heads: Arc<Mutex<Vec<String>>>,
}

impl App {
    /// Starts the app; `auth` is where `/auth` listens, set once the server is up.
    fn start(auth: Arc<Mutex<String>>) -> App {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let (tx, delivered) = std::sync::mpsc::channel();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
                let mut request = Vec::new();
                let mut buf = [0; 4096];
                // The head, then as much body as Content-Length says.
                loop {
                    let n = stream.read(&mut buf).unwrap_or(0);
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            break;
                        }
                    }
                    if n == 0 {
                        break;
                    }
                }
                let text = String::from_utf8_lossy(&request).to_string();
                let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
                seen.lock().unwrap().push(head.to_string());
                let mut answer = "<!DOCTYPE html><html lang=\"en\"><title>app</title><main><h1>nothing</h1></main></html>".to_string();
                if head.starts_with("POST /cb") {
                    let fields: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
                        .into_owned()
                        .collect();
                    let get = |k: &str| {
                        fields
                            .iter()
                            .find(|(f, _)| f == k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    let auth = auth.lock().unwrap().clone();
                    let status = super::send(
                        &auth,
                        "GET",
                        "/auth",
                        &[(
                            "Authorization",
                            &crate::harness::basic(&get("user_login"), &get("password")),
                        )],
                        b"",
                    )
                    .status;
                    let _ = tx.send((get("password"), status));
                    answer = format!(
                        "<!DOCTYPE html><html lang=\"en\"><title>app</title><main><h1 id=\"connected\">connected: {status}</h1></main></html>"
                    );
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        App {
            origin,
            delivered,
            heads,
        }
    }
}

#[test]
fn an_app_asks_a_signed_in_user_and_gets_its_password_by_post() {
    let tools = have_from("chromium", "the authorize story", SETUP)
        && have_from("chromedriver", "the authorize story", SETUP);
    let Some(axe) = tools.then(axe).flatten() else {
        return;
    };
    let appw = Appw::new();
    let (alice, _) = credential(&appw, "alice", "laptop", &["--scope", "appw:self"]);
    let auth = Arc::new(Mutex::new(String::new()));
    let app = App::start(auth.clone());
    let web = Admin::start_with(&appw, &["--authorize-origin", &app.origin]);
    *auth.lock().unwrap() = web.auth.clone();
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Every address the browser is at once the passwords exist.
    let urls = runtime.block_on(async {
        let c = browser(&driver, profile.path()).await;
        let ask = format!(
            "http://{}/authorize?app_name=Local%20app&app_id=21f2e7c6-9a3e-4bd6-8c7b-2f8a3c1d5e90&success_url={}",
            web.addr,
            form_urlencoded::byte_serialize(format!("{}/cb", app.origin).as_bytes()).collect::<String>()
        );
        // Signed out: the sign-in comes first and returns to the request.
        c.goto(&ask).await.unwrap();
        fill(&c, "form#sign-in input[name=user]", "alice").await;
        fill(&c, "form#sign-in input[name=password]", &alice).await;
        press_until(&c, "form#sign-in button[type=submit]", Ready::Shows("form#approve")).await;
        let mut urls = vec![c.current_url().await.unwrap().to_string()];
        check_accessibility(&c, &axe, "the authorize page").await;
        press_until(&c, "form#approve button[type=submit]", Ready::Shows("form#deliver")).await;
        check_accessibility(&c, &axe, "the approval").await;
        urls.push(c.current_url().await.unwrap().to_string());
        press_until(&c, "form#deliver button[type=submit]", Ready::Shows("#connected")).await;
        assert_eq!(text(&c, "#connected").await, "connected: 204");
        urls.push(c.current_url().await.unwrap().to_string());
        c.close().await.unwrap();
        urls
    });
    let (delivered, status) = app.delivered.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(status, 204, "the app used its password");
    assert!(
        is_token(&delivered),
        "a password was delivered: {delivered:?}"
    );
    // Delivered in a POST body only: in no address, no request line or header the app
    // received, and nowhere in the server's log (nor is the password that signed in).
    let heads = app.heads.lock().unwrap().join("\n");
    let log = web.log().join("\n");
    for password in [&delivered, &alice] {
        for url in &urls {
            assert_no_secret(url, password, "the browser's address");
        }
        assert_no_secret(
            &heads,
            password,
            "a request line or header the app received",
        );
        assert_no_secret(&log, password, "the server's log");
    }
    let made = appw.json_of(&["list", "--user", "alice", "--json"]);
    assert!(
        made.as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "Local app")
    );
}
