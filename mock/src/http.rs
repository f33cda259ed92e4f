//! A minimal, strict HTTP/1.1 server side: request parsing (Content-Length and chunked bodies,
//! `Expect: 100-continue`) and response writing (status line, headers and body in one `write`).

use std::io::{self, BufRead, Read, Write};

/// The largest header block and body the mock accepts.
const MAX_HEADER_BYTES: u64 = 64 * 1024;
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// One parsed request.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    /// The raw query string, without `?` (empty when none).
    pub query: String,
    /// Header names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client wants the connection kept open after this request.
    pub keep_alive: bool,
}

impl Request {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The client closed the connection between requests.
    Eof,
    /// A malformed request: answer 400 and close.
    Bad(String),
    /// A body over the limit: answer 413 and close.
    TooLarge,
    /// The socket failed.
    Io,
}

fn read_line<R: BufRead>(r: &mut R, budget: &mut u64) -> Result<Option<String>, ReadError> {
    let mut buf = Vec::new();
    let n = r.by_ref().take(*budget + 1).read_until(b'\n', &mut buf).map_err(|_| ReadError::Io)?;
    if n == 0 {
        return Ok(None);
    }
    if n as u64 > *budget {
        return Err(ReadError::Bad("header block too large".into()));
    }
    *budget -= n as u64;
    if buf.last() != Some(&b'\n') {
        return Err(ReadError::Bad("connection closed inside the header block".into()));
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    String::from_utf8(buf).map(Some).map_err(|_| ReadError::Bad("header is not UTF-8".into()))
}

/// Read one request. `w` receives the interim `100 Continue` when the client asks for it.
pub(crate) fn read_request<R: BufRead, W: Write>(r: &mut R, w: &mut W) -> Result<Request, ReadError> {
    let mut budget = MAX_HEADER_BYTES;
    // Tolerate empty lines before a request line (RFC 9112 §2.2).
    let line = loop {
        match read_line(r, &mut budget)? {
            None => return Err(ReadError::Eof),
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let mut parts = line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) if !m.is_empty() && !t.is_empty() => (m.to_owned(), t.to_owned(), v.to_owned()),
        _ => return Err(ReadError::Bad(format!("malformed request line {line:?}"))),
    };
    let http11 = match version.as_str() {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(ReadError::Bad(format!("unsupported version {version:?}"))),
    };
    let mut headers = Vec::new();
    loop {
        let Some(l) = read_line(r, &mut budget)? else {
            return Err(ReadError::Bad("connection closed inside the header block".into()));
        };
        if l.is_empty() {
            break;
        }
        let Some((name, value)) = l.split_once(':') else {
            return Err(ReadError::Bad(format!("malformed header line {l:?}")));
        };
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(ReadError::Bad(format!("malformed header name {name:?}")));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    // Absolute-form targets (proxies) are reduced to their path.
    let target = match target.split_once("://") {
        Some((_, rest)) if !target.starts_with('/') => rest.find('/').map_or_else(|| "/".to_owned(), |i| rest[i..].to_owned()),
        _ => target,
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (target, String::new()),
    };
    let mut req = Request { method, path, query, headers, body: Vec::new(), keep_alive: http11 };
    if let Some(c) = req.header("connection") {
        let c = c.to_ascii_lowercase();
        if c.split(',').any(|t| t.trim() == "close") {
            req.keep_alive = false;
        } else if c.split(',').any(|t| t.trim() == "keep-alive") {
            req.keep_alive = true;
        }
    }
    let chunked = req.header("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().split(',').any(|t| t.trim() == "chunked"));
    let length = match req.header("content-length") {
        Some(v) if !chunked => Some(v.parse::<usize>().map_err(|_| ReadError::Bad(format!("bad Content-Length {v:?}")))?),
        _ => None,
    };
    if length.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ReadError::TooLarge);
    }
    if (chunked || length.is_some_and(|n| n > 0)) && req.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").map_err(|_| ReadError::Io)?;
        w.flush().map_err(|_| ReadError::Io)?;
    }
    if chunked {
        req.body = read_chunked(r)?;
    } else if let Some(n) = length {
        let mut body = vec![0; n];
        r.read_exact(&mut body).map_err(|_| ReadError::Bad("connection closed inside the body".into()))?;
        req.body = body;
    }
    Ok(req)
}

fn read_chunked<R: BufRead>(r: &mut R) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let mut budget = 4096;
        let line = read_line(r, &mut budget)?.ok_or_else(|| ReadError::Bad("connection closed inside a chunked body".into()))?;
        let size_hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| ReadError::Bad(format!("bad chunk size {size_hex:?}")))?;
        if size == 0 {
            // Trailers, up to the empty line.
            let mut budget = MAX_HEADER_BYTES;
            loop {
                match read_line(r, &mut budget)? {
                    Some(l) if l.is_empty() => return Ok(body),
                    Some(_) => {}
                    None => return Err(ReadError::Bad("connection closed inside chunked trailers".into())),
                }
            }
        }
        if body.len() + size > MAX_BODY_BYTES {
            return Err(ReadError::TooLarge);
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..]).map_err(|_| ReadError::Bad("connection closed inside a chunk".into()))?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf).map_err(|_| ReadError::Bad("connection closed after a chunk".into()))?;
        if &crlf != b"\r\n" {
            return Err(ReadError::Bad("chunk not followed by CRLF".into()));
        }
    }
}

/// What happens on the wire after (or instead of) the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Write the answer; keep the connection if both sides want it.
    Normal,
    /// Write nothing and close with SO_LINGER 0, so the client sees a TCP RST.
    Reset,
    /// Write a `Content-Length` larger than the body, the body, then close.
    Truncated,
}

/// One answer.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub close: bool,
    pub action: Action,
}

impl Response {
    pub fn new(status: u16, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Response {
        let mut headers = Vec::new();
        if let Some(ct) = content_type {
            headers.push(("Content-Type".to_owned(), ct.to_owned()));
        }
        Response { status, headers, body: body.into(), close: false, action: Action::Normal }
    }

    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, Some("application/json"), body)
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Status line, headers and body as one buffer (written with one `write_all`, so that a
    /// client never waits on Nagle between headers and body).
    pub fn to_bytes(&self, keep_alive: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status)).as_bytes());
        out.extend_from_slice(b"Server: tpauth-mock\r\n");
        for (n, v) in &self.headers {
            out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        let declared = if self.action == Action::Truncated { self.body.len() + 100 } else { self.body.len() };
        out.extend_from_slice(format!("Content-Length: {declared}\r\n").as_bytes());
        out.extend_from_slice(if keep_alive { b"Connection: keep-alive\r\n\r\n" as &[u8] } else { b"Connection: close\r\n\r\n" });
        out.extend_from_slice(&self.body);
        out
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// Write `bytes` in one call (the kernel may still split a very large body).
pub(crate) fn write_all(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    w.write_all(bytes)?;
    w.flush()
}
