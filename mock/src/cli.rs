//! `tpauth mock` / `tpauth-mock`: run the mock until killed, printing its port on the first line
//! of stdout.

use crate::MockServer;
use std::io::{Read, Write};

/// The usage text of the `mock` command.
pub const USAGE: &str = "\
usage: tpauth mock [--port N] [--host H] [--exit-on-stdin-eof] [--config JSON] [--verbose]

Start the mock Trustpilot server (docs/mock.md) and print its port alone on the first line of
stdout. It serves until killed (SIGTERM/SIGINT), or until stdin reaches EOF with
--exit-on-stdin-eof.

  --port N              port to listen on (default 0: a free port)
  --host H              address to listen on (default 127.0.0.1)
  --exit-on-stdin-eof   exit when stdin is closed (for test harnesses)
  --config JSON         initial config, as POST /_mock/config takes it (e.g. '{\"expires_in\":1}')
  --verbose, -v         log one line per request to stderr
";

/// Run the `mock` command with its arguments (after `mock`); returns the exit code
/// (0 after stdin EOF, 2 on a usage error, 1 when the server cannot start). Blocks while serving.
///
/// ```no_run
/// // What `tpauth mock --port 0 --exit-on-stdin-eof` does.
/// let code = tpauth_mock::cli::run(["--port", "0", "--exit-on-stdin-eof"].map(String::from));
/// std::process::exit(code);
/// ```
pub fn run<I: IntoIterator<Item = String>>(args: I) -> i32 {
    let mut port: u16 = 0;
    let mut host = "127.0.0.1".to_owned();
    let mut exit_on_eof = false;
    let mut verbose = false;
    let mut config: Option<serde_json::Value> = None;
    let mut args = args.into_iter();
    let usage_error = |msg: &str| {
        eprintln!("tpauth mock: {msg}\n\n{USAGE}");
        2
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return 0;
            }
            "--port" | "-p" => {
                match value("--port").and_then(|v| v.parse::<u16>().map_err(|_| format!("--port: not a port number: {v:?}"))) {
                    Ok(p) => port = p,
                    Err(e) => return usage_error(&e),
                }
            }
            "--host" => match value("--host") {
                Ok(h) => host = h,
                Err(e) => return usage_error(&e),
            },
            "--config" => match value("--config").and_then(|v| serde_json::from_str(&v).map_err(|e| format!("--config: not JSON: {e}"))) {
                Ok(c) => config = Some(c),
                Err(e) => return usage_error(&e),
            },
            "--exit-on-stdin-eof" if inline.is_none() => exit_on_eof = true,
            "--verbose" | "-v" if inline.is_none() => verbose = true,
            _ => return usage_error(&format!("unknown argument {arg:?}")),
        }
    }
    let mock = match MockServer::start_on(&host, port) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("tpauth: TP_ERR_NETWORK: cannot listen on {host}:{port}: {e}");
            return 1;
        }
    };
    if let Some(c) = config {
        if let Err(e) = mock.configure(c) {
            return usage_error(&format!("--config: {e}"));
        }
    }
    mock.set_verbose(verbose);
    {
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{}", mock.port()).and_then(|()| out.flush()).is_err() {
            return 1;
        }
    }
    eprintln!("tpauth mock: serving {} (authorize_url {}); control endpoints under /_mock/", mock.url(), mock.authorize_url());
    if exit_on_eof {
        let mut sink = [0u8; 4096];
        let mut stdin = std::io::stdin().lock();
        loop {
            match stdin.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        mock.stop();
        return 0;
    }
    loop {
        std::thread::park();
    }
}
