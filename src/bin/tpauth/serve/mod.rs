//! `tpauth serve`: one process holds the identities and hands out access tokens to every other
//! process on the host, over HTTP/1.1 on a Unix socket or loopback TCP (hyper 1 on a small tokio
//! runtime). The tokens, their single flight, caches, retries and errors are the core's: each
//! identity is a `tpauth::Auth`. docs/serve.md is the guide; API.md section 4 the contract.
//!
//! - `identities.rs`: the environment and `-o`, or `--config` TOML; secrets only from files.
//! - `listen.rs`: Unix sockets (modes, stale sockets), loopback TCP, systemd's sockets.
//! - `guard.rs`: the rules every request passes (header, origin, host, peer, bearer).
//! - `routes.rs`, `proxy.rs`, `metrics.rs`, `answer.rs`: the endpoints and their answers.
//! - `notify.rs`: `READY=1` / `STOPPING=1` to systemd.
//! - `stop.rs`: what stops the service (SIGTERM/SIGINT; Ctrl-C, Ctrl-Break, console close on
//!   Windows).
//!
//! On Windows the service listens on loopback TCP only (`listen.rs` says why); everything a
//! request meets (guards, endpoints, metrics, proxy, errors) is the same code on every platform.

mod answer;
mod guard;
mod identities;
mod listen;
mod metrics;
mod notify;
mod proxy;
mod routes;
mod stop;

use crate::args::{many, many_short, opt, Flag, Parsed};
use guard::{Guard, Peer};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use identities::Identities;
use listen::{Addr, Bound, SocketFile};
use metrics::Metrics;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};

pub const HELP: &str = "\
usage: tpauth serve [--listen ADDR]... [--config FILE] [-o key=value]... [--allow-uid UID]...
                    [--allow-gid GID]... [--socket-mode 0660] [--tcp-secret-file FILE]

Run the local token service: every process on the host asks it for the access token over
HTTP (GET /v1/token), in any language, and the service makes one token request per expiry for
all of them. docs/serve.md is the guide.

  --listen ADDR        unix:/path (default $XDG_RUNTIME_DIR/tpauth.sock, /run/tpauth/tpauth.sock
                       as root), tcp:127.0.0.1:PORT or tcp:[::1]:PORT (loopback only; needs
                       --tcp-secret-file), fd:N (a socket from systemd; LISTEN_FDS is honoured
                       without it). Repeatable. Each address listened on is printed on stdout.
  --config FILE        TOML: default = \"NAME\" and one [identities.NAME] table of options each
                       (api_key, api_secret_file, password_file, username, any option). Without
                       it, one identity named default from the TRUSTPILOT_* environment.
  -o key=value         an option for every identity (secrets are refused: use the environment
                       or api_secret_file / password_file).
  --allow-uid UID      only peers with this uid (or an --allow-gid gid) may use the Unix socket.
  --allow-gid GID
  --socket-mode MODE   the Unix socket's mode, octal (default 0660).
  --tcp-secret-file F  TCP requests must carry Authorization: Bearer <F's content>; re-read on
                       every request, so that it can rotate.

Every request must carry X-Tpauth-Request: true. SIGTERM or SIGINT (Windows: Ctrl-C, Ctrl-Break,
closing the console): stop accepting, finish the requests in flight (at most timeout_ms), remove
the socket, exit 0. On Windows only tcp: listeners exist (no unix:, fd:, --allow-uid, --allow-gid,
--socket-mode), and --listen is required.";

pub const FLAGS: &[Flag] = &[
    many("listen"),
    opt("config"),
    many_short("option", 'o'),
    many("allow-uid"),
    many("allow-gid"),
    opt("socket-mode"),
    opt("tcp-secret-file"),
];

/// Connections served at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 1024;
/// A connection that sends no complete request head for this long is closed (idle keep-alive
/// connections included).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What every request handler shares.
pub struct App {
    ids: Identities,
    metrics: Metrics,
    guard: Guard,
}

/// Why `tpauth serve` stopped before serving.
pub enum StartError {
    Usage(String),
    Failed(String),
}

fn ids_of(values: &[String], flag: &str) -> Result<Vec<u32>, StartError> {
    values.iter().map(|v| v.trim().parse::<u32>().map_err(|_| StartError::Usage(format!("--{flag} {v:?}: expected a number")))).collect()
}

/// Log the core's events on stderr (they never carry a secret); `TPAUTH_LOG=debug` adds detail.
fn install_logger() {
    let max = match std::env::var("TPAUTH_LOG").ok().as_deref() {
        Some("debug") => tpauth::log::Level::Debug,
        Some("warn") => tpauth::log::Level::Warn,
        Some("error") => tpauth::log::Level::Error,
        _ => tpauth::log::Level::Info,
    };
    tpauth::log::set_logger(Some(Box::new(move |level, msg| {
        if level <= max {
            eprintln!("tpauth serve: {level:?}: {msg}");
        }
    })));
}

/// Windows: the flags that only mean something for a Unix socket are refused, and so is starting
/// without `--listen` (there is no default socket, and the contract fixes no default port).
#[cfg(not(unix))]
fn refuse_unix_only(p: &Parsed, addrs: &[Addr]) -> Result<(), StartError> {
    for flag in ["allow-uid", "allow-gid", "socket-mode"] {
        if !p.all(flag).is_empty() || p.get(flag).is_some() {
            return Err(StartError::Usage(format!(
                "--{flag} applies to a Unix socket, which Windows does not have; {} (its bearer guards every request)",
                listen::WINDOWS_LISTEN
            )));
        }
    }
    if addrs.is_empty() {
        return Err(StartError::Usage(format!(
            "no --listen given and there is no default listener on Windows; {}",
            listen::WINDOWS_LISTEN
        )));
    }
    Ok(())
}

pub fn run(p: &Parsed) -> Result<(), StartError> {
    let mut addrs = Vec::new();
    for l in p.all("listen") {
        addrs.push(listen::parse_addr(l).map_err(StartError::Usage)?);
    }
    #[cfg(not(unix))]
    refuse_unix_only(p, &addrs)?;
    #[cfg(unix)]
    let mode = match p.get("socket-mode") {
        None => 0o660,
        Some(m) => match u32::from_str_radix(m.trim_start_matches("0o"), 8) {
            Ok(v) if v <= 0o777 => v,
            _ => return Err(StartError::Usage(format!("--socket-mode {m:?}: expected an octal mode such as 0660"))),
        },
    };
    let allow_uid = ids_of(p.all("allow-uid"), "allow-uid")?;
    let allow_gid = ids_of(p.all("allow-gid"), "allow-gid")?;
    let tcp_secret_file = p.get("tcp-secret-file").map(PathBuf::from);
    install_logger();
    let ids = identities::load(p.get("config"), p.all("option")).map_err(StartError::Failed)?;

    let mut bound = Vec::new();
    // Sockets from systemd, then --listen; the default socket when there is neither.
    #[cfg(unix)]
    {
        let mut fds: Vec<i32> = listen::systemd_fds();
        for a in &addrs {
            if let Addr::Fd(n) = a {
                if !fds.contains(n) {
                    fds.push(*n);
                }
            }
        }
        for fd in fds {
            bound.push(listen::adopt_fd(fd).map_err(StartError::Failed)?);
        }
        if addrs.is_empty() && bound.is_empty() {
            addrs.push(Addr::Unix(listen::default_socket().map_err(StartError::Failed)?));
        }
    }
    let wants_tcp = addrs.iter().any(|a| matches!(a, Addr::Tcp(_))) || bound.iter().any(|b| matches!(b, Bound::Tcp(_)));
    if wants_tcp {
        let Some(file) = &tcp_secret_file else {
            return Err(StartError::Usage("a TCP listener needs --tcp-secret-file (its bearer guards every TCP request)".into()));
        };
        match std::fs::read_to_string(file) {
            Ok(s) if !s.trim().is_empty() => {}
            Ok(_) => return Err(StartError::Failed(format!("--tcp-secret-file {}: the file is empty", file.display()))),
            Err(e) => return Err(StartError::Failed(format!("--tcp-secret-file {}: cannot read it: {}", file.display(), e.kind()))),
        }
    }
    // The socket files this service created, removed when it stops (none on Windows).
    #[cfg_attr(not(unix), expect(unused_mut, reason = "Windows creates no socket file"))]
    let mut created: Vec<SocketFile> = Vec::new();
    let fail = |created: &[SocketFile], e: String| {
        for s in created {
            s.remove();
        }
        StartError::Failed(e)
    };
    for a in &addrs {
        let b = match a {
            #[cfg(unix)]
            Addr::Unix(path) => listen::bind_unix(path, mode),
            Addr::Tcp(sa) => listen::bind_tcp(*sa),
            #[cfg(unix)]
            Addr::Fd(_) => continue,
        };
        match b {
            #[cfg(unix)]
            Ok(Bound::Unix { listener, created: Some(file) }) => {
                created.push(file);
                bound.push(Bound::Unix { listener, created: None });
            }
            Ok(other) => bound.push(other),
            Err(e) => return Err(fail(&created, e)),
        }
    }
    // What each listener is, on stdout (port 0 shows the port chosen), one line each.
    {
        let mut out = std::io::stdout().lock();
        for b in &bound {
            let line = match b {
                #[cfg(unix)]
                Bound::Unix { listener, .. } => listener
                    .local_addr()
                    .ok()
                    .and_then(|a| a.as_pathname().map(|p| format!("unix:{}", p.display())))
                    .unwrap_or_else(|| "unix:(unnamed)".into()),
                Bound::Tcp(l) => l.local_addr().map(|a| format!("tcp:{a}")).unwrap_or_else(|_| "tcp:?".into()),
            };
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }
    let shutdown_bound = Duration::from_millis(ids.list.iter().map(|i| i.timeout_ms).max().unwrap_or(30_000));
    let app = Arc::new(App { metrics: Metrics::new(ids.list.len()), ids, guard: Guard { allow_uid, allow_gid, tcp_secret_file } });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(64)
        .thread_name("tpauth-serve")
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| fail(&created, format!("cannot start the runtime: {e}")))?;
    let outcome = runtime.block_on(serve(app, bound, shutdown_bound));
    for s in &created {
        s.remove();
    }
    runtime.shutdown_timeout(Duration::from_millis(200));
    outcome.map_err(StartError::Failed)
}

/// Accept on every listener until told to stop (`stop.rs`), then finish the requests in flight
/// (at most `bound`).
async fn serve(app: Arc<App>, bound: Vec<Bound>, bound_wait: Duration) -> Result<(), String> {
    let mut signals = stop::Signals::watch()?;
    let graceful = Arc::new(GracefulShutdown::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut loops = Vec::new();
    for b in bound {
        let listener = match b {
            #[cfg(unix)]
            Bound::Unix { listener, .. } => {
                listener.set_nonblocking(true).map_err(|e| e.to_string())?;
                Listener::Unix(tokio::net::UnixListener::from_std(listener).map_err(|e| e.to_string())?)
            }
            Bound::Tcp(l) => {
                l.set_nonblocking(true).map_err(|e| e.to_string())?;
                Listener::Tcp(tokio::net::TcpListener::from_std(l).map_err(|e| e.to_string())?)
            }
        };
        loops.push(tokio::spawn(accept_loop(listener, app.clone(), graceful.clone(), stop_rx.clone(), slots.clone())));
    }
    notify::notify(&format!(
        "READY=1\nSTATUS=serving {} identit{}\nMAINPID={}",
        app.ids.list.len(),
        if app.ids.list.len() == 1 { "y" } else { "ies" },
        std::process::id()
    ));
    signals.recv().await;
    notify::notify("STOPPING=1");
    eprintln!("tpauth serve: stopping: finishing the requests in flight (at most {} ms)", bound_wait.as_millis());
    let _ = stop_tx.send(true);
    for l in loops {
        let _ = l.await;
    }
    match Arc::try_unwrap(graceful) {
        Ok(g) => {
            if tokio::time::timeout(bound_wait, g.shutdown()).await.is_err() {
                eprintln!("tpauth serve: requests still running after {} ms were cut off", bound_wait.as_millis());
            }
        }
        Err(_) => eprintln!("tpauth serve: internal: connections still referenced at shutdown"),
    }
    Ok(())
}

enum Listener {
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
    Tcp(tokio::net::TcpListener),
}

async fn accept_loop(
    listener: Listener,
    app: Arc<App>,
    graceful: Arc<GracefulShutdown>,
    mut stop: watch::Receiver<bool>,
    slots: Arc<Semaphore>,
) {
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).keep_alive(true);
    loop {
        // A free slot first (at MAX_CONNECTIONS, new connections wait in the backlog), but never
        // past a stop: a full service must still shut down.
        let slot = tokio::select! {
            _ = stop.changed() => return,
            s = slots.clone().acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => return,
            },
        };
        let accepted = tokio::select! {
            _ = stop.changed() => return,
            a = accept(&listener) => a,
        };
        let (io, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and the like: wait a little rather than spin.
                eprintln!("tpauth serve: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let app = app.clone();
        let service = service_fn(move |req| {
            let app = app.clone();
            async move { Ok::<_, std::convert::Infallible>(handle(app, peer, req).await) }
        });
        let conn = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
}

/// One accepted connection and who is on the other end.
async fn accept(listener: &Listener) -> std::io::Result<(TokioIo<Stream>, Peer)> {
    match listener {
        #[cfg(unix)]
        Listener::Unix(l) => {
            let (s, _) = l.accept().await?;
            let creds = s.peer_cred().ok().map(|c| (c.uid(), c.gid()));
            Ok((TokioIo::new(Stream::Unix(s)), Peer::Unix(creds)))
        }
        Listener::Tcp(l) => {
            let (s, _) = l.accept().await?;
            let _ = s.set_nodelay(true);
            Ok((TokioIo::new(Stream::Tcp(s)), Peer::Tcp))
        }
    }
}

/// A connection's stream: Unix or TCP.
enum Stream {
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

impl tokio::io::AsyncRead for Stream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            Stream::Unix(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            Stream::Tcp(s) => std::pin::Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for Stream {
    fn poll_write(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>, buf: &[u8]) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            Stream::Unix(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            Stream::Tcp(s) => std::pin::Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            Stream::Unix(s) => std::pin::Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tcp(s) => std::pin::Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            Stream::Unix(s) => std::pin::Pin::new(s).poll_flush(cx),
            Stream::Tcp(s) => std::pin::Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            Stream::Unix(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            Stream::Tcp(s) => std::pin::Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Every request: the guards, then the endpoints.
async fn handle(app: Arc<App>, peer: Peer, req: hyper::Request<hyper::body::Incoming>) -> answer::Answer {
    if let Err(r) = app.guard.check(peer, req.headers()) {
        return answer::forbidden(r.status, &r.rule);
    }
    if req.uri().scheme().is_some() || req.uri().authority().is_some() {
        return answer::invalid(400, "an absolute URL as the request target is refused (the service is not a forward proxy)");
    }
    routes::route(app, req).await
}
