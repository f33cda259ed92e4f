//! `ANY /v1/proxy/[{identity}/]{path}`: the caller's request goes to `{api_base_url}/{path}` with
//! the identity's token, `apikey` and `x-business-user-id` (the core adds them, by the rule every
//! binding follows: `tpauth::Auth::forward`), and the answer streams back.
//!
//! The path may not leave the API host or its base path: `//host`, a `.` or `..` segment (also
//! as `%2e`), an encoded `/` or `\` (`%2f`, `%5c`), a scheme (`https:`), a control character or a
//! malformed `%` escape is a 400, and nothing is sent. The caller's `Authorization`, `apikey`,
//! `Host`, `X-Tpauth-Request` and hop-by-hop headers are never forwarded.
//!
//! The request body is held (up to the identity's `max_response_bytes`) because a 401 resends
//! it once with a renewed token; the answer is streamed, and cut off past the same cap.

use super::answer::{self, Answer, Body};
use super::App;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use std::io::Read as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{mpsc, oneshot};

/// Headers of one connection only (RFC 9110 §7.6.1), never forwarded either way.
const HOP_BY_HOP: [&str; 8] =
    ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];
/// The caller's headers the service replaces or that concern the service alone.
const NOT_FORWARDED: [&str; 6] = ["authorization", "apikey", "host", "x-tpauth-request", "content-length", "expect"];
/// How much of the answer is read at a time.
const CHUNK: usize = 64 * 1024;

fn refuse(why: &str) -> Answer {
    answer::invalid(400, format!("proxy path refused: {why}; the proxy reaches paths under api_base_url only"))
}

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// A segment with its `%XX` escapes decoded; `None` for a malformed escape.
fn decode(segment: &str) -> Option<Vec<u8>> {
    let b = segment.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let (h, l) = (hex(*b.get(i + 1)?)?, hex(*b.get(i + 2)?)?);
            out.push(h * 16 + l);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Check the API path (what follows `/v1/proxy/[identity/]`, as sent: still percent-encoded).
pub fn check_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("no API path");
    }
    if path.starts_with('/') {
        return Err("it starts with '//' (another host)");
    }
    let segments: Vec<&str> = path.split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        if seg.is_empty() && i + 1 < segments.len() {
            return Err("an empty segment ('//')");
        }
        if seg.contains('\\') {
            return Err("a backslash");
        }
        let decoded = decode(seg).ok_or("a malformed %-escape")?;
        if decoded == b"." || decoded == b".." {
            return Err("a '.' or '..' segment (also as %2e)");
        }
        if decoded.iter().any(|b| *b == b'/' || *b == b'\\') {
            return Err("an encoded '/' or '\\' (%2f, %5c)");
        }
        if decoded.iter().any(|b| b.is_ascii_control()) {
            return Err("a control character");
        }
        if i == 0 && decoded.contains(&b':') {
            return Err("a scheme or host ('name:' in the first segment)");
        }
    }
    Ok(())
}

/// The answer's body: chunks from the thread reading the API's answer, and its exact length when
/// the API gave one (hyper then sends `Content-Length`).
struct Streamed {
    rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
    len: Option<u64>,
}

impl hyper::body::Body for Streamed {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        self.len.map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}

/// Whether `name` is listed in the `Connection` header (a hop-by-hop header the sender named).
fn named_by_connection(headers: &hyper::HeaderMap, name: &str) -> bool {
    headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(name))
}

pub async fn forward(app: Arc<App>, rest: String, req: Request<Incoming>) -> Answer {
    // `{identity}/` first when it names one; otherwise the default identity.
    let (idx, path) = match rest.split_once('/') {
        Some((first, path)) if app.ids.get(first).is_some() => (app.ids.list.iter().position(|i| i.name == first), path.to_owned()),
        _ => (app.ids.default, rest),
    };
    let Some(idx) = idx else {
        return answer::invalid(404, "no default identity: name one first, /v1/proxy/NAME/PATH");
    };
    let code_of = |a: &Answer| a.status().as_u16();
    let out = forward_as(&app, idx, path, req).await;
    app.metrics.per_identity[idx].proxied(code_of(&out));
    out
}

async fn forward_as(app: &Arc<App>, idx: usize, path: String, req: Request<Incoming>) -> Answer {
    if let Err(why) = check_path(&path) {
        return refuse(why);
    }
    let id = &app.ids.list[idx];
    let path_and_query = match req.uri().query() {
        Some(q) => format!("/{path}?{q}"),
        None => format!("/{path}"),
    };
    let method = req.method().as_str().to_owned();
    let head_request = req.method() == hyper::Method::HEAD;
    let mut headers = Vec::new();
    for (name, value) in req.headers() {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n) || NOT_FORWARDED.contains(&n) || named_by_connection(req.headers(), n) {
            continue;
        }
        let Ok(v) = value.to_str() else {
            return answer::invalid(400, format!("header {n}: the proxy forwards printable ASCII header values only"));
        };
        headers.push((n.to_owned(), v.to_owned()));
    }
    let cap = id.max_body;
    if let Some(len) = req.headers().get(hyper::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok()) {
        if len > cap {
            return answer::invalid(413, format!("the request body ({len} bytes) is larger than max_response_bytes ({cap})"));
        }
    }
    // The whole body, for the one resend after a 401. A caller that goes away mid-body ends here:
    // nothing was sent to the API.
    let body = match http_body_util::Limited::new(req.into_body(), usize::try_from(cap).unwrap_or(usize::MAX)).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return answer::invalid(413, format!("the request body is larger than max_response_bytes ({cap})"));
        }
        Err(_) => return answer::invalid(400, "the request body could not be read (the client went away?)"),
    };
    let send_body = !(body.is_empty() && matches!(method.as_str(), "GET" | "HEAD" | "DELETE" | "OPTIONS"));

    // The core's blocking client runs on a blocking thread, which then reads the answer and hands
    // it over chunk by chunk; the caller's pace bounds the memory (a channel of 4 chunks).
    let (head_tx, head_rx) = oneshot::channel();
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let auth = id.auth.clone();
    tokio::task::spawn_blocking(move || {
        let sent = auth.forward(&method, &path_and_query, &headers, send_body.then_some(&body[..]));
        let mut fwd = match sent {
            Ok(f) => f,
            Err(e) => {
                let _ = head_tx.send(Err(e));
                return;
            }
        };
        if head_tx.send(Ok((fwd.status, std::mem::take(&mut fwd.headers)))).is_err() {
            return;
        }
        let mut buf = vec![0u8; CHUNK];
        loop {
            match fwd.body.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if tx.blocking_send(Ok(Bytes::copy_from_slice(&buf[..n]))).is_err() {
                        return; // the caller went away: stop reading (the API connection closes)
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    eprintln!("tpauth serve: proxy: the API's answer was cut off: {e}");
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    let (status, upstream) = match head_rx.await {
        Ok(Ok(head)) => head,
        Ok(Err(e)) => return answer::error(&e),
        Err(_) => return answer::error(&tpauth::Error::new(tpauth::Status::Internal, "the proxy's request task failed")),
    };
    let content_length =
        upstream.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).and_then(|(_, v)| v.trim().parse::<u64>().ok());
    if content_length.is_some_and(|n| n > cap) && !head_request {
        return answer::error_with(
            &tpauth::Error::new(
                tpauth::Status::Protocol,
                format!("the API's answer ({} bytes) is larger than max_response_bytes ({cap})", content_length.unwrap_or(0)),
            ),
            502,
            &[],
        );
    }
    let no_body = head_request || status == 204 || status == 304 || (100..200).contains(&status);
    let body: Body = if no_body { answer::full(Bytes::new()) } else { Streamed { rx, len: content_length }.boxed() };
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let connection_named: Vec<String> = upstream
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_ascii_lowercase()).collect::<Vec<_>>())
        .collect();
    for (k, v) in &upstream {
        let lower = k.to_ascii_lowercase();
        let keep_length = lower == "content-length" && head_request;
        if HOP_BY_HOP.contains(&lower.as_str()) || connection_named.contains(&lower) || (lower == "content-length" && !keep_length) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
            resp.headers_mut().append(name, value);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::check_path;

    #[test]
    fn paths_that_leave_the_api_are_refused() {
        for ok in ["v1/business-units/1", "v1/x/", "v1/a%20b", "v1/x:y", "v1/%41"] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/evil.com/x",
            "v1/../x",
            "..",
            "v1/%2e%2e/x",
            "v1/%2E%2e",
            "v1/./x",
            "v1%2fx",
            "v1%2F..%2Fx",
            "v1/a%5cb",
            "v1\\x",
            "https:%2F%2Fevil.com",
            "https://evil.com/x",
            "evil.com:443/x",
            "v1//x",
            "v1/%0d%0a",
            "v1/%zz",
            "v1/%4",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
    }
}
