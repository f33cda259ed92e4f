//! The rules every request passes before any endpoint sees it, learnt from the GCE metadata server
//! (a required header), Vault Agent (`require_request_header`, socket permissions) and the ECS
//! credentials endpoint (a bearer read from a file, so that it can rotate):
//!
//! - the peer of a Unix socket must be an allowed uid or gid (`--allow-uid`, `--allow-gid`;
//!   `SO_PEERCRED`), when either is given;
//! - `X-Tpauth-Request: true` must be present: a browser cannot send it cross-site without a CORS
//!   preflight, which the service never answers;
//! - `Origin`, `Sec-Fetch-Site`, `X-Forwarded-For` and `Forwarded` are refused: the request came
//!   from a web page, or through a proxy that would lend the service to others;
//! - `Host` must be `localhost`, `127.0.0.1` or `[::1]` (any port), and given once: a
//!   DNS-rebinding page reaches loopback under its own name;
//! - over TCP, `Authorization: Bearer <--tcp-secret-file's content>`, the file read at each request.
//!
//! A refusal is 403 (401 for the bearer) with `{"error":"forbidden","error_description":"<rule>"}`.

use hyper::header::{HeaderMap, HeaderValue};
use std::path::PathBuf;

/// Who is on the other end of a connection.
#[derive(Clone, Copy, Debug)]
pub enum Peer {
    /// A Unix socket's peer: its uid and gid (`None` when the kernel did not tell). Never on
    /// Windows, where the service listens on TCP only; the rules stay one code for both.
    #[cfg_attr(not(unix), allow(dead_code))]
    Unix(Option<(u32, u32)>),
    Tcp,
}

/// The guards' settings.
pub struct Guard {
    pub allow_uid: Vec<u32>,
    pub allow_gid: Vec<u32>,
    pub tcp_secret_file: Option<PathBuf>,
}

/// Why a request was refused: its HTTP status and the rule.
pub struct Refusal {
    pub status: u16,
    pub rule: String,
}

fn refuse(rule: impl Into<String>) -> Refusal {
    Refusal { status: 403, rule: rule.into() }
}

/// A `Host` value naming loopback: `localhost`, `127.0.0.1` or `[::1]`, with or without a port.
fn loopback_host(value: &HeaderValue) -> bool {
    let Ok(v) = value.to_str() else {
        return false;
    };
    let host = if let Some(rest) = v.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, port)) if port.is_empty() || port.strip_prefix(':').is_some_and(valid_port) => return h == "::1",
            _ => return false,
        }
    } else {
        match v.split_once(':') {
            Some((h, port)) if valid_port(port) => h,
            Some(_) => return false,
            None => v,
        }
    };
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1"
}

fn valid_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

impl Guard {
    /// Check one request; `Err` says which rule refused it.
    pub fn check(&self, peer: Peer, headers: &HeaderMap) -> Result<(), Refusal> {
        if let Peer::Unix(creds) = peer {
            if !self.allow_uid.is_empty() || !self.allow_gid.is_empty() {
                match creds {
                    Some((uid, gid)) if self.allow_uid.contains(&uid) || self.allow_gid.contains(&gid) => {}
                    Some((uid, gid)) => {
                        return Err(refuse(format!("peer uid {uid} / gid {gid} is not allowed (--allow-uid, --allow-gid)")));
                    }
                    None => return Err(refuse("the peer's credentials are unknown, and --allow-uid/--allow-gid are set")),
                }
            }
        }
        match headers.get("x-tpauth-request").map(HeaderValue::as_bytes) {
            Some(v) if v.eq_ignore_ascii_case(b"true") => {}
            _ => return Err(refuse("the X-Tpauth-Request: true header is required")),
        }
        for name in ["origin", "sec-fetch-site", "x-forwarded-for", "forwarded"] {
            if headers.contains_key(name) {
                return Err(refuse(format!(
                    "a request with an {} header is refused (browsers and proxies may not use the service)",
                    header_title(name)
                )));
            }
        }
        // Exactly one Host: with two, a proxy in front may route by one while this check reads
        // the other (RFC 9112 §3.2 makes it a bad request).
        let mut hosts = headers.get_all(hyper::header::HOST).iter();
        match (hosts.next(), hosts.next()) {
            (Some(h), None) if loopback_host(h) => {}
            (Some(_), Some(_)) => return Err(refuse("a request with more than one Host header is refused")),
            (Some(_), None) => return Err(refuse("the Host header must be localhost, 127.0.0.1 or [::1] (DNS rebinding)")),
            (None, _) => return Err(refuse("the Host header is required (localhost, 127.0.0.1 or [::1])")),
        }
        if matches!(peer, Peer::Tcp) {
            self.check_bearer(headers)?;
        }
        Ok(())
    }

    fn check_bearer(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let unauthorized = |rule: &str| Refusal { status: 401, rule: rule.to_owned() };
        let Some(file) = &self.tcp_secret_file else {
            return Err(unauthorized("TCP needs --tcp-secret-file"));
        };
        // Read at every request, so that the secret can rotate without a restart.
        let expected = match std::fs::read_to_string(file) {
            Ok(s) => zeroize::Zeroizing::new(s),
            Err(e) => {
                eprintln!("tpauth serve: --tcp-secret-file {}: cannot read it ({}); refusing TCP requests", file.display(), e.kind());
                return Err(unauthorized("the service cannot read its bearer file"));
            }
        };
        let expected = expected.trim();
        let given = headers.get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        match given {
            None => Err(unauthorized("a TCP request needs Authorization: Bearer <the content of --tcp-secret-file>")),
            Some(t) if !expected.is_empty() && same_secret(t, expected) => Ok(()),
            Some(_) => Err(unauthorized("the bearer is wrong")),
        }
    }
}

/// Compare two secrets in a time that tells nothing of where they differ, nor of their lengths:
/// their SHA-256 digests, every byte looked at.
fn same_secret(a: &str, b: &str) -> bool {
    let (da, db) = (ring::digest::digest(&ring::digest::SHA256, a.as_bytes()), ring::digest::digest(&ring::digest::SHA256, b.as_bytes()));
    da.as_ref().iter().zip(db.as_ref()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn header_title(name: &str) -> &'static str {
    match name {
        "origin" => "Origin",
        "sec-fetch-site" => "Sec-Fetch-Site",
        "x-forwarded-for" => "X-Forwarded-For",
        _ => "Forwarded",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn loopback_hosts() {
        for ok in ["localhost", "LOCALHOST:80", "127.0.0.1", "127.0.0.1:8200", "[::1]", "[::1]:8200"] {
            assert!(loopback_host(&hv(ok)), "{ok}");
        }
        for bad in [
            "evil.com",
            "localhost.evil.com",
            "127.0.0.2",
            "127.0.0.1.nip.io",
            "[::2]",
            "localhost:",
            "localhost:x",
            "[::1]x",
            "0.0.0.0",
            "",
        ] {
            assert!(!loopback_host(&hv(bad)), "{bad}");
        }
    }
}
