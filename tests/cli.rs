//! The `tpauth` command line tool, run as a user would: `mock` prints a port and serves,
//! `authorize-url`, `token`, the error and usage exits, and `demo` passing end to end.
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tpauth");

/// The binary with no TRUSTPILOT_* variable inherited.
fn tpauth() -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("TRUSTPILOT_") {
            c.env_remove(k);
        }
    }
    c
}

fn with_mock_env(c: &mut Command, port: u16) -> &mut Command {
    c.env("TRUSTPILOT_API_KEY", "mock-api-key")
        .env("TRUSTPILOT_API_SECRET", "mock-api-secret")
        .env("TRUSTPILOT_USERNAME", "user@example.com")
        .env("TRUSTPILOT_PASSWORD", "mock-password")
        .env("TRUSTPILOT_API_HOST", format!("http://127.0.0.1:{port}"))
        .env("TRUSTPILOT_AUTHORIZE_URL", format!("http://127.0.0.1:{port}/authenticate"))
        .env("TRUSTPILOT_ALLOW_INSECURE_HTTP", "true")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `GET path` on the mock, the body of the answer.
fn http_get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    answer.split_once("\r\n\r\n").unwrap().1.to_owned()
}

struct Mock {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    port: u16,
}

impl Mock {
    fn start() -> Mock {
        let mut child = tpauth()
            .args(["mock", "--port", "0", "--exit-on-stdin-eof"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| panic!("the first line is not a port: {line:?}"));
        assert_ne!(port, 0);
        Mock { child, _stdout: stdout, port }
    }

    /// Close stdin: the mock exits, with status 0.
    fn stop(mut self) {
        drop(self.child.stdin.take());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn mock_prints_its_port_and_serves() {
    let mock = Mock::start();
    let stats: serde_json::Value = serde_json::from_str(&http_get(mock.port, "/_mock/stats")).unwrap();
    assert_eq!(stats["token_requests"], 0);
    // `token` against it: JSON, then --raw.
    let out = with_mock_env(&mut tpauth(), mock.port).arg("token").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["expires_in"], "359999");
    let access = t["access_token"].as_str().unwrap();
    let out = with_mock_env(&mut tpauth(), mock.port).args(["token", "--raw"]).output().unwrap();
    let raw = text(&out.stdout);
    assert_eq!(raw.trim_end().len(), access.len());
    assert!(!raw.contains('{'));
    let stats: serde_json::Value = serde_json::from_str(&http_get(mock.port, "/_mock/stats")).unwrap();
    assert_eq!(stats["grants"]["password"], 2);
    // A refused password: TP_ERR_INVALID_GRANT, exit 1, and the password is not echoed.
    let out = with_mock_env(&mut tpauth(), mock.port).env("TRUSTPILOT_PASSWORD", "wr0ng-s3cret").arg("token").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("tpauth: TP_ERR_INVALID_GRANT: "), "{err}");
    assert!(!err.contains("wr0ng-s3cret") && !err.contains("mock-api-secret"), "{err}");
    assert!(out.stdout.is_empty());
    // Refresh without a token and without a cache: TP_ERR_NO_TOKEN.
    let out = with_mock_env(&mut tpauth(), mock.port).arg("refresh").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("tpauth: TP_ERR_NO_TOKEN: "), "{}", text(&out.stderr));
    mock.stop();
}

#[test]
fn authorize_url_output() {
    let env = |c: &mut Command| {
        c.env("TRUSTPILOT_API_KEY", "my key")
            .env("TRUSTPILOT_API_SECRET", "s")
            .env("TRUSTPILOT_AUTHORIZE_URL", "https://auth.example/authenticate");
    };
    let mut c = tpauth();
    env(&mut c);
    let out = c.args(["authorize-url", "--redirect-uri", "https://app.example/cb?x=1", "--state", "s1"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "https://auth.example/authenticate?client_id=my%20key&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1&response_type=code&state=s1\n"
    );
    // Without --state: one is generated, printed on stderr, and used.
    let mut c = tpauth();
    env(&mut c);
    let out = c.args(["authorize-url", "--redirect-uri=https://app.example/cb", "--response-type", "token"]).output().unwrap();
    assert!(out.status.success());
    let err = text(&out.stderr);
    let state = err.trim().strip_prefix("state: ").unwrap_or_else(|| panic!("{err}"));
    assert!(state.len() >= 16);
    let url = text(&out.stdout);
    assert!(url.contains("&response_type=token&"), "{url}");
    assert!(url.trim_end().ends_with(&format!("&state={state}")), "{url}");
    // A non-https redirect URI: TP_ERR_INVALID_ARGUMENT, exit 1.
    let mut c = tpauth();
    env(&mut c);
    let out = c.args(["authorize-url", "--redirect-uri", "http://app.example/cb"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("tpauth: TP_ERR_INVALID_ARGUMENT: "));
    // No configuration: TP_ERR_INVALID_ARGUMENT naming the variable.
    let out = tpauth().args(["authorize-url", "--redirect-uri", "https://app.example/cb"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("TRUSTPILOT_API_KEY"));
}

fn usage_error(args: &[&str]) -> Output {
    let out = tpauth().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("usage: tpauth"), "{args:?}");
    out
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    usage_error(&[]);
    usage_error(&["frobnicate"]);
    usage_error(&["token", "--bogus"]);
    usage_error(&["authorize-url"]);
    usage_error(&["authorize-url", "--redirect-uri", "https://a/b", "--response-type", "id_token"]);
    usage_error(&["exchange", "--code", "c"]);
    usage_error(&["mock", "--port", "seventy"]);
    usage_error(&["demo", "extra"]);
    for cmd in ["token", "authorize-url", "exchange", "refresh", "revoke", "mock", "demo"] {
        let out = tpauth().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success(), "{cmd}");
        assert!(text(&out.stdout).starts_with(&format!("usage: tpauth {cmd}")), "{cmd}");
    }
    assert!(tpauth().arg("--help").output().unwrap().status.success());
}

#[test]
fn help_into_a_closed_pipe_ends_quietly() {
    // `tpauth --help | grep -q usage`: the reader is gone before the text is written.
    for args in [&["--help"][..], &["--version"], &["token", "--help"], &["serve", "--help"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = tpauth().args(args).stdout(writer).stderr(Stdio::piped()).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "tpauth {args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).is_empty(), "tpauth {args:?} wrote to stderr: {}", text(&out.stderr));
    }
}

#[test]
fn demo_runs_every_flow() {
    let out = tpauth().arg("demo").output().unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("demo: all 11 steps passed"), "{stdout}");
    assert!(!stdout.contains("FAIL"));
    // Never a secret: neither the mock's secret/password nor a whole token.
    assert!(!stdout.contains("mock-api-secret") && !stdout.contains("mock-password"));
    for word in stdout.split(|c: char| !c.is_ascii_alphanumeric()) {
        assert!(word.len() < 20, "something token-like in the demo output: {word}");
    }
}
