//! The mock's behaviour: Trustpilot's endpoints, the API, the authorize page and the control
//! endpoints, over an in-memory state behind one mutex.

use crate::http::{Action, Request, Response};
use crate::{Fault, FaultKind, FaultTarget, RecordedRequest, Stats};
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A Trustpilot token endpoint path.
pub const TOKEN_PATH: &str = "/v1/oauth/oauth-business-users-for-applications/accesstoken";
/// A Trustpilot token endpoint path.
pub const REFRESH_PATH: &str = "/v1/oauth/oauth-business-users-for-applications/refresh";
/// A Trustpilot token endpoint path.
pub const REVOKE_PATH: &str = "/v1/oauth/oauth-business-users-for-applications/revoke";

/// The mock's identities and behaviour switches (`POST /_mock/config`).
#[derive(Clone, Debug)]
pub(crate) struct MockConfig {
    api_key: String,
    api_secret: String,
    username: String,
    password: String,
    business_user_id: String,
    expires_in: i64,
    /// `None`: `"<expires_in>"`; `Some(None)`: field omitted; `Some(Some(raw))`: raw JSON text.
    expires_in_json: Option<Option<String>>,
    rotate_refresh_token: bool,
    deny: bool,
    /// Lifetimes (seconds) of the next tokens issued, one popped per token; then `expires_in`.
    expires_in_schedule: std::collections::VecDeque<i64>,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            api_key: "mock-api-key".into(),
            api_secret: "mock-api-secret".into(),
            username: "user@example.com".into(),
            password: "mock-password".into(),
            business_user_id: "mock-business-user-id".into(),
            expires_in: 359_999,
            expires_in_json: None,
            rotate_refresh_token: true,
            deny: false,
            expires_in_schedule: std::collections::VecDeque::new(),
        }
    }
}

impl MockConfig {
    fn to_json(&self) -> Value {
        json!({
            "api_key": self.api_key, "api_secret": self.api_secret, "username": self.username,
            "password": self.password, "business_user_id": self.business_user_id,
            "expires_in": self.expires_in,
            "expires_in_json": match &self.expires_in_json { None => Value::String(format!("\"{}\"", self.expires_in)), Some(None) => Value::Null, Some(Some(s)) => Value::String(s.clone()) },
            "rotate_refresh_token": self.rotate_refresh_token, "deny": self.deny,
            "expires_in_schedule": self.expires_in_schedule,
        })
    }

    /// Merge `patch` (a JSON object); nothing changes when any key is unknown or mistyped.
    pub(crate) fn merge(&mut self, patch: &Value) -> Result<(), String> {
        let obj = patch.as_object().ok_or("config must be a JSON object")?;
        let mut next = self.clone();
        for (k, v) in obj {
            let string = || v.as_str().map(str::to_owned).ok_or_else(|| format!("config key {k}: expected a string"));
            let boolean = || v.as_bool().ok_or_else(|| format!("config key {k}: expected true or false"));
            match k.as_str() {
                "api_key" => next.api_key = string()?,
                "api_secret" => next.api_secret = string()?,
                "username" => next.username = string()?,
                "password" => next.password = string()?,
                "business_user_id" => next.business_user_id = string()?,
                "expires_in" => {
                    next.expires_in = v
                        .as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                        .ok_or_else(|| format!("config key {k}: expected integer seconds"))?;
                }
                "expires_in_json" => {
                    next.expires_in_json = Some(match v {
                        Value::Null => None,
                        Value::String(s) => Some(s.clone()),
                        other => Some(other.to_string()),
                    });
                }
                "rotate_refresh_token" => next.rotate_refresh_token = boolean()?,
                "deny" => next.deny = boolean()?,
                "expires_in_schedule" => {
                    next.expires_in_schedule = v
                        .as_array()
                        .and_then(|a| a.iter().map(Value::as_i64).collect::<Option<_>>())
                        .ok_or_else(|| format!("config key {k}: expected an array of integer seconds"))?;
                }
                _ => return Err(format!("unknown config key {k:?}")),
            }
        }
        *self = next;
        Ok(())
    }
}

struct AccessToken {
    /// The refresh-token family it was issued with (revoking that family kills it).
    family: Option<u64>,
    client_credentials: bool,
    /// `None`: never expires.
    expires_at: Option<Instant>,
    expired: bool,
    revoked: bool,
}

struct RefreshToken {
    family: u64,
    valid: bool,
    refresh_count: u64,
}

struct Code {
    redirect_uri: String,
    used: bool,
    /// The PKCE `code_challenge` (S256) the authorize request carried, if any (RFC 7636).
    challenge: Option<String>,
}

/// RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) without padding.
fn s256(verifier: &str) -> String {
    use base64::Engine as _;
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// Everything the mock remembers.
#[derive(Default)]
pub(crate) struct State {
    pub config: MockConfig,
    pub stats: Stats,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    revoked_families: std::collections::HashSet<u64>,
    next_family: u64,
    codes: HashMap<String, Code>,
    pub faults: VecDeque<Fault>,
    pub last_token_request: Option<RecordedRequest>,
    pub last_api_request: Option<RecordedRequest>,
    /// Bumped by every reset, so that a kept-alive connection counts again afterwards.
    pub generation: u64,
    /// Bumped by every `POST /_mock/release`: the requests waiting in a fault's delay answer.
    pub releases: u64,
    /// The lifetime of the access token issued last (seconds), announced in its response.
    lifetime: i64,
}

/// Which part of the mock a request is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Route {
    AccessToken,
    Refresh,
    Revoke,
    Authenticate,
    Api,
}

pub(crate) fn route(path: &str) -> Route {
    match path {
        TOKEN_PATH => Route::AccessToken,
        REFRESH_PATH => Route::Refresh,
        REVOKE_PATH => Route::Revoke,
        "/authenticate" | "/authenticate/" => Route::Authenticate,
        _ => Route::Api,
    }
}

fn random_string(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("the OS random source failed");
    bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

fn now_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

pub(crate) fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    Response::json(status, json!({"error": error, "error_description": description}).to_string())
}

fn html_page(status: u16, title: &str, text: &str) -> Response {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    Response::new(
        status,
        Some("text/html; charset=utf-8"),
        format!(
            "<!DOCTYPE html>\n<html><head><title>{}</title></head><body><h1>{}</h1><p>{}</p></body></html>\n",
            esc(title),
            esc(title),
            esc(text)
        ),
    )
}

/// `application/x-www-form-urlencoded` decoding, strict: a bad `%` escape or a repeated name is an error.
pub(crate) fn parse_form(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(k).ok_or_else(|| "malformed percent-encoding".to_owned())?;
        let v = percent_decode(v).ok_or_else(|| "malformed percent-encoding".to_owned())?;
        if out.iter().any(|(n, _)| *n == k) {
            return Err(format!("parameter {k} is repeated"));
        }
        out.push((k, v));
    }
    Ok(out)
}

/// The mock's own decoder, on purpose not the library's (`tpauth::url`): a test server that
/// shared the client's decoder would agree with the client's encoder even when both are wrong.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn get<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h == "::1" || h.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// The host of an absolute URL.
fn url_host(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if authority.starts_with('[') {
        return authority.split_once(']').map_or(authority, |(h, _)| &h[1..]);
    }
    authority.split(':').next().unwrap_or("")
}

impl State {
    pub(crate) fn reset(&mut self) {
        let (generation, releases) = (self.generation + 1, self.releases);
        *self = State::default();
        self.generation = generation;
        self.releases = releases;
    }

    /// The first queued fault for this route, consumed.
    pub(crate) fn take_fault(&mut self, route: Route) -> Option<Fault> {
        let idx = self.faults.iter().position(|f| match f.target {
            FaultTarget::Any => true,
            FaultTarget::Token => matches!(route, Route::AccessToken | Route::Refresh | Route::Revoke),
            FaultTarget::Api => route == Route::Api,
        })?;
        let f = self.faults[idx].clone();
        if self.faults[idx].count <= 1 {
            self.faults.remove(idx);
        } else {
            self.faults[idx].count -= 1;
        }
        Some(f)
    }

    pub(crate) fn expire_all(&mut self) {
        for t in self.access.values_mut() {
            t.expired = true;
        }
    }

    fn expires_at(lifetime: i64) -> Option<Instant> {
        let now = Instant::now();
        if lifetime <= 0 {
            return Some(now);
        }
        now.checked_add(Duration::from_secs(lifetime.unsigned_abs()))
    }

    /// A new access token, living the next lifetime of `expires_in_schedule` (or `expires_in`),
    /// which the response then announces.
    fn new_access(&mut self, family: Option<u64>, client_credentials: bool) -> String {
        let at = random_string(28);
        self.lifetime = self.config.expires_in_schedule.pop_front().unwrap_or(self.config.expires_in);
        let expires_at = Self::expires_at(self.lifetime);
        self.access.insert(at.clone(), AccessToken { family, client_credentials, expires_at, expired: false, revoked: false });
        at
    }

    fn new_family(&mut self) -> u64 {
        self.next_family += 1;
        self.next_family
    }

    fn new_refresh(&mut self, family: u64, refresh_count: u64) -> String {
        let rt = random_string(32);
        self.refresh.insert(rt.clone(), RefreshToken { family, valid: true, refresh_count });
        rt
    }

    /// A token response body shaped like Trustpilot's (Apigee), every value a string.
    fn token_body(&self, access_token: &str, refresh_token: Option<&str>, refresh_count: u64) -> String {
        let s = |v: &str| Value::String(v.to_owned()).to_string();
        let issued = now_ms().to_string();
        let mut fields: Vec<(&str, String)> = Vec::new();
        if refresh_token.is_some() {
            fields.push(("refresh_token_expires_in", s("7775999")));
            fields.push(("refresh_token_status", s("approved")));
        }
        fields.extend([
            ("api_product_list", s("[Public API]")),
            ("organization_name", s("mock")),
            ("developer.email", s("dev@example.com")),
            ("token_type", s("BearerToken")),
            ("issued_at", s(&issued)),
            ("client_id", s(&self.config.api_key)),
            ("access_token", s(access_token)),
        ]);
        if let Some(rt) = refresh_token {
            fields.push(("refresh_token", s(rt)));
        }
        fields.push(("application_name", s("mock-app")));
        fields.push(("scope", s("")));
        if refresh_token.is_some() {
            fields.push(("refresh_token_issued_at", s(&issued)));
        }
        match &self.config.expires_in_json {
            None => fields.push(("expires_in", s(&self.lifetime.to_string()))),
            Some(None) => {}
            Some(Some(raw)) => fields.push(("expires_in", raw.clone())),
        }
        fields.push(("refresh_count", s(&refresh_count.to_string())));
        fields.push(("status", s("approved")));
        let inner: Vec<String> = fields.iter().map(|(k, v)| format!("{}:{v}", Value::String((*k).to_owned()))).collect();
        format!("{{{}}}", inner.join(","))
    }

    /// Check the client's authentication: Basic (raw or form-encoded values) or body credentials.
    fn client_authenticated(&self, req: &Request, form: &[(String, String)]) -> Result<(), Response> {
        let invalid = |why: &str| Err(oauth_error(401, "invalid_client", why).header("WWW-Authenticate", "Basic realm=\"tpauth-mock\""));
        let (key, secret) = (self.config.api_key.as_str(), self.config.api_secret.as_str());
        if let Some(auth) = req.header("authorization") {
            let Some((scheme, value)) = auth.split_once(' ') else { return invalid("malformed Authorization header") };
            if !scheme.eq_ignore_ascii_case("basic") {
                return invalid("the token endpoint needs Basic client authentication");
            }
            let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(value.trim()) else {
                return invalid("the Basic credentials are not valid base64");
            };
            let Ok(decoded) = String::from_utf8(decoded) else { return invalid("the Basic credentials are not UTF-8") };
            let Some((id, pw)) = decoded.split_once(':') else { return invalid("the Basic credentials carry no ':'") };
            if id == key && pw == secret {
                return Ok(());
            }
            if percent_decode(id).as_deref() == Some(key) && percent_decode(pw).as_deref() == Some(secret) {
                return Ok(());
            }
            return invalid("Invalid ApiKey or Secret");
        }
        match (get(form, "client_id"), get(form, "client_secret")) {
            (Some(id), Some(pw)) if id == key && pw == secret => Ok(()),
            (Some(_), Some(_)) => invalid("Invalid ApiKey or Secret"),
            _ => invalid("client authentication is missing: send Authorization: Basic base64(KEY:SECRET)"),
        }
    }

    /// `accesstoken`, `refresh` and `revoke`.
    pub(crate) fn token_endpoint(&mut self, route: Route, req: &Request) -> Response {
        if req.method != "POST" {
            return oauth_error(405, "invalid_request", "use POST").header("Allow", "POST");
        }
        let ct_ok = req
            .header("content-type")
            .is_some_and(|ct| ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        if !ct_ok {
            return oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
        }
        let Ok(body) = std::str::from_utf8(&req.body) else {
            return oauth_error(400, "invalid_request", "the body is not UTF-8");
        };
        let form = match parse_form(body) {
            Ok(f) => f,
            Err(e) => return oauth_error(400, "invalid_request", &format!("malformed form body: {e}")),
        };
        if let Err(resp) = self.client_authenticated(req, &form) {
            return resp;
        }
        if route == Route::Revoke {
            return self.revoke(&form);
        }
        let Some(grant_type) = get(&form, "grant_type") else {
            return oauth_error(400, "invalid_request", "grant_type is missing");
        };
        match (route, grant_type) {
            (_, "refresh_token") => self.refresh_grant(&form),
            (Route::AccessToken, "password") => self.password_grant(&form),
            (Route::AccessToken, "client_credentials") => {
                let at = self.new_access(None, true);
                self.stats.grants.client_credentials += 1;
                Response::json(200, self.token_body(&at, None, 0))
            }
            (Route::AccessToken, "authorization_code") => self.code_grant(&form),
            (_, other) => oauth_error(400, "unsupported_grant_type", &format!("grant_type {other:?} is not supported here")),
        }
    }

    fn issue_with_refresh(&mut self, family: Option<u64>, refresh_count: u64) -> Response {
        let family = family.unwrap_or_else(|| self.new_family());
        let at = self.new_access(Some(family), false);
        let rt = self.new_refresh(family, refresh_count);
        Response::json(200, self.token_body(&at, Some(&rt), refresh_count))
    }

    fn password_grant(&mut self, form: &[(String, String)]) -> Response {
        let (Some(user), Some(pw)) = (get(form, "username"), get(form, "password")) else {
            return oauth_error(400, "invalid_request", "username and password are required");
        };
        if user != self.config.username || pw != self.config.password {
            return oauth_error(400, "invalid_grant", "Invalid username or password");
        }
        self.stats.grants.password += 1;
        self.issue_with_refresh(None, 0)
    }

    fn code_grant(&mut self, form: &[(String, String)]) -> Response {
        let (Some(code), Some(redirect_uri)) = (get(form, "code"), get(form, "redirect_uri")) else {
            return oauth_error(400, "invalid_request", "code and redirect_uri are required");
        };
        match self.codes.get_mut(code) {
            None => return oauth_error(400, "invalid_grant", "Invalid authorization code"),
            Some(c) if c.used => return oauth_error(400, "invalid_grant", "The authorization code was already used"),
            Some(c) if c.redirect_uri != redirect_uri => {
                return oauth_error(400, "invalid_grant", "redirect_uri differs from the one the code was issued for")
            }
            Some(c) => {
                // PKCE (RFC 7636 §4.6): a code issued with a challenge needs the matching verifier;
                // a verifier for a code issued without one is refused too (§4.5 is silent; a
                // strict server must not accept a downgrade either way).
                let verifier = get(form, "code_verifier");
                let ok = match (&c.challenge, verifier) {
                    (None, None) => true,
                    (Some(ch), Some(v)) => (43..=128).contains(&v.len()) && s256(v) == *ch,
                    _ => false,
                };
                c.used = true;
                if !ok {
                    return oauth_error(400, "invalid_grant", "PKCE verification failed: code_verifier does not match the code_challenge");
                }
            }
        }
        self.stats.grants.authorization_code += 1;
        self.issue_with_refresh(None, 0)
    }

    fn refresh_grant(&mut self, form: &[(String, String)]) -> Response {
        let Some(rt) = get(form, "refresh_token") else {
            return oauth_error(400, "invalid_request", "refresh_token is missing");
        };
        let (family, count) = match self.refresh.get(rt) {
            Some(r) if r.valid && !self.revoked_families.contains(&r.family) => (r.family, r.refresh_count + 1),
            Some(_) => return oauth_error(400, "invalid_grant", "Invalid refresh token: it was used, rotated or revoked"),
            None => return oauth_error(400, "invalid_grant", "Invalid refresh token"),
        };
        self.stats.grants.refresh_token += 1;
        if self.config.rotate_refresh_token {
            if let Some(old) = self.refresh.get_mut(rt) {
                old.valid = false;
            }
            self.issue_with_refresh(Some(family), count)
        } else {
            if let Some(old) = self.refresh.get_mut(rt) {
                old.refresh_count = count;
            }
            let at = self.new_access(Some(family), false);
            Response::json(200, self.token_body(&at, Some(rt), count))
        }
    }

    fn revoke(&mut self, form: &[(String, String)]) -> Response {
        let Some(token) = get(form, "token") else {
            return oauth_error(400, "invalid_request", "token is missing");
        };
        if let Some(r) = self.refresh.get(token) {
            let family = r.family;
            self.revoked_families.insert(family);
            for r in self.refresh.values_mut().filter(|r| r.family == family) {
                r.valid = false;
            }
            for a in self.access.values_mut().filter(|a| a.family == Some(family)) {
                a.revoked = true;
            }
        } else if let Some(a) = self.access.get_mut(token) {
            a.revoked = true;
        }
        // RFC 7009: an unknown token is answered 200 as well.
        Response::new(200, None, Vec::new())
    }

    /// `GET /authenticate`: the authorize page and the user who approves (or declines).
    pub(crate) fn authenticate(&mut self, req: &Request) -> Response {
        if req.method != "GET" {
            return html_page(405, "Method not allowed", "use GET").header("Allow", "GET");
        }
        let params = match parse_form(&req.query) {
            Ok(p) => p,
            Err(e) => return html_page(400, "Bad request", &format!("malformed query: {e}")),
        };
        let Some(client_id) = get(&params, "client_id") else { return html_page(400, "Bad request", "client_id is missing") };
        if client_id != self.config.api_key {
            return html_page(400, "Unknown application", "client_id is not a known API key");
        }
        let Some(redirect_uri) = get(&params, "redirect_uri") else { return html_page(400, "Bad request", "redirect_uri is missing") };
        let lower = redirect_uri.to_ascii_lowercase();
        let ok = match (lower.strip_prefix("https://"), lower.strip_prefix("http://")) {
            (Some(rest), _) => !url_host(rest).is_empty(),
            (_, Some(rest)) => is_loopback(url_host(rest)),
            _ => false,
        };
        if !ok || redirect_uri.contains('#') {
            return html_page(400, "Bad request", "redirect_uri must be an https URL (or http to a loopback host), without a fragment");
        }
        let state = get(&params, "state");
        let implicit = match get(&params, "response_type") {
            Some("code") => false,
            Some("token") => true,
            _ => return html_page(400, "Bad request", "response_type must be code or token"),
        };
        let challenge = get(&params, "code_challenge").map(str::to_owned);
        if challenge.is_some() && get(&params, "code_challenge_method") != Some("S256") {
            return html_page(400, "Bad request", "code_challenge_method must be S256 (plain is not accepted)");
        }
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if self.config.deny {
            pairs.push(("error", "access_denied".into()));
            pairs.push(("error_description", "The user denied access".into()));
        } else if implicit {
            let at = self.new_access(None, false);
            pairs.push(("access_token", at));
            pairs.push(("token_type", "bearer".into()));
            pairs.push(("expires_in", self.lifetime.to_string()));
        } else {
            let code = random_string(24);
            self.codes.insert(code.clone(), Code { redirect_uri: redirect_uri.to_owned(), used: false, challenge });
            pairs.push(("code", code));
        }
        if let Some(s) = state {
            pairs.push(("state", s.to_owned()));
        }
        let encoded: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", percent_encode(v))).collect();
        let sep = if implicit {
            "#"
        } else if redirect_uri.contains('?') {
            "&"
        } else {
            "?"
        };
        let location = format!("{redirect_uri}{sep}{}", encoded.join("&"));
        html_page(302, "Redirecting", "You are being redirected").header("Location", &location)
    }

    /// Any other path: the API, with the access token and the apikey checked.
    pub(crate) fn api(&mut self, req: &Request) -> Response {
        if req.header("apikey") != Some(self.config.api_key.as_str()) {
            self.stats.api_401 += 1;
            return Response::json(401, r#"{"message":"invalid apikey"}"#);
        }
        let bearer = req.header("authorization").and_then(|a| {
            let (scheme, value) = a.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| value.trim().to_owned())
        });
        let query_token = parse_form(&req.query).ok().and_then(|q| get(&q, "token").map(str::to_owned));
        let token = bearer.or(query_token);
        let valid = token.as_ref().and_then(|t| self.access.get(t)).filter(|a| {
            !a.expired
                && !a.revoked
                && a.expires_at.is_none_or(|e| Instant::now() < e)
                && a.family.is_none_or(|f| !self.revoked_families.contains(&f))
        });
        let Some(access) = valid else {
            self.stats.api_401 += 1;
            return unauthorized_api();
        };
        let business_user_id = req.header("x-business-user-id");
        if access.client_credentials && business_user_id != Some(self.config.business_user_id.as_str()) {
            let msg = if business_user_id.is_none() {
                "a client-credentials token needs the x-business-user-id header"
            } else {
                "unknown x-business-user-id"
            };
            return Response::json(403, json!({ "message": msg }).to_string());
        }
        let echo = json!({
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "business_user_id": business_user_id,
            "content_type": req.header("content-type"),
            "body": String::from_utf8_lossy(&req.body),
        });
        Response::json(200, echo.to_string())
    }

    /// The control endpoints under `/_mock/`.
    pub(crate) fn control(&mut self, req: &Request) -> Response {
        let method_ok = |m: &str| req.method == m;
        let not_allowed = |m: &str| Response::json(405, json!({"error": format!("use {m}")}).to_string()).header("Allow", m);
        let body_json = || -> Result<Value, Response> {
            if req.body.iter().all(u8::is_ascii_whitespace) {
                return Ok(json!({}));
            }
            serde_json::from_slice(&req.body)
                .map_err(|e| Response::json(400, json!({"error": format!("body is not JSON: {e}")}).to_string()))
        };
        match req.path.trim_end_matches('/') {
            "/_mock/stats" if method_ok("GET") => Response::json(200, self.stats.to_json().to_string()),
            "/_mock/stats" => not_allowed("GET"),
            "/_mock/reset" if method_ok("POST") => {
                self.reset();
                Response::json(200, r#"{"ok":true}"#)
            }
            "/_mock/reset" => not_allowed("POST"),
            "/_mock/config" if method_ok("GET") => Response::json(200, self.config.to_json().to_string()),
            "/_mock/config" if method_ok("POST") => {
                let patch = match body_json() {
                    Ok(v) => v,
                    Err(r) => return r,
                };
                match self.config.merge(&patch) {
                    Ok(()) => Response::json(200, self.config.to_json().to_string()),
                    Err(e) => Response::json(400, json!({ "error": e }).to_string()),
                }
            }
            "/_mock/config" => not_allowed("POST"),
            "/_mock/fault" if method_ok("POST") => {
                let spec = match body_json() {
                    Ok(v) => v,
                    Err(r) => return r,
                };
                match Fault::from_json(&spec) {
                    Ok(f) => {
                        let answer = f.to_json().to_string();
                        self.faults.push_back(f);
                        Response::json(200, answer)
                    }
                    Err(e) => Response::json(400, json!({ "error": e }).to_string()),
                }
            }
            "/_mock/fault" => not_allowed("POST"),
            "/_mock/expire" if method_ok("POST") => {
                self.expire_all();
                Response::json(200, r#"{"ok":true}"#)
            }
            "/_mock/expire" => not_allowed("POST"),
            "/_mock/release" if method_ok("POST") => {
                self.releases += 1;
                Response::json(200, r#"{"ok":true}"#)
            }
            "/_mock/release" => not_allowed("POST"),
            "/_mock/last_token_request" if method_ok("GET") => {
                Response::json(200, self.last_token_request.as_ref().map_or(Value::Null, RecordedRequest::to_json).to_string())
            }
            "/_mock/last_api_request" if method_ok("GET") => {
                Response::json(200, self.last_api_request.as_ref().map_or(Value::Null, RecordedRequest::to_json).to_string())
            }
            "/_mock/last_token_request" | "/_mock/last_api_request" => not_allowed("GET"),
            _ => Response::json(404, json!({"error": format!("no control endpoint {}", req.path)}).to_string()),
        }
    }
}

fn unauthorized_api() -> Response {
    Response::json(401, r#"{"fault":{"faultstring":"Invalid access token"}}"#)
}

/// The answer a fault gives instead of the normal one (`slow` and every fault's `delay_ms` are
/// handled by the caller).
pub(crate) fn fault_response(fault: &Fault, route: Route, state: &mut State, req: &Request) -> Response {
    match fault.kind {
        FaultKind::TooManyRequests => {
            let r = Response::json(429, r#"{"error":"too_many_requests"}"#);
            match &fault.retry_after {
                Some(ra) => r.header("Retry-After", ra),
                None => r,
            }
        }
        FaultKind::Html500 => html_page(500, "500 Internal Server Error", "Something went wrong on our side. Please try again later."),
        FaultKind::ServiceUnavailable => Response::new(503, None, Vec::new()),
        FaultKind::Reset => {
            let mut r = Response::new(0, None, Vec::new());
            r.action = Action::Reset;
            r
        }
        FaultKind::Truncated => {
            let mut r = Response::json(200, r#"{"access_token":"truncat"#);
            r.action = Action::Truncated;
            r.close = true;
            r
        }
        FaultKind::Garbage => Response::new(200, Some("text/plain"), "this is not JSON: <garbage>\n"),
        FaultKind::NoAccessToken => Response::json(
            200,
            r#"{"token_type":"BearerToken","issued_at":"1700000000000","client_id":"mock-api-key","expires_in":"359999","status":"approved"}"#,
        ),
        FaultKind::BigBody => {
            let prefix = br#"{"access_token":"big-body","padding":""#;
            let suffix = br#""}"#;
            let size = usize::try_from(fault.size).unwrap_or(usize::MAX).min(512 * 1024 * 1024);
            let mut body = Vec::with_capacity(size.max(prefix.len() + suffix.len()));
            body.extend_from_slice(prefix);
            body.resize(size.saturating_sub(suffix.len()).max(prefix.len()), b'x');
            body.extend_from_slice(suffix);
            let r = Response::json(fault.status.unwrap_or(200), body);
            match &fault.retry_after {
                Some(ra) => r.header("Retry-After", ra),
                None => r,
            }
        }
        FaultKind::Unauthorized => {
            if route == Route::Api {
                state.stats.api_401 += 1;
                unauthorized_api()
            } else {
                oauth_error(401, "invalid_client", "fault injected: 401")
            }
        }
        FaultKind::EchoRequest => {
            // The body first, then the headers (Authorization first), then the request line: a
            // client that cuts the text short still meets the secrets.
            let mut echo = String::from_utf8_lossy(&req.body).into_owned();
            let mut headers: Vec<&(String, String)> = req.headers.iter().collect();
            headers.sort_by_key(|(k, _)| k != "authorization");
            for (k, v) in headers {
                echo.push_str(&format!("\n{k}: {v}"));
            }
            echo.push_str(&format!("\n{} {}{}{}", req.method, req.path, if req.query.is_empty() { "" } else { "?" }, req.query));
            let r = Response::json(fault.status.unwrap_or(400), json!({"error": "invalid_request", "error_description": echo}).to_string());
            match &fault.retry_after {
                Some(ra) => r.header("Retry-After", ra),
                None => r,
            }
        }
        FaultKind::Slow => unreachable!("slow is not an answer of its own"),
    }
}
