//! The harness for `appw serve` tests: the real binary on a free loopback port, its
//! stderr collected line by line, and raw HTTP requests to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::{Appw, basic};

/// A running `appw serve`, its stderr collected line by line; killed when dropped.
pub struct Server {
    pub(in crate::serve) child: Child,
    pub addr: String,
    log: Arc<Mutex<Vec<String>>>,
    /// Reads stderr until the process exits (its end of the pipe closes then).
    pub(in crate::serve) reader: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Starts `appw serve` for `appw`'s store on a free loopback port (plus `extra`
    /// arguments) and waits until it says where it listens.
    pub fn start(appw: &Appw, extra: &[&str]) -> Server {
        Server::start_with(appw.command(&["serve", "--listen", "127.0.0.1:0"]), extra)
    }

    pub fn start_with(mut cmd: Command, extra: &[&str]) -> Server {
        let mut child = cmd
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let lines = log.clone();
        let reader = std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("appw serve: listening on ") {
                    let _ = tx.send(addr.to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("serve did not start: {:?}", log.lock().unwrap()));
        Server {
            child,
            addr,
            log,
            reader: Some(reader),
        }
    }

    /// One request (`GET path`) with `headers`; returns the status and the whole response.
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        request(&self.addr, &request_text(&self.addr, "GET", path, headers))
    }

    /// `/auth` with `user`'s password, as curl -u sends it.
    pub fn auth(&self, user: &str, password: &str) -> u16 {
        self.get("/auth", &[("Authorization", &basic(user, password))])
            .0
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// The rest of the first stderr line that starts with `prefix`, once it is written.
    pub fn logged(&self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let found = self
                .log
                .lock()
                .unwrap()
                .iter()
                .find_map(|l| l.strip_prefix(prefix).map(str::to_string));
            if let Some(rest) = found {
                return rest;
            }
            assert!(
                Instant::now() < deadline,
                "never {prefix:?}: {:?}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A counter of `/metrics` without labels, by name.
    pub fn metric(&self, name: &str) -> u64 {
        let (status, metrics) = self.get("/metrics", &[]);
        assert_eq!(status, 200, "{metrics}");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {metrics}"))
    }

    /// argon2 evaluations so far (`appw_argon2_evaluations_total`).
    pub fn evaluations(&self) -> u64 {
        self.metric("appw_argon2_evaluations_total")
    }

    pub(in crate::serve) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// SIGTERM, then the exit code and everything logged.
    pub fn stop(self) -> (i32, Vec<String>) {
        let (code, log) = self.stop_anyhow();
        assert_eq!(code, 0, "a graceful stop exits 0: {log:#?}");
        assert!(
            !log.iter().any(|l| l.contains("panicked")),
            "no thread panics, not even while stopping: {log:#?}"
        );
        (code, log)
    }

    /// Stops as [`Server::stop`] does and checks that a line of the log contains `part` (a
    /// `reason="..."`, a warning): the log, for further checks.
    pub fn stop_logging(self, part: &str) -> Vec<String> {
        let (_, log) = self.stop();
        assert!(
            log.iter().any(|l| l.contains(part)),
            "no line with {part:?} in {log:#?}"
        );
        log
    }

    fn stop_anyhow(mut self) -> (i32, Vec<String>) {
        self.signal("TERM");
        let code = wait_exit(&mut self.child);
        // The stderr reader ends with the process: once it has, every line is in the log.
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (code, self.log())
    }

    pub fn kill(mut self) {
        self.signal("KILL");
        wait_exit(&mut self.child);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(in crate::serve) fn wait_exit(child: &mut Child) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            use std::os::unix::process::ExitStatusExt;
            return status.code().unwrap_or(-100 - status.signal().unwrap_or(0));
        }
        assert!(Instant::now() < deadline, "serve did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A request to `host` (a proxy routes by it) that closes the connection after its answer.
pub fn request_text(host: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> String {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    req + "\r\n"
}

/// Sends raw bytes, reads the response to the end; returns the status and the response.
pub fn request(addr: &str, raw: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    exchange(&mut stream, raw)
}

pub(in crate::serve) fn exchange(stream: &mut (impl Read + Write), raw: &str) -> (u16, String) {
    stream.write_all(raw.as_bytes()).unwrap();
    let mut resp = Vec::new();
    let _ = stream.read_to_end(&mut resp);
    let resp = String::from_utf8_lossy(&resp).into_owned();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {resp:?}"));
    (status, resp)
}

pub fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// This process's uid, as `id -u` says.
pub fn my_uid() -> String {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
