//! `tpauth token` asks the local token service first: when one answers at `--listen` (default:
//! the default socket), its token is printed; otherwise the library itself serves, as it did
//! before there was a service.

use crate::args::Parsed;
use crate::Failure;
use std::path::PathBuf;
use std::time::Duration;
use tpauth::service::{ServiceClient, ServiceToken};
use tpauth::TokenSource;

/// The default socket of `tpauth serve`: `$XDG_RUNTIME_DIR/tpauth.sock`, or
/// `/run/tpauth/tpauth.sock` as root.
fn default_socket() -> Option<PathBuf> {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            return Some(PathBuf::from("/run/tpauth/tpauth.sock"));
        }
        std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()).map(|d| PathBuf::from(d).join("tpauth.sock"))
    }
    #[cfg(not(unix))]
    None
}

/// The service's address: `--listen unix:/path | tcp:IP:PORT`, else the default socket.
fn address(p: &Parsed) -> Result<Option<TokenSource>, Failure> {
    match p.get("listen") {
        Some(a) => {
            let spec = format!("serve:{a}");
            match TokenSource::parse(&spec) {
                Ok(s) if s.is_service() => Ok(Some(s)),
                _ => Err(Failure::Usage(format!("--listen {a:?}: expected unix:/path, tcp:127.0.0.1:PORT or tcp:[::1]:PORT"))),
            }
        }
        None => Ok(default_socket().map(|p| TokenSource::Unix(p.to_string_lossy().into_owned()))),
    }
}

/// For messages.
pub fn shown_address(p: &Parsed) -> String {
    match address(p) {
        Ok(Some(s)) => s.to_string().trim_start_matches("serve:").to_owned(),
        _ => "no address".into(),
    }
}

/// Whether something accepts connections at `source` (then it is asked, and its answer is final).
fn answers(source: &TokenSource) -> bool {
    match source {
        #[cfg(unix)]
        TokenSource::Unix(path) => std::os::unix::net::UnixStream::connect(path).is_ok(),
        TokenSource::Tcp(addr) => std::net::TcpStream::connect_timeout(addr, Duration::from_secs(2)).is_ok(),
        _ => false,
    }
}

/// The service's token, or `None` when no service answers.
pub fn from_service(p: &Parsed) -> Result<Option<ServiceToken>, Failure> {
    let Some(source) = address(p)? else {
        return Ok(None);
    };
    if !answers(&source) {
        return Ok(None);
    }
    let secret_file = std::env::var("TRUSTPILOT_TOKEN_SOURCE_SECRET_FILE").ok().filter(|v| !v.is_empty());
    let client = ServiceClient::new(&source, secret_file.as_deref(), Duration::from_secs(60), Duration::from_secs(10))?;
    Ok(Some(client.get_token(p.get("identity"))?))
}
