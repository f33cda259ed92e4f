//! `sd_notify`: `READY=1` once listening, `STOPPING=1` at shutdown, to the datagram socket
//! `NOTIFY_SOCKET` names (a path, or `@name` in the abstract namespace). Nothing when unset, and
//! nothing on Windows (no systemd there).

#[cfg(unix)]
use std::os::unix::net::UnixDatagram;

#[cfg(not(unix))]
pub fn notify(_state: &str) {}

#[cfg(unix)]
pub fn notify(state: &str) {
    let Some(target) = std::env::var_os("NOTIFY_SOCKET").filter(|v| !v.is_empty()) else {
        return;
    };
    let Ok(sock) = UnixDatagram::unbound() else {
        return;
    };
    let target = target.to_string_lossy().into_owned();
    let sent = match target.strip_prefix('@') {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Some(name) => {
            #[cfg(target_os = "android")]
            use std::os::android::net::SocketAddrExt;
            #[cfg(target_os = "linux")]
            use std::os::linux::net::SocketAddrExt;
            std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).and_then(|a| sock.send_to_addr(state.as_bytes(), &a))
        }
        _ => sock.send_to(state.as_bytes(), &target),
    };
    if let Err(e) = sent {
        eprintln!("tpauth serve: NOTIFY_SOCKET {target}: cannot notify ({e})");
    }
}
