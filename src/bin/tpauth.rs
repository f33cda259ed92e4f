//! `tpauth`: Trustpilot OAuth2 from the command line, a local mock of the API, and a demo of every
//! flow against it.
//!
//! Errors print `tpauth: TP_ERR_…: message` on stderr and exit 1; usage mistakes exit 2.

#[path = "tpauth/args.rs"]
mod args;
#[path = "tpauth/demo.rs"]
mod demo;
#[path = "tpauth/serve/mod.rs"]
mod serve;
#[path = "tpauth/token.rs"]
mod token;

use args::{opt, switch, Flag, Parsed, UsageError};
use std::io::Write;
use std::process::ExitCode;
use tpauth::{Auth, Config, Error, ResponseType};

const USAGE: &str = "\
usage: tpauth <command> [options]

Trustpilot OAuth2 business API from the command line. Commands other than `mock` and `demo`
read the configuration from the environment: TRUSTPILOT_API_KEY, TRUSTPILOT_API_SECRET,
TRUSTPILOT_USERNAME, TRUSTPILOT_PASSWORD, TRUSTPILOT_API_HOST and TRUSTPILOT_<OPTION>
(e.g. TRUSTPILOT_TOKEN_CACHE, TRUSTPILOT_AUTHORIZE_URL, TRUSTPILOT_ALLOW_INSECURE_HTTP).

commands:
  token          print the managed token (JSON, or the access token alone with --raw), from
                 the local token service when one answers
  serve          run the local token service (docs/serve.md)
  authorize-url  print the browser authorization URL
  exchange       exchange an authorization code for a token
  refresh        refresh a token
  revoke         revoke a refresh token
  mock           run the local mock of Trustpilot's API
  demo           run every flow end to end against an in-process mock

`tpauth <command> --help` describes a command. Errors: `tpauth: TP_ERR_…: message`, exit 1;
usage errors exit 2.";

struct Command {
    name: &'static str,
    help: &'static str,
    flags: &'static [Flag],
    run: fn(&Parsed) -> Result<(), Failure>,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "token",
        help: "usage: tpauth token [--raw] [--identity NAME] [--listen ADDR]\n\n\
               Print the managed token. When a token service (tpauth serve) answers at ADDR (unix:/path or\n\
               tcp:127.0.0.1:PORT; default: the default socket, $XDG_RUNTIME_DIR/tpauth.sock or, as root,\n\
               /run/tpauth/tpauth.sock), its token for NAME (default: its default identity) as the service's\n\
               JSON; over TCP the bearer is read from TRUSTPILOT_TOKEN_SOURCE_SECRET_FILE. Otherwise the\n\
               library itself, from the TRUSTPILOT_* environment: the token cache's token when\n\
               TRUSTPILOT_TOKEN_CACHE holds a valid one, else a refresh or the configured grant (password\n\
               when TRUSTPILOT_USERNAME is set, else client credentials), printed as Trustpilot's token\n\
               response. With --raw only the access token (for scripts:\n\
               curl -H \"Authorization: Bearer $(tpauth token --raw)\").",
        flags: &[switch("raw"), opt("identity"), opt("listen")],
        run: cmd_token,
    },
    Command { name: "serve", help: serve::HELP, flags: serve::FLAGS, run: cmd_serve },
    Command {
        name: "authorize-url",
        help: "usage: tpauth authorize-url --redirect-uri URI [--response-type code|token] [--state STATE]\n\n\
               Print the authorization page URL to open in a browser. Without --state a random one is\n\
               generated and printed on stderr: check it on the redirect. --response-type defaults to code.",
        flags: &[opt("redirect-uri"), opt("response-type"), opt("state")],
        run: cmd_authorize_url,
    },
    Command {
        name: "exchange",
        help: "usage: tpauth exchange --code CODE --redirect-uri URI\n\n\
               Exchange an authorization code (from the redirect) for a token and print it as JSON.\n\
               URI must be the redirect URI the authorization URL was made with.",
        flags: &[opt("code"), opt("redirect-uri")],
        run: cmd_exchange,
    },
    Command {
        name: "refresh",
        help: "usage: tpauth refresh [--refresh-token TOKEN]\n\n\
               Refresh TOKEN (default: the current token's, e.g. from TRUSTPILOT_TOKEN_CACHE) and print\n\
               the new token as JSON.",
        flags: &[opt("refresh-token")],
        run: cmd_refresh,
    },
    Command {
        name: "revoke",
        help: "usage: tpauth revoke [--refresh-token TOKEN]\n\n\
               Revoke TOKEN (default: the current token's) and every access token issued with it.",
        flags: &[opt("refresh-token")],
        run: cmd_revoke,
    },
    Command {
        name: "demo",
        help: "usage: tpauth demo\n\n\
               Start the mock in-process and run every flow against it, one line per step: password\n\
               grant, API call, 401 and renewal, client credentials, authorization code, implicit,\n\
               refresh on both endpoints, revoke, managed token reuse, 429 with Retry-After.\n\
               Exits non-zero when a step fails. Tokens are shown as their first 4 characters only.",
        flags: &[],
        run: cmd_demo,
    },
];

/// Why a command failed.
enum Failure {
    Usage(String),
    Tp(Error),
    Other(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Tp(e)
    }
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Failure::Usage(e.0)
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some(first) = argv.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match first.as_str() {
        "-h" | "--help" | "help" => return print_text(USAGE),
        "-V" | "--version" | "version" => return print_text(&format!("tpauth {}", tpauth::VERSION)),
        // The mock server's command line is the mock crate's own (one parser, one usage text).
        "mock" => return ExitCode::from(u8::try_from(tpauth_mock::cli::run(argv[1..].iter().cloned())).unwrap_or(1)),
        _ => {}
    }
    let Some(cmd) = COMMANDS.iter().find(|c| c.name == first) else {
        eprintln!("tpauth: unknown command {first:?}\n\n{USAGE}");
        return ExitCode::from(2);
    };
    let parsed = match args::parse(&argv[1..], cmd.flags) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("tpauth {}: {}\n\n{}", cmd.name, e.0, cmd.help);
            return ExitCode::from(2);
        }
    };
    if parsed.help {
        return print_text(cmd.help);
    }
    match (cmd.run)(&parsed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("tpauth {}: {m}\n\n{}", cmd.name, cmd.help);
            ExitCode::from(2)
        }
        Err(Failure::Tp(e)) => {
            eprintln!("tpauth: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Other(m)) => {
            eprintln!("tpauth: {m}");
            ExitCode::from(1)
        }
    }
}

fn auth_from_env() -> Result<Auth, Error> {
    Auth::new(&Config::from_env()?)
}

/// Help and version text. A reader that stops early (`tpauth --help | head -1`, `grep -q`) is no
/// error: a closed pipe ends the output quietly, where println! would panic.
fn print_text(s: &str) -> ExitCode {
    match write_line(s) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tpauth: writing to stdout: {e}");
            ExitCode::from(1)
        }
    }
}

fn print_line(s: &str) -> Result<(), Failure> {
    write_line(s).map_err(|e| Failure::Other(format!("writing to stdout: {e}")))
}

/// One line to stdout, flushed (the one writer behind print_text and print_line).
fn write_line(s: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{s}").and_then(|()| out.flush())
}

fn cmd_token(p: &Parsed) -> Result<(), Failure> {
    if let Some(answer) = token::from_service(p)? {
        return print_line(if p.has("raw") { answer.token.access_token() } else { &answer.json });
    }
    if let Some(id) = p.get("identity").filter(|i| *i != "default") {
        return Err(Failure::Other(format!(
            "--identity {id}: no token service answers ({}); without one, only the TRUSTPILOT_* environment's identity is known",
            token::shown_address(p)
        )));
    }
    let token = auth_from_env()?.get_token()?;
    print_line(if p.has("raw") { token.access_token() } else { token.raw_json() })
}

fn cmd_serve(p: &Parsed) -> Result<(), Failure> {
    serve::run(p).map_err(|e| match e {
        serve::StartError::Usage(m) => Failure::Usage(m),
        serve::StartError::Failed(m) => Failure::Other(format!("serve: {m}")),
    })
}

fn cmd_authorize_url(p: &Parsed) -> Result<(), Failure> {
    let redirect_uri = p.require("redirect-uri")?;
    let response_type = match p.get("response-type") {
        None => ResponseType::Code,
        Some(s) => ResponseType::parse(s).map_err(|_| Failure::Usage(format!("--response-type must be code or token, not {s:?}")))?,
    };
    let auth = auth_from_env()?;
    let generated = tpauth::new_state();
    let state = p.get("state").unwrap_or(&generated);
    let url = auth.authorize_url(redirect_uri, response_type, Some(state))?;
    if p.get("state").is_none() {
        eprintln!("state: {generated}");
    }
    print_line(&url)
}

fn cmd_exchange(p: &Parsed) -> Result<(), Failure> {
    let code = p.require("code")?;
    let redirect_uri = p.require("redirect-uri")?;
    let token = auth_from_env()?.authorization_code_grant(code, redirect_uri)?;
    print_line(token.raw_json())
}

/// Without `--refresh-token`, the current token is the token cache's (TRUSTPILOT_TOKEN_CACHE):
/// load it. Without a cache there is none, and the command fails with TP_ERR_NO_TOKEN.
fn load_current(auth: &Auth, p: &Parsed) {
    if p.get("refresh-token").is_none() && std::env::var_os("TRUSTPILOT_TOKEN_CACHE").is_some_and(|v| !v.is_empty()) {
        let _ = auth.get_token();
    }
}

fn cmd_refresh(p: &Parsed) -> Result<(), Failure> {
    let auth = auth_from_env()?;
    load_current(&auth, p);
    let token = auth.refresh(p.get("refresh-token"))?;
    print_line(token.raw_json())
}

fn cmd_revoke(p: &Parsed) -> Result<(), Failure> {
    let auth = auth_from_env()?;
    load_current(&auth, p);
    auth.revoke(p.get("refresh-token"))?;
    eprintln!("tpauth: revoked");
    Ok(())
}

fn cmd_demo(_: &Parsed) -> Result<(), Failure> {
    let failed = demo::run().map_err(|e| Failure::Other(format!("demo: {e}")))?;
    if failed > 0 {
        return Err(Failure::Other(format!("demo: {failed} step(s) failed")));
    }
    Ok(())
}
