//! What stops the service gracefully (stop accepting, finish the requests in flight, exit 0).
//!
//! - Unix: `SIGTERM` (systemd, `docker stop`, `kill`) and `SIGINT` (Ctrl-C).
//! - Windows: Ctrl-C and Ctrl-Break (what NSSM and `GenerateConsoleCtrlEvent` send), closing the
//!   console window, and system shutdown. tokio keeps the process alive after a close or shutdown
//!   event until it exits by itself (Windows allows about 5 s for a close, then ends it). Log-off is
//!   deliberately not one of them: a process started by a service receives every user's log-off
//!   and must outlive it.

#[cfg(unix)]
pub struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    /// Start watching (inside the runtime, before the service says it is ready).
    pub fn watch() -> Result<Self, String> {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
        let int = signal(SignalKind::interrupt()).map_err(|e| format!("cannot watch SIGINT: {e}"))?;
        Ok(Signals { term, int })
    }

    /// The first stop request.
    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

#[cfg(windows)]
pub struct Signals {
    ctrl_c: tokio::signal::windows::CtrlC,
    ctrl_break: tokio::signal::windows::CtrlBreak,
    close: tokio::signal::windows::CtrlClose,
    shutdown: tokio::signal::windows::CtrlShutdown,
}

#[cfg(windows)]
impl Signals {
    /// Start watching (inside the runtime, before the service says it is ready).
    pub fn watch() -> Result<Self, String> {
        use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close, ctrl_shutdown};
        let e = |what: &str, e: std::io::Error| format!("cannot watch {what}: {e}");
        Ok(Signals {
            ctrl_c: ctrl_c().map_err(|x| e("Ctrl-C", x))?,
            ctrl_break: ctrl_break().map_err(|x| e("Ctrl-Break", x))?,
            close: ctrl_close().map_err(|x| e("the console's closing", x))?,
            shutdown: ctrl_shutdown().map_err(|x| e("system shutdown", x))?,
        })
    }

    /// The first stop request.
    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.ctrl_c.recv() => {}
            _ = self.ctrl_break.recv() => {}
            _ = self.close.recv() => {}
            _ = self.shutdown.recv() => {}
        }
    }
}
