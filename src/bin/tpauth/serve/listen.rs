//! Where the service listens: a Unix socket it creates (mode `--socket-mode`, its folder 0750 when
//! it creates it; a stale socket left by a killed service is replaced, anything else at the path
//! is refused), loopback TCP (any other address is refused), and sockets inherited from systemd
//! (`LISTEN_FDS`/`LISTEN_PID`, or `--listen fd:N`).
//!
//! On Windows only loopback TCP: Rust's standard library has no AF_UNIX sockets there, nor
//! systemd's inherited ones, so `unix:` and `fd:` are refused with the reason (a usage error).

#[cfg(unix)]
use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::fd::{FromRawFd, RawFd};
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
#[cfg(unix)]
use std::os::unix::net::{UnixListener, UnixStream};
#[cfg(unix)]
use std::path::{Path, PathBuf};

/// A `--listen` address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Addr {
    #[cfg(unix)]
    Unix(PathBuf),
    Tcp(SocketAddr),
    #[cfg(unix)]
    Fd(RawFd),
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            #[cfg(unix)]
            Addr::Unix(p) => write!(f, "unix:{}", p.display()),
            Addr::Tcp(a) => write!(f, "tcp:{a}"),
            #[cfg(unix)]
            Addr::Fd(n) => write!(f, "fd:{n}"),
        }
    }
}

/// What `--listen` takes on Windows: loopback TCP only, guarded by its bearer.
#[cfg(not(unix))]
pub const WINDOWS_LISTEN: &str = "on Windows tpauth serve listens on loopback TCP only: give --listen tcp:127.0.0.1:PORT (or \
                                  tcp:[::1]:PORT) and --tcp-secret-file FILE";

/// Parse `unix:/path`, `tcp:127.0.0.1:PORT`, `tcp:[::1]:PORT` or `fd:N`. A TCP address must be a
/// loopback IP literal: the service hands out credentials and must not be reachable from the
/// network (a host name could resolve elsewhere).
pub fn parse_addr(s: &str) -> Result<Addr, String> {
    #[cfg(not(unix))]
    {
        if s.starts_with("unix:") {
            return Err(format!("--listen {s}: Unix sockets are not supported on Windows; {WINDOWS_LISTEN}"));
        }
        if s.starts_with("fd:") {
            return Err(format!("--listen {s}: inherited sockets (fd:N, systemd) exist on Unix only; {WINDOWS_LISTEN}"));
        }
    }
    #[cfg(unix)]
    if let Some(path) = s.strip_prefix("unix:") {
        if path.is_empty() {
            return Err("--listen unix: needs a path, e.g. unix:/run/tpauth/tpauth.sock".into());
        }
        return Ok(Addr::Unix(PathBuf::from(path)));
    }
    if let Some(addr) = s.strip_prefix("tcp:") {
        let a: SocketAddr =
            addr.parse().map_err(|_| format!("--listen {s}: expected tcp:127.0.0.1:PORT or tcp:[::1]:PORT (an IP literal and a port)"))?;
        if !a.ip().is_loopback() {
            return Err(format!(
                "--listen {s}: refused: {} is not a loopback address; the token service listens on loopback only (127.0.0.1, ::1)",
                a.ip()
            ));
        }
        return Ok(Addr::Tcp(a));
    }
    #[cfg(unix)]
    if let Some(n) = s.strip_prefix("fd:") {
        let fd: RawFd = n.parse().map_err(|_| format!("--listen {s}: expected fd:N with N a file descriptor number"))?;
        if fd < 3 {
            return Err(format!("--listen {s}: file descriptors 0 to 2 are stdin, stdout and stderr"));
        }
        return Ok(Addr::Fd(fd));
    }
    if cfg!(unix) {
        Err(format!("--listen {s:?}: expected unix:/path, tcp:127.0.0.1:PORT, tcp:[::1]:PORT or fd:N"))
    } else {
        Err(format!("--listen {s:?}: expected tcp:127.0.0.1:PORT or tcp:[::1]:PORT"))
    }
}

/// The default socket: `$XDG_RUNTIME_DIR/tpauth.sock`, or `/run/tpauth/tpauth.sock` as root.
#[cfg(unix)]
pub fn default_socket() -> Result<PathBuf, String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return Ok(PathBuf::from("/run/tpauth/tpauth.sock"));
    }
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir).join("tpauth.sock")),
        None => Err("no default socket: XDG_RUNTIME_DIR is not set (and not running as root); give --listen unix:/path".into()),
    }
}

/// A listening socket, ready for the runtime.
pub enum Bound {
    #[cfg(unix)]
    Unix {
        listener: UnixListener,
        created: Option<SocketFile>,
    },
    Tcp(std::net::TcpListener),
}

#[cfg(unix)]
/// A socket file this service created: removed at shutdown if it is still the same file.
pub struct SocketFile {
    pub path: PathBuf,
    dev: u64,
    ino: u64,
}

#[cfg(unix)]
impl SocketFile {
    pub fn remove(&self) {
        if let Ok(m) = std::fs::symlink_metadata(&self.path) {
            if m.file_type().is_socket() && m.dev() == self.dev && m.ino() == self.ino {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

/// Windows creates no socket file: none can exist.
#[cfg(not(unix))]
pub enum SocketFile {}

#[cfg(not(unix))]
impl SocketFile {
    pub fn remove(&self) {
        match *self {}
    }
}

#[cfg(unix)]
fn kind_of(m: &std::fs::Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a socket"
    }
}

#[cfg(unix)]
/// Create the socket's folder (and any missing parent) 0750 when it does not exist.
fn make_folder(dir: &Path) -> Result<(), String> {
    let mut missing = Vec::new();
    let mut d = dir;
    while !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err() {
        missing.push(d.to_path_buf());
        match d.parent() {
            Some(p) => d = p,
            None => break,
        }
    }
    for d in missing.iter().rev() {
        match std::fs::DirBuilder::new().mode(0o750).create(d) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create the folder {}: {e}", d.display())),
        }
        // The umask may have taken bits away; 0750 exactly.
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o750))
            .map_err(|e| format!("cannot set the mode of {}: {e}", d.display()))?;
    }
    Ok(())
}

#[cfg(unix)]
/// Bind a Unix socket at `path` with `mode`. An existing socket is replaced only when nothing
/// answers on it (a service that was killed left it); any other file, a symlink or a folder at
/// the path is refused, never removed.
pub fn bind_unix(path: &Path, mode: u32) -> Result<Bound, String> {
    let shown = path.display();
    if let Some(dir) = path.parent() {
        make_folder(dir)?;
    }
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("unix:{shown}: cannot inspect the path: {e}")),
        Ok(m) if m.file_type().is_socket() => match UnixStream::connect(path) {
            Ok(_) => return Err(format!("unix:{shown}: another service answers on this socket; stop it first or choose another path")),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                std::fs::remove_file(path).map_err(|e| format!("unix:{shown}: cannot remove the stale socket: {e}"))?;
                eprintln!("tpauth serve: replaced the stale socket {shown} (no service answered on it)");
            }
            Err(e) => return Err(format!("unix:{shown}: an existing socket that cannot be probed ({e}); refusing to replace it")),
        },
        Ok(m) => {
            return Err(format!(
                "unix:{shown}: the path holds {}, not a socket; refusing to replace it (remove it, or choose another path)",
                kind_of(&m)
            ))
        }
    }
    // Bind owner-only (umask 0177), then widen to `mode`: the socket is never more open than asked,
    // not even between bind and chmod. Nothing else creates files while the service starts.
    // SAFETY: umask only swaps the process's file mode mask.
    let old = unsafe { libc::umask(0o177) };
    let bound = UnixListener::bind(path);
    // SAFETY: as above, restoring the previous mask.
    unsafe { libc::umask(old) };
    let listener = bound.map_err(|e| format!("unix:{shown}: cannot listen: {e}"))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| format!("unix:{shown}: cannot set its mode: {e}"))?;
    let m = std::fs::symlink_metadata(path).map_err(|e| format!("unix:{shown}: {e}"))?;
    Ok(Bound::Unix { listener, created: Some(SocketFile { path: path.to_path_buf(), dev: m.dev(), ino: m.ino() }) })
}

pub fn bind_tcp(addr: SocketAddr) -> Result<Bound, String> {
    std::net::TcpListener::bind(addr).map(Bound::Tcp).map_err(|e| format!("tcp:{addr}: cannot listen: {e}"))
}

#[cfg(unix)]
fn sockopt(fd: RawFd, name: libc::c_int) -> io::Result<libc::c_int> {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: v and len are valid for writes of the sizes given.
    let r = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, name, std::ptr::from_mut(&mut v).cast(), &mut len) };
    if r == 0 {
        Ok(v)
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(unix)]
/// The address family of a socket (`getsockname`: portable, unlike `SO_DOMAIN`).
fn family(fd: RawFd) -> io::Result<libc::c_int> {
    // SAFETY: sockaddr_storage is plain data; all zeroes is a valid value.
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: addr and len are valid for writes of the sizes given.
    let r = unsafe { libc::getsockname(fd, std::ptr::from_mut(&mut addr).cast(), &mut len) };
    if r == 0 {
        Ok(libc::c_int::from(addr.ss_family))
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(unix)]
/// Take over an inherited listening socket: Unix, or TCP on a loopback address.
pub fn adopt_fd(fd: RawFd) -> Result<Bound, String> {
    let listening = sockopt(fd, libc::SO_ACCEPTCONN).map_err(|e| format!("fd:{fd}: not a socket ({e})"))?;
    if listening != 1 {
        return Err(format!("fd:{fd}: the socket is not listening"));
    }
    let domain = family(fd).map_err(|e| format!("fd:{fd}: {e}"))?;
    // SAFETY: fd is an open, listening socket (checked above) that this process inherited to own.
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    match domain {
        libc::AF_UNIX => {
            // SAFETY: as above; the listener now owns and closes it.
            Ok(Bound::Unix { listener: unsafe { UnixListener::from_raw_fd(fd) }, created: None })
        }
        libc::AF_INET | libc::AF_INET6 => {
            // SAFETY: as above.
            let l = unsafe { std::net::TcpListener::from_raw_fd(fd) };
            let local = l.local_addr().map_err(|e| format!("fd:{fd}: {e}"))?;
            if !local.ip().is_loopback() {
                return Err(format!("fd:{fd}: refused: the socket listens on {local}, not a loopback address"));
            }
            Ok(Bound::Tcp(l))
        }
        other => Err(format!("fd:{fd}: unsupported socket family {other}")),
    }
}

#[cfg(unix)]
/// The sockets systemd passed (`LISTEN_PID` is this process, `LISTEN_FDS` of them from fd 3),
/// as `sd_listen_fds(1)` does: the variables are removed so that no child inherits them.
pub fn systemd_fds() -> Vec<RawFd> {
    let pid = std::env::var("LISTEN_PID").ok().and_then(|p| p.trim().parse::<u32>().ok());
    let count = std::env::var("LISTEN_FDS").ok().and_then(|n| n.trim().parse::<i32>().ok());
    for var in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
        std::env::remove_var(var);
    }
    match (pid, count) {
        (Some(pid), Some(n)) if pid == std::process::id() && n > 0 => (3..3 + n).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn addresses() {
        assert_eq!(parse_addr("unix:/run/x.sock").unwrap(), Addr::Unix("/run/x.sock".into()));
        assert_eq!(parse_addr("tcp:127.0.0.1:8200").unwrap().to_string(), "tcp:127.0.0.1:8200");
        assert_eq!(parse_addr("tcp:[::1]:0").unwrap().to_string(), "tcp:[::1]:0");
        assert_eq!(parse_addr("fd:3").unwrap(), Addr::Fd(3));
        for bad in ["tcp:0.0.0.0:80", "tcp:10.1.2.3:80", "tcp:localhost:80", "fd:1", "fd:x", "unix:", "/run/x.sock", "http://x"] {
            assert!(parse_addr(bad).is_err(), "{bad}");
        }
        assert!(parse_addr("tcp:0.0.0.0:80").unwrap_err().contains("not a loopback address"));
    }

    #[test]
    #[cfg(not(unix))]
    fn addresses() {
        assert_eq!(parse_addr("tcp:127.0.0.1:8200").unwrap().to_string(), "tcp:127.0.0.1:8200");
        assert_eq!(parse_addr("tcp:[::1]:0").unwrap().to_string(), "tcp:[::1]:0");
        assert!(parse_addr("unix:/run/x.sock").unwrap_err().contains("Unix sockets are not supported on Windows"));
        assert!(parse_addr("fd:3").unwrap_err().contains("Unix only"));
        for bad in ["tcp:0.0.0.0:80", "tcp:10.1.2.3:80", "tcp:localhost:80", "/run/x.sock", "http://x"] {
            assert!(parse_addr(bad).is_err(), "{bad}");
        }
    }
}
