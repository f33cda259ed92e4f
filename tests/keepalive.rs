//! A keep-alive connection that the server closes as the next request arrives (node closes idle
//! connections after 5 s, balancers after their idle timeout): the request goes out once more on
//! a new connection, for every request kind, and only then. A scripted server on loopback answers
//! the first request of a connection keep-alive and then closes it on the next request without a
//! byte of answer; what it saw is asserted, never the clock.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use tpauth::{Auth, Config, Status, Token};

/// What the server does with one request of a connection.
#[derive(Clone)]
enum Then {
    /// Answer with this status and JSON body, keeping the connection open.
    Answer(u16, &'static str),
    /// Close the connection without answering.
    Close,
}

/// One request the server read: the connection it came on (0, 1, ...), its request line, its body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    connection: usize,
    line: String,
    body: String,
}

struct Scripted {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    /// A server whose n-th connection follows `script[n]` request by request (a connection past
    /// the script, or a request past its list, is answered 200 `{}`).
    fn start(script: Vec<Vec<Then>>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { return };
                let actions = script.get(n).cloned().unwrap_or_default();
                let log = log.clone();
                std::thread::spawn(move || serve(n, stream, &actions, &log));
            }
        });
        Scripted { port, seen }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(connection: usize, stream: TcpStream, actions: &[Then], log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    for i in 0.. {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        log.lock().unwrap().push(Seen { connection, line: line.trim().to_owned(), body: String::from_utf8_lossy(&body).into_owned() });
        match actions.get(i).cloned().unwrap_or(Then::Answer(200, "{}")) {
            Then::Close => return,
            Then::Answer(status, json) => {
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: keep-alive\r\n\r\n",
                    json.len()
                );
                writer.write_all(head.as_bytes()).unwrap();
                writer.write_all(json.as_bytes()).unwrap();
            }
        }
    }
}

const TOKEN: &str = r#"{"access_token":"at-1","token_type":"BearerToken","expires_in":"3600","refresh_token":"rt-1"}"#;
const TOKEN_PATH: &str = "/v1/oauth/oauth-business-users-for-applications/accesstoken";

/// A client of `server`, with the token endpoints' own retries off: any second sending seen is
/// the keep-alive resend.
fn client(server: &Scripted) -> Auth {
    let mut cfg = Config::new("key", "secret").unwrap();
    cfg.set("api_base_url", &server.url()).unwrap();
    cfg.set("allow_insecure_http", "true").unwrap();
    cfg.set("max_retries", "0").unwrap();
    Auth::new(&cfg).unwrap()
}

fn with_token(auth: &Auth) {
    auth.set_token(&Token::from_fields("api-token", None, None, 3600, -1, None).unwrap()).unwrap();
}

#[test]
fn an_api_call_on_a_closing_connection_is_sent_again_on_a_new_one() {
    let server = Scripted::start(vec![vec![Then::Answer(200, r#"{"n":1}"#), Then::Close]]);
    let auth = client(&server);
    with_token(&auth);
    assert_eq!(auth.request("GET", "/v1/first", None, None).unwrap().status(), 200);
    let second = auth.request("POST", "/v1/second", Some(b"payload"), Some("text/plain")).unwrap();
    assert_eq!(second.status(), 200);
    let seen = server.seen();
    let lines: Vec<(usize, &str, &str)> = seen.iter().map(|s| (s.connection, s.line.as_str(), s.body.as_str())).collect();
    assert_eq!(
        lines,
        [(0, "GET /v1/first HTTP/1.1", ""), (0, "POST /v1/second HTTP/1.1", "payload"), (1, "POST /v1/second HTTP/1.1", "payload")]
    );
}

#[test]
fn a_grant_on_a_closing_connection_is_sent_again_without_max_retries() {
    let server = Scripted::start(vec![vec![Then::Answer(200, TOKEN), Then::Close], vec![Then::Answer(200, TOKEN)]]);
    let auth = client(&server);
    auth.password_grant("user", "pw-1").unwrap();
    auth.client_credentials_grant().unwrap();
    let seen = server.seen();
    assert_eq!(seen.iter().map(|s| s.connection).collect::<Vec<_>>(), [0, 0, 1]);
    assert!(seen.iter().all(|s| s.line == format!("POST {TOKEN_PATH} HTTP/1.1")));
    assert_eq!(seen[1].body, seen[2].body, "the same request, sent again");
}

#[test]
fn a_code_exchange_on_a_closing_connection_is_sent_again() {
    let server = Scripted::start(vec![vec![Then::Answer(200, TOKEN), Then::Close], vec![Then::Answer(200, TOKEN)]]);
    let auth = client(&server);
    auth.password_grant("user", "pw-1").unwrap();
    let t = auth.authorization_code_grant("the-code", "https://app.example/cb").unwrap();
    assert_eq!(t.access_token(), "at-1");
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen[1].body.contains("grant_type=authorization_code") && seen[1].body == seen[2].body);
    assert_eq!((seen[1].connection, seen[2].connection), (0, 1));
}

#[test]
fn a_code_the_first_sending_may_have_used_is_reported_so() {
    // The server used the code on the first sending, then closed without answering: the resend
    // is refused invalid_grant, and the caller is told why and what to do.
    let refused = r#"{"error":"invalid_grant","error_description":"code already used"}"#;
    let server = Scripted::start(vec![vec![Then::Answer(200, TOKEN), Then::Close], vec![Then::Answer(400, refused)]]);
    let auth = client(&server);
    auth.password_grant("user", "pw-1").unwrap();
    let e = auth.authorization_code_grant("the-code", "https://app.example/cb").unwrap_err();
    assert_eq!((e.status(), e.oauth_code()), (Status::InvalidGrant, Some("invalid_grant")));
    assert!(e.message().contains("sent twice") && e.message().contains("start the authorization again"), "{e}");
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn a_refresh_and_a_revoke_on_a_closing_connection_are_sent_again() {
    // The resend's new connection is used for it alone; the next request opens the next one.
    let server = Scripted::start(vec![
        vec![Then::Answer(200, TOKEN), Then::Close],
        vec![Then::Answer(200, TOKEN)],
        vec![Then::Answer(200, "{}"), Then::Close],
        vec![Then::Answer(200, "")],
    ]);
    let auth = client(&server);
    auth.password_grant("user", "pw-1").unwrap();
    auth.refresh(None).unwrap();
    auth.request("GET", "/v1/between", None, None).unwrap();
    auth.revoke(None).unwrap();
    let seen = server.seen();
    let what = |s: &Seen| {
        if s.line.contains("/revoke") {
            "revoke"
        } else if s.body.contains("refresh_token") {
            "refresh"
        } else {
            "other"
        }
    };
    let kinds: Vec<(usize, &str)> = seen.iter().map(|s| (s.connection, what(s))).collect();
    assert_eq!(kinds, [(0, "other"), (0, "refresh"), (1, "refresh"), (2, "other"), (2, "revoke"), (3, "revoke")]);
}

#[test]
fn a_failure_on_a_new_connection_is_not_sent_again() {
    // The first request of a connection met no stale connection: the error is the caller's.
    let server = Scripted::start(vec![vec![Then::Close]]);
    let auth = client(&server);
    with_token(&auth);
    let e = auth.request("POST", "/v1/once", Some(b"x"), None).unwrap_err();
    assert_eq!(e.status(), Status::Network, "{e}");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn the_resend_is_once_only() {
    // Closed again on the new connection: no third sending.
    let server = Scripted::start(vec![vec![Then::Answer(200, "{}"), Then::Close], vec![Then::Close]]);
    let auth = client(&server);
    with_token(&auth);
    auth.request("GET", "/v1/a", None, None).unwrap();
    assert_eq!(auth.request("GET", "/v1/b", None, None).unwrap_err().status(), Status::Network);
    assert_eq!(server.seen().len(), 3);
}
