//! `tpauth`: Trustpilot OAuth2 from the command line, a local mock of the API, and a demo of every
//! flow against it.
//!
//! Errors print `tpauth: TP_ERR_…: message` on stderr and exit 1; usage mistakes exit 2.

#[path = "tpauth/args.rs"]
mod args;
#[path = "tpauth/demo.rs"]
mod demo;

use args::{opt, switch, Flag, Parsed, UsageError};
use std::io::{Read, Write};
use std::process::ExitCode;
use tpauth::{Auth, Config, Error, ResponseType};

const USAGE: &str = "\
usage: tpauth <command> [options]

Trustpilot OAuth2 business API from the command line. Commands other than `mock` and `demo`
read the configuration from the environment: TRUSTPILOT_API_KEY, TRUSTPILOT_API_SECRET,
TRUSTPILOT_USERNAME, TRUSTPILOT_PASSWORD, TRUSTPILOT_API_HOST and TRUSTPILOT_<OPTION>
(e.g. TRUSTPILOT_TOKEN_CACHE, TRUSTPILOT_AUTHORIZE_URL, TRUSTPILOT_ALLOW_INSECURE_HTTP).

commands:
  token          print the managed token (JSON, or the access token alone with --raw)
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
        help: "usage: tpauth token [--raw]\n\n\
               Print the managed token: the token cache's when TRUSTPILOT_TOKEN_CACHE holds a valid one,\n\
               else a refresh or the configured grant (password when TRUSTPILOT_USERNAME is set, else\n\
               client credentials). Prints Trustpilot's token response as JSON, or with --raw only the\n\
               access token (for scripts: curl -H \"Authorization: Bearer $(tpauth token --raw)\").",
        flags: &[switch("raw")],
        run: cmd_token,
    },
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
        name: "mock",
        help: "usage: tpauth mock [--port N] [--host H] [--exit-on-stdin-eof] [--verbose]\n\n\
               Serve a strict in-memory mock of Trustpilot's OAuth2 business API (docs/mock.md) on\n\
               H (default 127.0.0.1) port N (default 0: a free one). Prints the port alone on the first\n\
               line of stdout, then serves until killed, or until stdin reaches EOF with\n\
               --exit-on-stdin-eof. --verbose logs one line per request on stderr.\n\
               Use api_base_url=http://127.0.0.1:PORT, authorize_url=http://127.0.0.1:PORT/authenticate,\n\
               allow_insecure_http=true, key mock-api-key, secret mock-api-secret,\n\
               user user@example.com / mock-password.",
        flags: &[opt("port"), opt("host"), switch("exit-on-stdin-eof"), switch("verbose")],
        run: cmd_mock,
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
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        "-V" | "--version" | "version" => {
            println!("tpauth {}", tpauth::VERSION);
            return ExitCode::SUCCESS;
        }
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
        println!("{}", cmd.help);
        return ExitCode::SUCCESS;
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

fn print_line(s: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{s}").and_then(|()| out.flush()).map_err(|e| Failure::Other(format!("writing to stdout: {e}")))
}

fn cmd_token(p: &Parsed) -> Result<(), Failure> {
    let token = auth_from_env()?.get_token()?;
    print_line(if p.has("raw") { token.access_token() } else { token.raw_json() })
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

fn cmd_mock(p: &Parsed) -> Result<(), Failure> {
    let port = match p.get("port") {
        None => 0,
        Some(s) => s.parse::<u16>().map_err(|_| Failure::Usage(format!("--port must be a number from 0 to 65535, not {s:?}")))?,
    };
    let host = p.get("host").unwrap_or("127.0.0.1");
    let mock =
        tpauth_mock::MockServer::start_on(host, port).map_err(|e| Failure::Other(format!("mock: cannot listen on {host}:{port}: {e}")))?;
    mock.set_verbose(p.has("verbose"));
    print_line(&mock.port().to_string())?;
    eprintln!(
        "tpauth mock: serving on {} (api_base_url), authorize_url {}, key mock-api-key, secret mock-api-secret, user user@example.com / mock-password{}",
        mock.url(),
        mock.authorize_url(),
        if p.has("exit-on-stdin-eof") { "; exits at EOF on stdin" } else { "; stop with Ctrl-C" }
    );
    if p.has("exit-on-stdin-eof") {
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
        drop(mock);
        return Ok(());
    }
    loop {
        std::thread::park();
    }
}

fn cmd_demo(_: &Parsed) -> Result<(), Failure> {
    let failed = demo::run().map_err(|e| Failure::Other(format!("demo: {e}")))?;
    if failed > 0 {
        return Err(Failure::Other(format!("demo: {failed} step(s) failed")));
    }
    Ok(())
}
