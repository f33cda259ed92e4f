//! Helpers of the `tpauth serve` tests: the service started as a user would (the binary, its
//! environment, its addresses read from stdout), and raw HTTP/1.1 requests over its Unix socket or
//! TCP, so that a test controls every header it sends (the guards' tests need to).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_tpauth");

/// A fresh temporary folder (short: a Unix socket's path is at most 107 bytes), deleted with what
/// it holds when the test ends, passed or failed.
pub fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("tps-{}-{name}-{}", std::process::id(), &tpauth::new_state()[..8]));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// See [`temp_dir`]. Declared before the service it holds the socket of, it is dropped after it.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `tpauth` binary with no `TRUSTPILOT_*` variable inherited.
pub fn tpauth() -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("TRUSTPILOT_") || k.starts_with("LISTEN_") || k == "NOTIFY_SOCKET" || k == "XDG_RUNTIME_DIR" {
            c.env_remove(k);
        }
    }
    c
}

/// The environment of one identity on the mock (password grant).
pub fn mock_env<'a>(c: &'a mut Command, mock_url: &str) -> &'a mut Command {
    c.env("TRUSTPILOT_API_KEY", "mock-api-key")
        .env("TRUSTPILOT_API_SECRET", "mock-api-secret")
        .env("TRUSTPILOT_USERNAME", "user@example.com")
        .env("TRUSTPILOT_PASSWORD", "mock-password")
        .env("TRUSTPILOT_API_HOST", mock_url)
        .env("TRUSTPILOT_ALLOW_INSECURE_HTTP", "true")
}

/// Where a request goes.
#[derive(Clone, Debug)]
pub enum Target {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl Target {
    pub fn parse(line: &str) -> Target {
        if let Some(p) = line.strip_prefix("unix:") {
            Target::Unix(p.into())
        } else if let Some(a) = line.strip_prefix("tcp:") {
            Target::Tcp(a.parse().unwrap())
        } else {
            panic!("not an address line: {line:?}")
        }
    }

    /// A connection whose reads give up after a minute: a service that never answers fails the
    /// test instead of hanging it.
    pub fn connect(&self) -> Box<dyn Conn> {
        let limit = Some(Duration::from_secs(60));
        match self {
            Target::Unix(p) => {
                let s = UnixStream::connect(p).unwrap_or_else(|e| panic!("connect {}: {e}", p.display()));
                s.set_read_timeout(limit).unwrap();
                Box::new(s)
            }
            Target::Tcp(a) => {
                let s = TcpStream::connect(a).unwrap();
                s.set_read_timeout(limit).unwrap();
                Box::new(s)
            }
        }
    }

    pub fn try_connect(&self) -> std::io::Result<Box<dyn Conn>> {
        Ok(match self {
            Target::Unix(p) => Box::new(UnixStream::connect(p)?),
            Target::Tcp(a) => Box::new(TcpStream::connect(a)?),
        })
    }

    /// The `--listen`/`token_source` spelling: `unix:/path` or `tcp:IP:PORT`.
    pub fn spec(&self) -> String {
        match self {
            Target::Unix(p) => format!("unix:{}", p.display()),
            Target::Tcp(a) => format!("tcp:{a}"),
        }
    }
}

pub trait Conn: Read + Write + Send {}
impl<T: Read + Write + Send> Conn for T {}

/// One answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.text()))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parse a whole answer (the connection was closed after it).
pub fn parse_answer(raw: &[u8]) -> Answer {
    let end = find(raw, b"\r\n\r\n").unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    let rest = &raw[end + 4..];
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            let nl = i + find(&rest[i..], b"\r\n").expect("chunk size line");
            let size = usize::from_str_radix(std::str::from_utf8(&rest[i..nl]).unwrap().split(';').next().unwrap().trim(), 16).unwrap();
            i = nl + 2;
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[i..i + size]);
            i += size + 2;
        }
        out
    } else {
        let len = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).map(|(_, v)| v.parse::<usize>().unwrap());
        match len {
            Some(n) => {
                assert!(rest.len() >= n, "answer cut short: {} of {n} bytes", rest.len());
                rest[..n].to_vec()
            }
            None => rest.to_vec(),
        }
    };
    Answer { status, headers, body }
}

/// Send `raw` as is on a new connection and read the answer to EOF (send `Connection: close`).
pub fn exchange(target: &Target, raw: &[u8]) -> Answer {
    let mut c = target.connect();
    c.write_all(raw).unwrap();
    let mut out = Vec::new();
    c.read_to_end(&mut out).unwrap();
    parse_answer(&out)
}

/// A request with the headers given, plus `Connection: close` (and nothing else).
pub fn request_with(target: &Target, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Answer {
    let mut raw = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        raw.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    raw.push_str("Connection: close\r\n\r\n");
    let mut bytes = raw.into_bytes();
    if let Some(b) = body {
        bytes.extend_from_slice(b);
    }
    exchange(target, &bytes)
}

/// A well-formed request: `Host: localhost`, `X-Tpauth-Request: true`, and the bearer over TCP.
pub fn request(svc: &Service, target: &Target, method: &str, path: &str, extra: &[(&str, &str)], body: Option<&[u8]>) -> Answer {
    let bearer;
    let mut headers: Vec<(&str, &str)> = vec![("Host", "localhost"), ("X-Tpauth-Request", "true")];
    if let (Target::Tcp(_), Some(secret)) = (target, &svc.tcp_secret) {
        bearer = format!("Bearer {secret}");
        headers.push(("Authorization", &bearer));
    }
    headers.extend_from_slice(extra);
    request_with(target, method, path, &headers, body)
}

/// A running `tpauth serve`.
pub struct Service {
    pub child: Child,
    pub targets: Vec<Target>,
    pub dir: PathBuf,
    pub stderr_path: PathBuf,
    pub tcp_secret: Option<String>,
}

impl Service {
    /// Start `cmd` (a `tpauth serve …`) and wait for its `listeners` address lines on stdout.
    pub fn spawn(mut cmd: Command, dir: &Path, listeners: usize, tcp_secret: Option<String>) -> Result<Service, String> {
        let stderr_path = dir.join(format!("serve-{}.err", tpauth::new_state()));
        let err = std::fs::File::create(&stderr_path).unwrap();
        let mut child = cmd.stdout(Stdio::piped()).stderr(err).stdin(Stdio::null()).spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut targets = Vec::new();
        for _ in 0..listeners {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap_or(0) == 0 {
                let status = child.wait().unwrap();
                return Err(format!("{status}: {}", std::fs::read_to_string(&stderr_path).unwrap_or_default()));
            }
            targets.push(Target::parse(line.trim()));
        }
        // Keep draining stdout so that the service never blocks on it.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = out.read_to_end(&mut sink);
        });
        Ok(Service { child, targets, dir: dir.to_path_buf(), stderr_path, tcp_secret })
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    pub fn unix(&self) -> Target {
        self.targets.iter().find(|t| matches!(t, Target::Unix(_))).cloned().expect("a unix listener")
    }

    pub fn tcp(&self) -> Target {
        self.targets.iter().find(|t| matches!(t, Target::Tcp(_))).cloned().expect("a tcp listener")
    }

    pub fn get(&self, target: &Target, path: &str) -> Answer {
        request(self, target, "GET", path, &[], None)
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill with the pid of our own child.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    /// Wait for the process to exit (at most `limit`); its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tpauth serve` for `mock_url` on a Unix socket in `dir` (plus TCP when `tcp`), with `args`.
pub fn start(mock_url: &str, dir: &Path, tcp: bool, args: &[&str]) -> Service {
    try_start(mock_url, dir, tcp, args, &[]).unwrap_or_else(|e| panic!("tpauth serve did not start: {e}"))
}

pub fn try_start(mock_url: &str, dir: &Path, tcp: bool, args: &[&str], env: &[(&str, &str)]) -> Result<Service, String> {
    let mut cmd = tpauth();
    mock_env(&mut cmd, mock_url);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.arg("serve").arg("--listen").arg(format!("unix:{}", dir.join("tp.sock").display()));
    let mut secret = None;
    if tcp {
        let s = format!("bearer-{}", tpauth::new_state());
        std::fs::write(dir.join("bearer"), format!("{s}\n")).unwrap();
        cmd.args(["--listen", "tcp:127.0.0.1:0", "--tcp-secret-file"]).arg(dir.join("bearer"));
        secret = Some(s);
    }
    cmd.args(args);
    Service::spawn(cmd, dir, if tcp { 2 } else { 1 }, secret)
}
