//! `appw serve` as systemd runs it: sd_notify (`Type=notify`) over a real
//! `NOTIFY_SOCKET`, and socket activation (`appw-serve.socket`) with
//! systemd-socket-activate.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{have, run, store_independent};
use crate::harness::{Appw, basic, bin};
use crate::serve::{Server, request, request_text};

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

    /// Waits for a line `found` accepts: true once there, false if the process ended first.
    fn wait_for(&mut self, what: &str, found: impl Fn(&str) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.lines.lock().unwrap().iter().any(|l| found(l)) {
            if self.child.try_wait().unwrap().is_some() {
                return self.lines.lock().unwrap().iter().any(|l| found(l));
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within 60 s: {:?}",
                self.lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        true
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
    // A free port, then systemd-socket-activate binds it: another test may take it in
    // between, so a few tries.
    let (mut activator, addr) = (0..5)
        .find_map(|_| {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let addr = format!("127.0.0.1:{port}");
            let mut activator = Logged::spawn(&mut activate(&appw, &addr));
            activator
                .wait_for("Listening on", |l| l.contains("Listening on"))
                .then_some((activator, addr))
        })
        .expect("systemd-socket-activate could not listen on five free ports");
    let (status, resp) = request(&addr, &request_text(&addr, "GET", "/healthz", &[]));
    assert_eq!(status, 200, "{resp}");
    let header = basic("deploy", &password);
    let (status, resp) = request(
        &addr,
        &request_text(&addr, "GET", "/auth", &[("Authorization", &header)]),
    );
    assert_eq!(status, 204, "{resp}");
    let listening = format!("appw serve: listening on {addr}");
    assert!(activator.wait_for(&listening, |l| l == listening));
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

/// systemd-socket-activate listening on `addr`, to start `appw serve` for `appw`'s store
/// on the first connection; appw's own --listen is one it could not even bind.
fn activate(appw: &Appw, addr: &str) -> Command {
    // systemd-socket-activate passes on only the variables it is told to (-E).
    let template = appw.command(&[]);
    let mut cmd = Command::new("systemd-socket-activate");
    cmd.args(["-l", addr]);
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
    cmd
}
