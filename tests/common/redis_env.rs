//! Helpers of the Redis cache tests (`tests/redis.rs`): the servers `tests/redis/run.sh` started,
//! a private `redis-server` a test can stop and restart, a raw connection to look inside, and the
//! "hosts" (separate processes running this test binary's ignored `worker` test).
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An environment variable `tests/redis/run.sh` exports; a clear failure when it is missing.
pub fn env(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| panic!("{name} is not set: the Redis tests need real redis-server instances; run tests/redis/run.sh"))
}

/// `url` with its database number replaced by `db` (each test uses its own database).
pub fn with_db(url: &str, db: u32) -> String {
    let base = url.rsplit_once('/').filter(|(b, _)| b.contains("://") && !b.ends_with('/')).map(|(b, _)| b).unwrap_or(url);
    format!("{base}/{db}")
}

/// A raw connection, to look at keys, TTLs and values as another Redis client would.
pub fn raw(url: &str) -> redis::Connection {
    redis::Client::open(url).unwrap().get_connection_with_timeout(Duration::from_secs(2)).unwrap()
}

/// Every key matching `pattern`.
pub fn keys(url: &str, pattern: &str) -> Vec<String> {
    redis::cmd("KEYS").arg(pattern).query(&mut raw(url)).unwrap()
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A private `redis-server` (the binary `TPAUTH_TEST_REDIS_SERVER` names) on one port, with a
/// password and no persistence, that a test stops and restarts.
pub struct RedisServer {
    pub port: u16,
    pub password: String,
    child: Option<Child>,
}

impl RedisServer {
    pub fn start(password: &str) -> RedisServer {
        let mut s = RedisServer { port: free_port(), password: password.to_owned(), child: None };
        s.restart();
        s
    }

    pub fn url(&self, db: u32) -> String {
        format!("redis://:{}@127.0.0.1:{}/{db}", self.password, self.port)
    }

    /// Stop it at once (SIGKILL: what a crash or a lost host looks like to clients).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start it (again, on the same port, empty) and wait until it answers.
    pub fn restart(&mut self) {
        self.stop();
        let bin = env("TPAUTH_TEST_REDIS_SERVER");
        let port = self.port.to_string();
        let child = Command::new(bin)
            .args(["--bind", "127.0.0.1", "--port", &port, "--save", "", "--appendonly", "no", "--requirepass", &self.password])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ok = redis::Client::open(self.url(0).as_str())
                .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                .is_ok();
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "redis-server did not start on port {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One "host": this test binary re-run as a separate process, executing only the ignored `worker`
/// test with `vars` as its instructions.
pub fn spawn_worker(vars: &[(&str, String)]) -> Child {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args(["worker", "--exact", "--ignored", "--nocapture", "--test-threads=1", "-q"]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn a worker process")
}

/// Wait for a worker; its exit status and the `RESULT key=value …` line it printed.
pub fn finish_worker(child: Child) -> (bool, std::collections::HashMap<String, i64>) {
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = std::collections::HashMap::new();
    for line in text.lines().filter(|l| l.starts_with("RESULT ")) {
        for kv in line["RESULT ".len()..].split_whitespace() {
            if let Some((k, v)) = kv.split_once('=') {
                fields.insert(k.to_owned(), v.parse().unwrap_or(-1));
            }
        }
    }
    (out.status.success(), fields)
}
