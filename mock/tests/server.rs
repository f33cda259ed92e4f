//! The mock over real TCP, with a raw `TcpStream` client: every endpoint, every error the spec
//! (docs/mock.md) lists, every fault, keep-alive, rotation, revoke and `expires_in_json`.

use base64::Engine as _;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tpauth_mock::{Fault, FaultKind, FaultTarget, MockServer, REFRESH_PATH, REVOKE_PATH, TOKEN_PATH};

const FORM: &str = "application/x-www-form-urlencoded";

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn oauth_error(&self) -> String {
        self.json()["error"].as_str().unwrap_or("").to_owned()
    }
}

struct Conn {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Conn {
    fn open(mock: &MockServer) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", mock.port())).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Conn { w: s.try_clone().unwrap(), r: BufReader::new(s) }
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).unwrap();
    }

    fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.write_raw(&bytes);
        self.read_response().expect("an answer")
    }

    /// Status line + headers + Content-Length body; Err on a socket error or EOF.
    fn read_response(&mut self) -> std::io::Result<Resp> {
        let mut line = String::new();
        if self.r.read_line(&mut line)? == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let mut l = String::new();
            self.r.read_line(&mut l)?;
            let l = l.trim_end();
            if l.is_empty() {
                break;
            }
            let (n, v) = l.split_once(':').unwrap();
            headers.push((n.to_owned(), v.trim().to_owned()));
        }
        let len: usize = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-length")).map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0; len];
        self.r.read_exact(&mut body)?;
        Ok(Resp { status, headers, body })
    }

    /// True when the server closed the connection (EOF).
    fn closed(&mut self) -> bool {
        let mut buf = [0u8; 1];
        matches!(self.r.read(&mut buf), Ok(0))
    }
}

fn basic(key: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}")))
}

fn default_basic() -> String {
    basic("mock-api-key", "mock-api-secret")
}

fn post_form(mock: &MockServer, path: &str, body: &str) -> Resp {
    let auth = default_basic();
    Conn::open(mock).send("POST", path, &[("Authorization", &auth), ("Content-Type", FORM)], body.as_bytes())
}

fn password_grant(mock: &MockServer) -> Value {
    let r = post_form(mock, TOKEN_PATH, "grant_type=password&username=user%40example.com&password=mock-password");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn api_get(mock: &MockServer, path: &str, token: &str) -> Resp {
    let bearer = format!("Bearer {token}");
    Conn::open(mock).send("GET", path, &[("apikey", "mock-api-key"), ("Authorization", &bearer)], b"")
}

fn control(mock: &MockServer, method: &str, path: &str, body: &Value) -> Resp {
    let body = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
    Conn::open(mock).send(method, path, &[("Content-Type", "application/json")], &body)
}

#[test]
fn password_grant_answers_like_trustpilot() {
    let mock = MockServer::start().unwrap();
    let t = password_grant(&mock);
    for field in [
        "refresh_token_expires_in",
        "refresh_token_status",
        "api_product_list",
        "organization_name",
        "developer.email",
        "token_type",
        "issued_at",
        "client_id",
        "access_token",
        "refresh_token",
        "application_name",
        "scope",
        "refresh_token_issued_at",
        "expires_in",
        "refresh_count",
        "status",
    ] {
        assert!(t[field].is_string(), "{field} must be a string in {t}");
    }
    assert_eq!(t["expires_in"], "359999");
    assert_eq!(t["token_type"], "BearerToken");
    assert_eq!(t["client_id"], "mock-api-key");
    let s = mock.stats();
    assert_eq!((s.token_requests, s.grants.password, s.requests, s.connections), (1, 1, 1, 1));
    // The access token works on the API.
    let at = t["access_token"].as_str().unwrap();
    let r = api_get(&mock, "/v1/private/business-units/123/reviews?page=2", at);
    assert_eq!(r.status, 200, "{}", r.text());
    let echo = r.json();
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["path"], "/v1/private/business-units/123/reviews");
    assert_eq!(echo["query"], "page=2");
    assert_eq!(echo["business_user_id"], Value::Null);
    assert_eq!(echo["content_type"], Value::Null);
    assert_eq!(echo["body"], "");
}

#[test]
fn client_authentication_in_its_three_forms() {
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"api_key": "k:ey", "api_secret": "s&e=c+r%t :é"})).unwrap();
    let body = b"grant_type=client_credentials";
    let raw = basic("k:ey", "s&e=c+r%t :é");
    // A key with ':' cannot be sent raw; the form-encoded Basic and the body form work.
    let form = basic("k%3Aey", "s%26e%3Dc%2Br%25t+%3A%C3%A9");
    let r = Conn::open(&mock).send("POST", TOKEN_PATH, &[("Authorization", &form), ("Content-Type", FORM)], body);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = Conn::open(&mock).send("POST", TOKEN_PATH, &[("Authorization", &raw), ("Content-Type", FORM)], body);
    assert_eq!(r.status, 401);
    let post = b"grant_type=client_credentials&client_id=k%3Aey&client_secret=s%26e%3Dc%2Br%25t%20%3A%C3%A9";
    let r = Conn::open(&mock).send("POST", TOKEN_PATH, &[("Content-Type", FORM)], post);
    assert_eq!(r.status, 200, "{}", r.text());

    mock.configure(json!({"api_key": "key", "api_secret": "s&e=c+r%t :é"})).unwrap();
    let raw = basic("key", "s&e=c+r%t :é");
    let r = Conn::open(&mock).send("POST", TOKEN_PATH, &[("Authorization", &raw), ("Content-Type", FORM)], body);
    assert_eq!(r.status, 200, "{}", r.text());
    // Wrong secret, missing authentication, a Bearer instead of Basic: 401 invalid_client.
    for headers in [
        vec![("Authorization", basic("key", "wrong")), ("Content-Type", FORM.to_owned())],
        vec![("Content-Type", FORM.to_owned())],
        vec![("Authorization", "Bearer abc".to_owned()), ("Content-Type", FORM.to_owned())],
    ] {
        let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = Conn::open(&mock).send("POST", TOKEN_PATH, &h, body);
        assert_eq!(r.status, 401, "{headers:?}");
        assert_eq!(r.oauth_error(), "invalid_client");
        assert!(r.json()["error_description"].is_string());
    }
}

#[test]
fn token_endpoint_errors() {
    let mock = MockServer::start().unwrap();
    let auth = default_basic();
    let ok_body = b"grant_type=password&username=user%40example.com&password=mock-password";
    for ct in ["application/json", "text/plain"] {
        let r = Conn::open(&mock).send("POST", TOKEN_PATH, &[("Authorization", &auth), ("Content-Type", ct)], ok_body);
        assert_eq!((r.status, r.oauth_error()), (400, "invalid_request".into()), "{ct}");
    }
    let r = Conn::open(&mock).send("POST", TOKEN_PATH, &[("Authorization", &auth)], ok_body);
    assert_eq!((r.status, r.oauth_error()), (400, "invalid_request".into()));
    let r = Conn::open(&mock).send(
        "POST",
        TOKEN_PATH,
        &[("Authorization", &auth), ("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")],
        ok_body,
    );
    assert_eq!(r.status, 200);
    let cases = [
        ("grant_type=password&username=user%40example.com&password=wrong", "invalid_grant"),
        ("grant_type=password&username=other%40example.com&password=mock-password", "invalid_grant"),
        ("grant_type=password&username=user%40example.com", "invalid_request"),
        ("username=user%40example.com&password=mock-password", "invalid_request"),
        ("grant_type=magic", "unsupported_grant_type"),
        ("grant_type=authorization_code&code=nope&redirect_uri=https%3A%2F%2Fx%2Fcb", "invalid_grant"),
        ("grant_type=authorization_code&code=nope", "invalid_request"),
        ("grant_type=refresh_token&refresh_token=nope", "invalid_grant"),
        ("grant_type=refresh_token", "invalid_request"),
        ("grant_type=password&password=%zz", "invalid_request"),
    ];
    for (body, error) in cases {
        let r = post_form(&mock, TOKEN_PATH, body);
        assert_eq!((r.status, r.oauth_error()), (400, error.to_owned()), "{body}");
    }
    // The refresh endpoint only refreshes.
    let r = post_form(&mock, REFRESH_PATH, "grant_type=password&username=user%40example.com&password=mock-password");
    assert_eq!((r.status, r.oauth_error()), (400, "unsupported_grant_type".into()));
    assert_eq!(mock.stats().token_requests, 15);
    assert_eq!(mock.stats().grants.password, 1);
}

#[test]
fn client_credentials_need_business_user_id() {
    let mock = MockServer::start().unwrap();
    let t = post_form(&mock, TOKEN_PATH, "grant_type=client_credentials").json();
    assert!(t.get("refresh_token").is_none(), "{t}");
    assert_eq!(mock.stats().grants.client_credentials, 1);
    let at = t["access_token"].as_str().unwrap();
    let r = api_get(&mock, "/v1/private/x", at);
    assert_eq!(r.status, 403);
    let bearer = format!("Bearer {at}");
    let mut c = Conn::open(&mock);
    let r = c.send(
        "GET",
        "/v1/private/x",
        &[("apikey", "mock-api-key"), ("Authorization", &bearer), ("x-business-user-id", "someone-else")],
        b"",
    );
    assert_eq!(r.status, 403);
    let r = c.send(
        "POST",
        "/v1/private/x",
        &[
            ("apikey", "mock-api-key"),
            ("Authorization", &bearer),
            ("x-business-user-id", "mock-business-user-id"),
            ("Content-Type", "application/json"),
        ],
        br#"{"a":1}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"method":"POST","path":"/v1/private/x","query":"","business_user_id":"mock-business-user-id","content_type":"application/json","body":"{\"a\":1}"})
    );
}

#[test]
fn api_checks_apikey_and_token() {
    let mock = MockServer::start().unwrap();
    let at = password_grant(&mock)["access_token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {at}");
    let mut c = Conn::open(&mock);
    let r = c.send("GET", "/v1/x", &[("Authorization", &bearer)], b"");
    assert_eq!((r.status, r.json()), (401, json!({"message":"invalid apikey"})));
    let r = c.send("GET", "/v1/x", &[("apikey", "wrong"), ("Authorization", &bearer)], b"");
    assert_eq!(r.status, 401);
    let fault = json!({"fault":{"faultstring":"Invalid access token"}});
    let r = c.send("GET", "/v1/x", &[("apikey", "mock-api-key")], b"");
    assert_eq!((r.status, r.json()), (401, fault.clone()));
    let r = c.send("GET", "/v1/x", &[("apikey", "mock-api-key"), ("Authorization", "Bearer unknown")], b"");
    assert_eq!((r.status, r.json()), (401, fault.clone()));
    let r = c.send("GET", &format!("/v1/x?token={at}"), &[("apikey", "mock-api-key")], b"");
    assert_eq!(r.status, 200);
    let s = mock.stats();
    assert_eq!((s.api_requests, s.api_401), (5, 4));
    let last = mock.last_api_request().unwrap();
    assert_eq!(last.path, format!("/v1/x?token={at}"));
    // Expiry by control endpoint.
    assert_eq!(control(&mock, "POST", "/_mock/expire", &Value::Null).status, 200);
    let r = c.send("GET", "/v1/x", &[("apikey", "mock-api-key"), ("Authorization", &bearer)], b"");
    assert_eq!((r.status, r.json()), (401, fault));
}

#[test]
fn token_lifetime_down_to_one_second() {
    let mock = MockServer::start().unwrap();
    assert_eq!(control(&mock, "POST", "/_mock/config", &json!({"expires_in": 1})).status, 200);
    let t = password_grant(&mock);
    assert_eq!(t["expires_in"], "1");
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(api_get(&mock, "/v1/x", at).status, 200);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(api_get(&mock, "/v1/x", at).status, 401);
    // A refresh gives a working token again.
    let rt = t["refresh_token"].as_str().unwrap();
    let t2 = post_form(&mock, REFRESH_PATH, &format!("grant_type=refresh_token&refresh_token={rt}")).json();
    assert_eq!(api_get(&mock, "/v1/x", t2["access_token"].as_str().unwrap()).status, 200);
}

#[test]
fn expires_in_json_is_verbatim() {
    let mock = MockServer::start().unwrap();
    for (raw, expect) in
        [("\"10\"", "\"expires_in\":\"10\""), ("10", "\"expires_in\":10,"), ("-5", "\"expires_in\":-5,"), ("1e30", "\"expires_in\":1e30,")]
    {
        let r = control(&mock, "POST", "/_mock/config", &json!({ "expires_in_json": raw }));
        assert_eq!(r.status, 200);
        let body = post_form(&mock, TOKEN_PATH, "grant_type=client_credentials").text();
        assert!(body.contains(expect), "{raw}: {body}");
    }
    control(&mock, "POST", "/_mock/config", &json!({ "expires_in_json": null }));
    let t = post_form(&mock, TOKEN_PATH, "grant_type=client_credentials").json();
    assert!(t.get("expires_in").is_none(), "{t}");
    assert!(t.get("access_token").is_some());
    // Reset brings the default back.
    assert_eq!(control(&mock, "POST", "/_mock/reset", &Value::Null).status, 200);
    assert_eq!(password_grant(&mock)["expires_in"], "359999");
    assert_eq!(mock.stats().token_requests, 1);
}

#[test]
fn config_endpoint_is_strict() {
    let mock = MockServer::start().unwrap();
    let r = control(&mock, "POST", "/_mock/config", &json!({"nope": 1}));
    assert_eq!(r.status, 400);
    let r = control(&mock, "POST", "/_mock/config", &json!({"deny": "yes", "username": "a"}));
    assert_eq!(r.status, 400);
    // Nothing changed.
    assert_eq!(control(&mock, "GET", "/_mock/config", &Value::Null).json()["username"], "user@example.com");
    let r = control(&mock, "POST", "/_mock/config", &json!({"username": "u", "password": "p w&"}));
    assert_eq!(r.status, 200);
    let r = post_form(&mock, TOKEN_PATH, "grant_type=password&username=u&password=p+w%26");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(mock.configure(json!({"expires_in": "soon"})).is_err());
    assert_eq!(control(&mock, "GET", "/_mock/nothing", &Value::Null).status, 404);
}

fn authenticate(mock: &MockServer, query: &str) -> Resp {
    Conn::open(mock).send("GET", &format!("/authenticate?{query}"), &[], b"")
}

#[test]
fn authorization_code_flow() {
    let mock = MockServer::start().unwrap();
    let r = authenticate(&mock, "client_id=mock-api-key&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&state=s%2F1");
    assert_eq!(r.status, 302);
    let loc = r.header("location").unwrap().to_owned();
    assert!(loc.starts_with("https://app.example/cb?code="), "{loc}");
    assert!(loc.ends_with("&state=s%2F1"), "{loc}");
    let code = loc.split("code=").nth(1).unwrap().split('&').next().unwrap();
    // A different redirect_uri is refused and does not burn the code.
    let r =
        post_form(&mock, TOKEN_PATH, &format!("grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fapp.example%2Fother"));
    assert_eq!((r.status, r.oauth_error()), (400, "invalid_grant".into()));
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb");
    let t = post_form(&mock, TOKEN_PATH, &body);
    assert_eq!(t.status, 200, "{}", t.text());
    assert!(t.json()["refresh_token"].is_string());
    let r = post_form(&mock, TOKEN_PATH, &body);
    assert_eq!((r.status, r.oauth_error()), (400, "invalid_grant".into()));
    assert_eq!(mock.stats().grants.authorization_code, 1);
    // http to loopback is fine; an existing query is extended.
    let r = authenticate(&mock, "client_id=mock-api-key&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb%3Fa%3Db&response_type=code");
    assert_eq!(r.status, 302);
    assert!(r.header("location").unwrap().starts_with("http://127.0.0.1:9/cb?a=b&code="));
    // Errors: an unknown client, a non-https redirect, a bad response_type.
    for q in [
        "client_id=other&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code",
        "client_id=mock-api-key&redirect_uri=http%3A%2F%2Fapp.example%2Fcb&response_type=code",
        "client_id=mock-api-key&redirect_uri=ftp%3A%2F%2Fapp.example%2Fcb&response_type=code",
        "client_id=mock-api-key&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=id_token",
        "client_id=mock-api-key&response_type=code",
    ] {
        let r = authenticate(&mock, q);
        assert_eq!(r.status, 400, "{q}");
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
    }
    // The user declines.
    mock.configure(json!({"deny": true})).unwrap();
    let r = authenticate(&mock, "client_id=mock-api-key&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&state=xyz");
    let loc = r.header("location").unwrap();
    assert!(loc.starts_with("https://app.example/cb?error=access_denied&error_description="), "{loc}");
    assert!(loc.ends_with("&state=xyz"));
    let r = authenticate(&mock, "client_id=mock-api-key&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=token&state=xyz");
    assert!(r.header("location").unwrap().starts_with("https://app.example/cb#error=access_denied&"));
}

#[test]
fn implicit_flow() {
    let mock = MockServer::start().unwrap();
    let r = authenticate(&mock, "client_id=mock-api-key&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=token&state=st");
    assert_eq!(r.status, 302);
    let loc = r.header("location").unwrap();
    let frag = loc.strip_prefix("https://app.example/cb#access_token=").unwrap_or_else(|| panic!("{loc}"));
    let at = frag.split('&').next().unwrap();
    assert!(frag.ends_with("&token_type=bearer&expires_in=359999&state=st"), "{loc}");
    assert_eq!(api_get(&mock, "/v1/x", at).status, 200);
}

#[test]
fn refresh_rotates_and_revoke_kills() {
    let mock = MockServer::start().unwrap();
    let t1 = password_grant(&mock);
    let rt1 = t1["refresh_token"].as_str().unwrap();
    let r = post_form(&mock, REFRESH_PATH, &format!("grant_type=refresh_token&refresh_token={rt1}"));
    assert_eq!(r.status, 200);
    let t2 = r.json();
    let rt2 = t2["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    assert_eq!(t2["refresh_count"], "1");
    // The rotated one is void, on both endpoints.
    for path in [REFRESH_PATH, TOKEN_PATH] {
        let r = post_form(&mock, path, &format!("grant_type=refresh_token&refresh_token={rt1}"));
        assert_eq!((r.status, r.oauth_error()), (400, "invalid_grant".into()));
    }
    // The accesstoken endpoint refreshes too.
    let t3 = post_form(&mock, TOKEN_PATH, &format!("grant_type=refresh_token&refresh_token={rt2}")).json();
    let rt3 = t3["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(mock.stats().grants.refresh_token, 2);
    let at3 = t3["access_token"].as_str().unwrap();
    assert_eq!(api_get(&mock, "/v1/x", at3).status, 200);
    // Revoke: 200, empty; the refresh token and its access tokens stop working.
    let r = post_form(&mock, REVOKE_PATH, &format!("token={rt3}"));
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    let r = post_form(&mock, REFRESH_PATH, &format!("grant_type=refresh_token&refresh_token={rt3}"));
    assert_eq!((r.status, r.oauth_error()), (400, "invalid_grant".into()));
    assert_eq!(api_get(&mock, "/v1/x", at3).status, 401);
    assert_eq!(api_get(&mock, "/v1/x", t1["access_token"].as_str().unwrap()).status, 401);
    // Revoke needs client authentication and a token.
    let r = Conn::open(&mock).send("POST", REVOKE_PATH, &[("Content-Type", FORM)], format!("token={rt3}").as_bytes());
    assert_eq!((r.status, r.oauth_error()), (401, "invalid_client".into()));
    let r = post_form(&mock, REVOKE_PATH, "");
    assert_eq!((r.status, r.oauth_error()), (400, "invalid_request".into()));
    assert_eq!(mock.stats().revoke_requests, 3);
    assert_eq!(mock.stats().token_requests, 6);
}

#[test]
fn without_rotation_the_refresh_token_stays() {
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"rotate_refresh_token": false})).unwrap();
    let rt = password_grant(&mock)["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let t = post_form(&mock, REFRESH_PATH, &format!("grant_type=refresh_token&refresh_token={rt}")).json();
        assert_eq!(t["refresh_token"], rt.as_str());
    }
}

#[test]
fn last_token_request_is_as_sent() {
    let mock = MockServer::start().unwrap();
    assert_eq!(control(&mock, "GET", "/_mock/last_token_request", &Value::Null).json(), Value::Null);
    password_grant(&mock);
    let j = control(&mock, "GET", "/_mock/last_token_request", &Value::Null).json();
    assert_eq!(j["method"], "POST");
    assert_eq!(j["path"], TOKEN_PATH);
    assert_eq!(j["body"], "grant_type=password&username=user%40example.com&password=mock-password");
    let names: Vec<&str> = j["headers"].as_array().unwrap().iter().map(|h| h[0].as_str().unwrap()).collect();
    assert_eq!(names, ["host", "authorization", "content-type", "content-length"]);
    assert_eq!(j["headers"][1][1], default_basic());
    assert_eq!(mock.last_token_request().unwrap().header("Content-Type"), Some(FORM));
}

#[test]
fn keep_alive_chunked_and_connection_close() {
    let mock = MockServer::start().unwrap();
    let mut c = Conn::open(&mock);
    let auth = default_basic();
    let body = b"grant_type=client_credentials";
    assert_eq!(c.send("POST", TOKEN_PATH, &[("Authorization", &auth), ("Content-Type", FORM)], body).status, 200);
    // A chunked body with an extension and a trailer, on the same connection.
    let req = format!(
        "POST {TOKEN_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: {FORM}\r\nTransfer-Encoding: chunked\r\n\r\n\
         a;ext=1\r\ngrant_type\r\n13\r\n=client_credentials\r\n0\r\nX-Trailer: 1\r\n\r\n"
    );
    c.write_raw(req.as_bytes());
    let r = c.read_response().unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(mock.last_token_request().unwrap().body, "grant_type=client_credentials");
    // Expect: 100-continue gets its interim answer.
    let req = format!("POST {TOKEN_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: {FORM}\r\nContent-Length: 29\r\nExpect: 100-continue\r\n\r\n");
    c.write_raw(req.as_bytes());
    assert_eq!(c.read_response().unwrap().status, 100);
    c.write_raw(body);
    assert_eq!(c.read_response().unwrap().status, 200);
    let s = mock.stats();
    assert_eq!((s.connections, s.requests, s.token_requests), (1, 3, 3));
    // Connection: close is honoured.
    let r = c.send("POST", TOKEN_PATH, &[("Authorization", &auth), ("Content-Type", FORM), ("Connection", "close")], body);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.closed());
    assert_eq!(mock.stats().connections, 1);
    // A second connection counts.
    Conn::open(&mock).send("POST", TOKEN_PATH, &[("Authorization", &auth), ("Content-Type", FORM)], body);
    assert_eq!(mock.stats().connections, 2);
    // A malformed request gets a 400 and a close.
    let mut c = Conn::open(&mock);
    c.write_raw(b"GARBAGE\r\n\r\n");
    assert_eq!(c.read_response().unwrap().status, 400);
    assert!(c.closed());
}

#[test]
fn headers_and_body_come_in_one_segment() {
    // With TCP_NODELAY and one write, a small answer is readable in one read().
    let mock = MockServer::start().unwrap();
    let mut s = TcpStream::connect(("127.0.0.1", mock.port())).unwrap();
    s.write_all(b"GET /_mock/stats HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = vec![0; 65536];
    let n = s.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.ends_with('}'), "{text}");
}

fn fault(mock: &MockServer, spec: Value) {
    let r = control(mock, "POST", "/_mock/fault", &spec);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn faults_429_500_503_garbage_no_token_big() {
    let mock = MockServer::start().unwrap();
    fault(&mock, json!({"kind": "429", "count": 2, "retry_after": "1"}));
    for _ in 0..2 {
        let r = post_form(&mock, TOKEN_PATH, "grant_type=client_credentials");
        assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
        assert_eq!(r.json(), json!({"error":"too_many_requests"}));
    }
    assert_eq!(post_form(&mock, TOKEN_PATH, "grant_type=client_credentials").status, 200);
    fault(&mock, json!({"kind": 429}));
    let r = post_form(&mock, REFRESH_PATH, "grant_type=refresh_token&refresh_token=x");
    assert_eq!((r.status, r.header("retry-after")), (429, None));
    assert_eq!(mock.stats().token_requests, 4);

    fault(&mock, json!({"kind": "html_500"}));
    let r = post_form(&mock, TOKEN_PATH, "grant_type=client_credentials");
    assert_eq!(r.status, 500);
    assert!(r.header("content-type").unwrap().starts_with("text/html") && r.text().contains("<html>"));
    fault(&mock, json!({"kind": "503"}));
    let r = post_form(&mock, REVOKE_PATH, "token=x");
    assert_eq!((r.status, r.body.len()), (503, 0));
    fault(&mock, json!({"kind": "garbage"}));
    let r = post_form(&mock, TOKEN_PATH, "grant_type=client_credentials");
    assert_eq!((r.status, r.header("content-type")), (200, Some("text/plain")));
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    fault(&mock, json!({"kind": "no_access_token"}));
    let r = post_form(&mock, TOKEN_PATH, "grant_type=client_credentials");
    assert_eq!(r.status, 200);
    assert!(r.json().get("access_token").is_none());
    fault(&mock, json!({"kind": "big_body", "size": 2_000_000}));
    let r = post_form(&mock, TOKEN_PATH, "grant_type=client_credentials");
    assert_eq!((r.status, r.body.len()), (200, 2_000_000));
    assert!(r.body.starts_with(b"{\""));
    // Faults are consumed: the next request is normal.
    assert_eq!(post_form(&mock, TOKEN_PATH, "grant_type=client_credentials").status, 200);
    // Bad fault specs.
    for spec in [
        json!({"kind": "meteor"}),
        json!({}),
        json!({"kind": "429", "target": "moon"}),
        json!({"kind": "429", "count": 0}),
        json!({"kind":"429","colour":1}),
    ] {
        assert_eq!(control(&mock, "POST", "/_mock/fault", &spec).status, 400, "{spec}");
    }
}

#[test]
fn fault_targets() {
    let mock = MockServer::start().unwrap();
    let at = password_grant(&mock)["access_token"].as_str().unwrap().to_owned();
    // Default target "token": the API is untouched.
    fault(&mock, json!({"kind": "503"}));
    assert_eq!(api_get(&mock, "/v1/x", &at).status, 200);
    assert_eq!(post_form(&mock, TOKEN_PATH, "grant_type=client_credentials").status, 503);
    fault(&mock, json!({"kind": "503", "target": "api"}));
    assert_eq!(post_form(&mock, TOKEN_PATH, "grant_type=client_credentials").status, 200);
    assert_eq!(api_get(&mock, "/v1/x", &at).status, 503);
    fault(&mock, json!({"kind": "503", "target": "any", "count": 2}));
    assert_eq!(authenticate(&mock, "client_id=mock-api-key&redirect_uri=https%3A%2F%2Fa%2Fb&response_type=code").status, 503);
    assert_eq!(api_get(&mock, "/v1/x", &at).status, 503);
    // Kind 401 targets the API by default: the answer an expired token gets.
    fault(&mock, json!({"kind": "401"}));
    let r = api_get(&mock, "/v1/x", &at);
    assert_eq!((r.status, r.json()), (401, json!({"fault":{"faultstring":"Invalid access token"}})));
    assert_eq!(api_get(&mock, "/v1/x", &at).status, 200);
    assert_eq!(mock.stats().api_401, 1);
    // The typed API.
    mock.fault(Fault::new(FaultKind::Garbage).target(FaultTarget::Api).count(1));
    assert_eq!(api_get(&mock, "/v1/x", &at).header("content-type"), Some("text/plain"));
}

#[test]
fn fault_reset_sends_rst() {
    let mock = MockServer::start().unwrap();
    fault(&mock, json!({"kind": "reset"}));
    let mut c = Conn::open(&mock);
    let auth = default_basic();
    let req = format!("POST {TOKEN_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: {FORM}\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials");
    c.write_raw(req.as_bytes());
    let err = c.read_response().err().expect("no answer");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err:?}");
    assert_eq!(mock.stats().token_requests, 1);
}

#[test]
fn fault_truncated_body() {
    let mock = MockServer::start().unwrap();
    fault(&mock, json!({"kind": "truncated"}));
    let mut c = Conn::open(&mock);
    let auth = default_basic();
    let req = format!("POST {TOKEN_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: {FORM}\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials");
    c.write_raw(req.as_bytes());
    let err = c.read_response().err().expect("a truncated body");
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err:?}");
}

#[test]
fn fault_slow() {
    let mock = MockServer::start().unwrap();
    fault(&mock, json!({"kind": "slow", "delay_ms": 300}));
    let start = Instant::now();
    let r = post_form(&mock, TOKEN_PATH, "grant_type=client_credentials");
    assert_eq!(r.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(300));
    // Other connections are served meanwhile.
    fault(&mock, json!({"kind": "slow", "delay_ms": 1500}));
    let port = mock.port();
    let slow = std::thread::spawn(move || {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut c = Conn { w: s.try_clone().unwrap(), r: BufReader::new(s) };
        let auth = default_basic();
        c.send("POST", TOKEN_PATH, &[("Authorization", &auth), ("Content-Type", FORM)], b"grant_type=client_credentials").status
    });
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    assert_eq!(control(&mock, "GET", "/_mock/stats", &Value::Null).status, 200);
    assert!(start.elapsed() < Duration::from_millis(1000));
    assert_eq!(slow.join().unwrap(), 200);
}

/// Sends a client-credentials grant on its own thread; returns its status and how long it took.
fn grant_in_background(mock: &MockServer) -> std::thread::JoinHandle<(u16, Duration)> {
    let port = mock.port();
    std::thread::spawn(move || {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut c = Conn { w: s.try_clone().unwrap(), r: BufReader::new(s) };
        let auth = default_basic();
        let start = Instant::now();
        let status =
            c.send("POST", TOKEN_PATH, &[("Authorization", &auth), ("Content-Type", FORM)], b"grant_type=client_credentials").status;
        (status, start.elapsed())
    })
}

/// Waits until the mock has counted `n` token requests (fails after a minute).
fn until_token_requests(mock: &MockServer, n: u64) {
    let start = Instant::now();
    while mock.stats().token_requests < n {
        assert!(start.elapsed() < Duration::from_secs(60), "the mock never saw token request {n}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn fault_delay_holds_any_answer_until_released() {
    let mock = MockServer::start().unwrap();
    // Without a release, the delay runs out and the fault gives its answer.
    fault(&mock, json!({"kind": "503", "delay_ms": 300}));
    let (status, took) = grant_in_background(&mock).join().unwrap();
    assert_eq!(status, 503);
    assert!(took >= Duration::from_millis(300), "{took:?}");
    // A long delay ends with a release: the 503 comes at once, whatever was left of the delay.
    fault(&mock, json!({"kind": "503", "delay_ms": 120_000}));
    let held = grant_in_background(&mock);
    until_token_requests(&mock, 2);
    assert_eq!(control(&mock, "POST", "/_mock/release", &Value::Null).json(), json!({"ok": true}));
    let (status, took) = held.join().unwrap();
    assert_eq!(status, 503);
    assert!(took < Duration::from_secs(60), "released after {took:?}");
    // The same for `slow`, whose answer is the normal one, and through the Rust API.
    fault(&mock, json!({"kind": "slow", "delay_ms": 120_000}));
    let held = grant_in_background(&mock);
    until_token_requests(&mock, 3);
    mock.release();
    let (status, took) = held.join().unwrap();
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(60), "released after {took:?}");
    // A release ends only the waits in progress: a fault queued afterwards waits its delay.
    fault(&mock, json!({"kind": "503", "delay_ms": 300}));
    let (status, took) = grant_in_background(&mock).join().unwrap();
    assert_eq!((status, took >= Duration::from_millis(300)), (503, true), "{took:?}");
    assert_eq!(control(&mock, "GET", "/_mock/release", &Value::Null).status, 405);
    // Kinds other than slow answer at once by default.
    assert_eq!(Fault::new(FaultKind::ServiceUnavailable).delay_ms, 0);
    assert_eq!(Fault::new(FaultKind::Slow).delay_ms, 2000);
}

#[test]
fn reset_answers_the_requests_waiting_in_a_delay_without_touching_the_new_state() {
    let mock = MockServer::start().unwrap();
    fault(&mock, json!({"kind": "slow", "delay_ms": 120_000}));
    let held = grant_in_background(&mock);
    until_token_requests(&mock, 1);
    control(&mock, "POST", "/_mock/reset", &Value::Null);
    let (status, took) = held.join().unwrap();
    assert_eq!(status, 503, "a request from before the reset issues no token");
    assert!(took < Duration::from_secs(60), "answered after {took:?}");
    assert_eq!(mock.stats().grants.client_credentials, 0);
}

#[test]
fn stats_endpoint_shape_and_reset() {
    let mock = MockServer::start().unwrap();
    password_grant(&mock);
    let j = control(&mock, "GET", "/_mock/stats", &Value::Null).json();
    assert_eq!(
        j,
        json!({"token_requests":1,"grants":{"password":1,"client_credentials":0,"authorization_code":0,"refresh_token":0},
               "revoke_requests":0,"api_requests":0,"api_401":0,"connections":1,"requests":1})
    );
    assert_eq!(j, mock.stats().to_json());
    mock.reset();
    assert_eq!(mock.stats().token_requests, 0);
    assert_eq!(control(&mock, "GET", "/_mock/reset", &Value::Null).status, 405);
}

#[test]
fn stops_on_drop() {
    let mock = MockServer::start().unwrap();
    let port = mock.port();
    assert!(mock.url().starts_with("http://127.0.0.1:"));
    assert_eq!(mock.authorize_url(), format!("http://127.0.0.1:{port}/authenticate"));
    let mut idle = Conn::open(&mock);
    drop(mock);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    // Idle keep-alive connections are closed too.
    assert!(idle.read_response().is_err());
}

#[test]
fn unencoded_url_in_query_and_recount_after_reset() {
    let mock = MockServer::start().unwrap();
    // A "://" inside the query is not an absolute-form request target.
    let r = authenticate(&mock, "client_id=mock-api-key&redirect_uri=https://app.example/cb&response_type=code&state=s");
    assert_eq!(r.status, 302, "{}", r.text());
    assert!(r.header("location").unwrap().starts_with("https://app.example/cb?code="));
    // A connection kept alive across a reset counts again after it.
    let mut c = Conn::open(&mock);
    assert_eq!(c.send("GET", "/v1/x", &[], b"").status, 401);
    mock.reset();
    for _ in 0..2 {
        assert_eq!(c.send("GET", "/v1/x", &[], b"").status, 401);
    }
    let s = mock.stats();
    assert_eq!((s.connections, s.requests, s.api_requests, s.api_401), (1, 2, 2, 2));
}
