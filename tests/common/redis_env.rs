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
        // Its own folder: a redis-server loads any dump.rdb it finds in its directory.
        let dir = std::env::temp_dir().join(format!("tpauth-redis-private-{}", self.port));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new(bin)
            .args(["--bind", "127.0.0.1", "--port", &port, "--save", "", "--appendonly", "no", "--requirepass", &self.password])
            .args(["--dir", dir.to_str().unwrap()])
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
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("tpauth-redis-private-{}", self.port)));
    }
}

/// One "host": this test binary re-run as a separate process, executing only the ignored `worker`
/// test with `vars` as its instructions; its stdout is read as it comes.
pub struct Host {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

pub fn spawn_host(vars: &[(&str, String)]) -> Host {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args(["worker", "--exact", "--ignored", "--nocapture", "--test-threads=1", "-q"]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn a worker process");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Host { child, lines: rx, seen: Vec::new() }
}

impl Host {
    /// Whether the host printed a line starting with `prefix` (reading what arrived so far).
    pub fn printed(&mut self, prefix: &str) -> bool {
        while let Ok(l) = self.lines.try_recv() {
            self.seen.push(l);
        }
        self.seen.iter().any(|l| l.starts_with(prefix))
    }

    /// How many lines starting with `prefix` the host printed so far.
    pub fn count(&mut self, prefix: &str) -> usize {
        self.printed(prefix);
        self.seen.iter().filter(|l| l.starts_with(prefix)).count()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// Wait for the host to end: its exit status, the `RESULT key=value …` fields it printed, and
    /// the numbers of its `LAT` lines (microseconds).
    pub fn finish(mut self) -> (bool, std::collections::HashMap<String, i64>, Vec<u64>) {
        let ok = self.child.wait().unwrap().success();
        for l in self.lines.iter() {
            self.seen.push(l);
        }
        let mut fields = std::collections::HashMap::new();
        let mut lat = Vec::new();
        for line in &self.seen {
            if let Some(rest) = line.strip_prefix("RESULT ") {
                for kv in rest.split_whitespace() {
                    if let Some((k, v)) = kv.split_once('=') {
                        fields.insert(k.to_owned(), v.parse().unwrap_or(-1));
                    }
                }
            } else if let Some(n) = line.strip_prefix("LAT ") {
                lat.extend(n.split_whitespace().filter_map(|x| x.parse::<u64>().ok()));
            }
        }
        (ok, fields, lat)
    }
}

/// Wait (up to 60 s) until `cond` holds, checking every 10 ms; `what` names it in the failure.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The cache key of an identity, as the library derives it (the contract names the Redis keys
/// `tpauth:{<cache key>}`): SHA-256 over the API base URL, the API key, the grant, the user and
/// HMAC-SHA256(api_secret, password or ""), each followed by a newline, in hex.
pub fn identity_key(api_base_url: &str, api_key: &str, grant: &str, user: &str, secret: &str, password: &str) -> String {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mac = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes()), password.as_bytes());
    let binding = hex(mac.as_ref());
    hex(ring::digest::digest(&ring::digest::SHA256, format!("{api_base_url}\n{api_key}\n{grant}\n{user}\n{binding}\n").as_bytes()).as_ref())
}

/// The key the previous release used (no secret in it).
pub fn legacy_identity_key(api_base_url: &str, api_key: &str, grant: &str, user: &str) -> String {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    hex(ring::digest::digest(&ring::digest::SHA256, format!("{api_base_url}\n{api_key}\n{grant}\n{user}\n").as_bytes()).as_ref())
}

// ---- Cluster and Sentinel, started per test ----------------------------------------------------

/// The TLS files `tests/redis/run.sh` made (a test CA and a certificate for 127.0.0.1).
pub struct TlsFiles {
    pub ca: String,
    pub cert: String,
    pub key: String,
}

impl TlsFiles {
    pub fn from_env() -> TlsFiles {
        TlsFiles { ca: env("TPAUTH_TEST_REDIS_CA"), cert: env("TPAUTH_TEST_REDIS_CERT"), key: env("TPAUTH_TEST_REDIS_KEY") }
    }
}

/// A free port whose cluster bus port (+10000) is free too.
pub fn free_port_pair() -> u16 {
    loop {
        let p = 20000 + (std::process::id() as u16 % 97) * 100 + (rand_u16() % 20000);
        if p < 55000 && TcpListener::bind(("127.0.0.1", p)).is_ok() && TcpListener::bind(("127.0.0.1", p + 10000)).is_ok() {
            return p;
        }
    }
}

fn rand_u16() -> u16 {
    let mut b = [0u8; 2];
    getrandom::fill(&mut b).unwrap();
    u16::from_le_bytes(b)
}

/// One redis-server (or Sentinel) process of a topology; killed on drop.
pub struct Proc {
    pub port: u16,
    child: Option<Child>,
}

impl Proc {
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
    pub fn alive(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A temporary folder for a topology's files, removed on drop.
pub struct WorkDir(pub std::path::PathBuf);

impl WorkDir {
    pub fn new(name: &str) -> WorkDir {
        let d = std::env::temp_dir().join(format!("tpauth-redis-{name}-{}-{}", std::process::id(), rand_u16()));
        std::fs::create_dir_all(&d).unwrap();
        WorkDir(d)
    }
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn server_args(port: u16, password: &str, tls: Option<&TlsFiles>) -> Vec<String> {
    let mut a: Vec<String> = vec!["--bind".into(), "127.0.0.1".into(), "--save".into(), String::new(), "--appendonly".into(), "no".into()];
    a.extend(["--requirepass".into(), password.into(), "--masterauth".into(), password.into()]);
    match tls {
        Some(t) => a.extend(
            [
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--tls-cert-file",
                &t.cert,
                "--tls-key-file",
                &t.key,
                "--tls-ca-cert-file",
                &t.ca,
                "--tls-auth-clients",
                "no",
                "--tls-replication",
                "yes",
            ]
            .map(String::from),
        ),
        None => a.extend(["--port".into(), port.to_string()]),
    }
    a
}

/// A process that dies with the test thread that started it (even when the test binary is
/// killed), so that no server outlives an interrupted run.
fn tied_to_this_thread(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        })
    }
}

fn spawn_server(args: &[String], log: &str) -> Child {
    tied_to_this_thread(Command::new(env("TPAUTH_TEST_REDIS_SERVER")).args(args).args(["--logfile", log]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-server")
}

/// An admin connection to one node (the `default` user with the password).
pub fn node_conn(port: u16, password: &str, tls: Option<&TlsFiles>) -> redis::Connection {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = (|| {
            let conn = match tls {
                Some(t) => {
                    let url = format!("rediss://:{password}@127.0.0.1:{port}/");
                    let certs = redis::TlsCertificates { client_tls: None, root_cert: Some(std::fs::read(&t.ca).unwrap()) };
                    redis::Client::build_with_tls(url.as_str(), certs)?
                }
                None => redis::Client::open(format!("redis://:{password}@127.0.0.1:{port}/").as_str())?,
            };
            let mut c = conn.get_connection_with_timeout(Duration::from_millis(500))?;
            c.set_read_timeout(Some(Duration::from_secs(10)))?;
            redis::cmd("PING").query::<String>(&mut c)?;
            Ok::<_, redis::RedisError>(c)
        })();
        match r {
            Ok(c) => return c,
            Err(e) => {
                assert!(Instant::now() < deadline, "redis node on port {port} does not answer: {e}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// `redis-cli` against one node, with the admin password (and TLS); stdout.
pub fn redis_cli(port: u16, password: &str, tls: Option<&TlsFiles>, args: &[&str]) -> String {
    let mut cmd = Command::new(env("TPAUTH_TEST_REDIS_CLI"));
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string(), "--no-auth-warning", "-a", password]);
    if let Some(t) = tls {
        cmd.args(["--tls", "--cacert", &t.ca]);
    }
    let child = tied_to_this_thread(cmd.args(args))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run redis-cli");
    let pid = child.id();
    // A cluster that never forms leaves `--cluster create` waiting forever: 60 s is plenty.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.expect("redis-cli"),
        Err(_) => {
            // SAFETY: kill(2) on the pid of our own child.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("redis-cli {args:?} did not finish in 60 s");
        }
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "redis-cli {args:?}: {text}{}", String::from_utf8_lossy(&out.stderr));
    text
}

/// A Redis Cluster of three masters with one replica each, on 127.0.0.1.
pub struct Cluster {
    pub nodes: Vec<Proc>,
    pub password: String,
    pub tls: Option<TlsFiles>,
    _dir: WorkDir,
}

impl Cluster {
    pub fn start(tls: bool) -> Cluster {
        let dir = WorkDir::new("cluster");
        let password = format!("cluster-admin-{}", rand_u16());
        let tls = tls.then(TlsFiles::from_env);
        let mut nodes = Vec::new();
        for i in 0..6 {
            let port = free_port_pair();
            let mut args = server_args(port, &password, tls.as_ref());
            args.extend(
                [
                    "--cluster-enabled",
                    "yes",
                    "--cluster-node-timeout",
                    "1000",
                    "--cluster-config-file",
                    &dir.path(&format!("nodes-{i}.conf")),
                ]
                .map(String::from),
            );
            args.extend(["--dir".into(), dir.path("")]);
            // The bus port named outright: with TLS the server's own port is 0.
            args.extend(["--cluster-port".into(), (port + 10000).to_string()]);
            if tls.is_some() {
                args.extend(["--tls-cluster".into(), "yes".into()]);
            }
            let child = spawn_server(&args, &dir.path(&format!("node-{i}.log")));
            nodes.push(Proc { port, child: Some(child) });
        }
        for n in &nodes {
            node_conn(n.port, &password, tls.as_ref());
        }
        let mut args = vec!["--cluster".to_owned(), "create".to_owned()];
        args.extend(nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)));
        args.extend(["--cluster-replicas", "1", "--cluster-yes"].map(String::from));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        redis_cli(nodes[0].port, &password, tls.as_ref(), &argv);
        let c = Cluster { nodes, password, tls, _dir: dir };
        c.wait_healthy();
        c
    }

    /// Every live node says `cluster_state:ok` and every live replica's link is up.
    pub fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = self.nodes.iter().filter(|n| n.alive()).all(|n| {
                let mut c = self.conn(n.port);
                let info: String = redis::cmd("CLUSTER").arg("INFO").query(&mut c).unwrap_or_default();
                let repl: String = redis::cmd("INFO").arg("replication").query(&mut c).unwrap_or_default();
                info.contains("cluster_state:ok") && (!repl.contains("role:slave") || repl.contains("master_link_status:up"))
            });
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "the cluster did not become healthy");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn conn(&self, port: u16) -> redis::Connection {
        node_conn(port, &self.password, self.tls.as_ref())
    }

    /// The seeds URL for `userinfo` (`:password` or `user:password`).
    pub fn url(&self, userinfo: &str) -> String {
        let scheme = if self.tls.is_some() { "rediss+cluster" } else { "redis+cluster" };
        let seeds: Vec<String> = self.nodes.iter().take(3).map(|n| format!("127.0.0.1:{}", n.port)).collect();
        format!("{scheme}://{userinfo}@{}", seeds.join(","))
    }

    /// The hash slot of `key`.
    pub fn keyslot(&self, key: &str) -> u16 {
        redis::cmd("CLUSTER").arg("KEYSLOT").arg(key).query(&mut self.conn(self.any_alive())).unwrap()
    }

    pub fn any_alive(&self) -> u16 {
        self.nodes.iter().find(|n| n.alive()).unwrap().port
    }

    /// (port, node id) of the master serving `slot`, from a live node's view.
    pub fn master_of(&self, slot: u16) -> (u16, String) {
        let nodes: String = redis::cmd("CLUSTER").arg("NODES").query(&mut self.conn(self.any_alive())).unwrap();
        for line in nodes.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            if !f[2].contains("master") || f[2].contains("fail") {
                continue;
            }
            for range in &f[8..] {
                let (a, b) = range.split_once('-').unwrap_or((range, range));
                if let (Ok(a), Ok(b)) = (a.parse::<u16>(), b.parse::<u16>()) {
                    if (a..=b).contains(&slot) {
                        let port = f[1].split('@').next().unwrap().rsplit(':').next().unwrap().parse().unwrap();
                        return (port, f[0].to_owned());
                    }
                }
            }
        }
        panic!("no master serves slot {slot}:\n{nodes}")
    }

    /// The other live masters (port, id).
    pub fn masters(&self) -> Vec<(u16, String)> {
        let nodes: String = redis::cmd("CLUSTER").arg("NODES").query(&mut self.conn(self.any_alive())).unwrap();
        nodes
            .lines()
            .map(|l| l.split(' ').collect::<Vec<_>>())
            .filter(|f| f[2].contains("master") && !f[2].contains("fail") && f.len() > 8)
            .map(|f| (f[1].split('@').next().unwrap().rsplit(':').next().unwrap().parse().unwrap(), f[0].to_owned()))
            .collect()
    }

    /// Every key matching `pattern`, on every live master.
    pub fn keys(&self, pattern: &str) -> Vec<String> {
        let mut all = Vec::new();
        for (port, _) in self.masters() {
            let k: Vec<String> = redis::cmd("KEYS").arg(pattern).query(&mut self.conn(port)).unwrap();
            all.extend(k);
        }
        all
    }

    pub fn kill(&mut self, port: u16) {
        self.nodes.iter_mut().find(|n| n.port == port).unwrap().kill();
    }

    /// Run `args` on every live node (an ACL change is per node).
    pub fn on_every_node(&self, args: &[&str]) {
        for n in self.nodes.iter().filter(|n| n.alive()) {
            let mut c = redis::cmd(args[0]);
            for a in &args[1..] {
                c.arg(*a);
            }
            c.query::<redis::Value>(&mut self.conn(n.port)).unwrap();
        }
    }

    /// Move `slot` to the master `to` the way `redis-cli --cluster reshard` does, one step at a
    /// time: [`Self::begin_migration`], then [`Self::finish_migration`].
    pub fn migrate_slot(&self, slot: u16, to: &(u16, String), pause: Duration) {
        let from = self.begin_migration(slot, to);
        self.finish_migration(slot, &from, to, pause);
    }

    fn query(&self, port: u16, args: &[&str]) {
        let mut c = redis::cmd(args[0]);
        for a in &args[1..] {
            c.arg(*a);
        }
        c.query::<redis::Value>(&mut self.conn(port)).unwrap_or_else(|e| panic!("{args:?} on {port}: {e}"));
    }

    /// The first step of moving `slot` to the master `to`: IMPORTING on `to`, MIGRATING on its
    /// master (returned). From now until [`Self::finish_migration`], a script over two keys of the
    /// slot is answered TRYAGAIN unless both keys are on the node asked.
    pub fn begin_migration(&self, slot: u16, to: &(u16, String)) -> (u16, String) {
        let from = self.master_of(slot);
        assert_ne!(from.0, to.0);
        let s = slot.to_string();
        self.query(to.0, &["CLUSTER", "SETSLOT", &s, "IMPORTING", &from.1]);
        self.query(from.0, &["CLUSTER", "SETSLOT", &s, "MIGRATING", &to.1]);
        from
    }

    /// The rest of moving `slot` from `from` to `to`: MIGRATE of each key (clients meanwhile get
    /// ASK), `pause` after each, then the slot's new owner announced to every master.
    pub fn finish_migration(&self, slot: u16, from: &(u16, String), to: &(u16, String), pause: Duration) {
        let s = slot.to_string();
        std::thread::sleep(pause);
        loop {
            let keys: Vec<String> = redis::cmd("CLUSTER").arg("GETKEYSINSLOT").arg(slot).arg(100).query(&mut self.conn(from.0)).unwrap();
            if keys.is_empty() {
                break;
            }
            for k in keys {
                let mut m = redis::cmd("MIGRATE");
                m.arg("127.0.0.1").arg(to.0).arg("").arg(0).arg(5000).arg("AUTH").arg(&self.password).arg("KEYS").arg(&k);
                m.query::<redis::Value>(&mut self.conn(from.0)).unwrap_or_else(|e| panic!("MIGRATE {k}: {e}"));
                std::thread::sleep(pause);
            }
        }
        for (port, _) in self.masters() {
            self.query(port, &["CLUSTER", "SETSLOT", &s, "NODE", &to.1]);
        }
    }
}

/// A master, one replica and three Sentinels watching them as `mymaster`; the Sentinels have a
/// password of their own.
pub struct SentinelSet {
    pub master: Proc,
    pub replica: Proc,
    pub sentinels: Vec<Proc>,
    pub password: String,
    pub sentinel_password: String,
    dir: WorkDir,
}

impl SentinelSet {
    pub fn start() -> SentinelSet {
        let dir = WorkDir::new("sentinel");
        let password = format!("data-pw-{}", rand_u16());
        let sentinel_password = format!("sentinel-pw-{}", rand_u16());
        let start = |name: &str, extra: &[String]| {
            let port = free_port();
            let mut args = server_args(port, &password, None);
            // A replica writes the snapshot it receives to its folder: never the working directory.
            args.extend(["--dir".into(), dir.path("")]);
            args.extend(extra.iter().cloned());
            let child = spawn_server(&args, &dir.path(&format!("{name}.log")));
            let p = Proc { port, child: Some(child) };
            node_conn(port, &password, None);
            p
        };
        let master = start("master", &[]);
        let replica = start("replica", &["--replicaof".into(), "127.0.0.1".into(), master.port.to_string()]);
        let mut sentinels = Vec::new();
        for i in 0..3 {
            let port = free_port();
            let conf = dir.path(&format!("sentinel-{i}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {}\nrequirepass {sentinel_password}\nsentinel sentinel-pass {sentinel_password}\n\
                     sentinel monitor mymaster 127.0.0.1 {} 2\nsentinel auth-pass mymaster {password}\n\
                     sentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 3000\n",
                    dir.path(""),
                    master.port
                ),
            )
            .unwrap();
            let child = tied_to_this_thread(&mut Command::new(env("TPAUTH_TEST_REDIS_SERVER")))
                .args([conf.as_str(), "--sentinel", "--logfile", &dir.path(&format!("sentinel-{i}.log"))])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start a Sentinel");
            sentinels.push(Proc { port, child: Some(child) });
        }
        let set = SentinelSet { master, replica, sentinels, password, sentinel_password, dir };
        // Every Sentinel knows the replica and its two peers: a failover can proceed.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !set.sentinels.iter().all(|s| {
            let mut c = node_conn(s.port, &set.sentinel_password, None);
            let m: Vec<String> = redis::cmd("SENTINEL").arg("MASTER").arg("mymaster").query(&mut c).unwrap_or_default();
            let field = |name: &str| m.iter().position(|x| x == name).and_then(|i| m.get(i + 1)).cloned().unwrap_or_default();
            field("num-slaves") == "1" && field("num-other-sentinels") == "2"
        }) {
            assert!(Instant::now() < deadline, "the Sentinels did not discover the replica and each other");
            std::thread::sleep(Duration::from_millis(100));
        }
        set
    }

    /// The URL for the data nodes' `userinfo`.
    pub fn url(&self, userinfo: &str, db: u32) -> String {
        let hosts: Vec<String> = self.sentinels.iter().map(|s| format!("127.0.0.1:{}", s.port)).collect();
        format!("redis+sentinel://{userinfo}@{}/mymaster/{db}", hosts.join(","))
    }

    /// A file holding the Sentinels' password (for cache_sentinel_password_file).
    pub fn sentinel_password_file(&self) -> String {
        let p = self.dir.path("sentinel-password");
        std::fs::write(&p, format!("{}\n", self.sentinel_password)).unwrap();
        p
    }

    /// The port of the node the Sentinels name master now.
    pub fn current_master(&self) -> u16 {
        let mut c = node_conn(self.sentinels[0].port, &self.sentinel_password, None);
        let addr: Vec<String> = redis::cmd("SENTINEL").arg("GET-MASTER-ADDR-BY-NAME").arg("mymaster").query(&mut c).unwrap();
        addr[1].parse().unwrap()
    }

    /// `SENTINEL FAILOVER mymaster`, then wait until the old replica is master and the old master
    /// follows it.
    pub fn failover(&self) -> u16 {
        let before = self.current_master();
        let mut c = node_conn(self.sentinels[0].port, &self.sentinel_password, None);
        redis::cmd("SENTINEL").arg("FAILOVER").arg("mymaster").query::<String>(&mut c).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let now = self.current_master();
            if now != before {
                let role: Vec<redis::Value> = redis::cmd("ROLE").query(&mut node_conn(now, &self.password, None)).unwrap();
                if matches!(&role[0], redis::Value::BulkString(b) if b == b"master") {
                    return now;
                }
            }
            assert!(Instant::now() < deadline, "the failover did not complete");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
