//! The endpoints: the token (JSON or raw), compare-and-invalidate, the API proxy, `/healthz`,
//! `/readyz` and `/metrics`. A request reaches them only past the guards (`guard.rs`).

// A refusal here is the answer itself, made once per request and sent at once: boxing it would
// add an allocation for nothing.
#![allow(clippy::result_large_err)]

use super::answer::{self, Answer};
use super::identities::Identity;
use super::{proxy, App};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request};
use std::sync::Arc;
use tpauth::{Error, Status, Token};

/// The largest invalidation body accepted: `{"access_token":"…"}` is a few hundred bytes.
const MAX_INVALIDATE_BODY: usize = 64 * 1024;

/// Which identity a request names: its index, or the answer refusing it.
fn identity(app: &App, name: Option<&str>) -> Result<usize, Answer> {
    let ids = &app.ids;
    match name {
        Some(n) => ids.list.iter().position(|i| i.name == n).ok_or_else(|| {
            let known: Vec<&str> = ids.list.iter().map(|i| i.name.as_str()).collect();
            answer::invalid(404, format!("no identity named {n:?} (configured: {})", known.join(", ")))
        }),
        None => ids.default.ok_or_else(|| {
            answer::invalid(
                404,
                "no default identity: name one in the path (/v1/token/NAME), or set default = \"NAME\" in the configuration",
            )
        }),
    }
}

fn method_not_allowed(allow: &'static str) -> Answer {
    let mut r = answer::no_route(405, "method_not_allowed", &format!("this endpoint answers {allow}"));
    r.headers_mut().insert(hyper::header::ALLOW, hyper::header::HeaderValue::from_static(allow));
    r
}

/// `?format=raw` (the bare token) or `?format=json` (the default).
fn wants_raw(query: Option<&str>) -> Result<bool, Answer> {
    let mut raw = false;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        if let Some(v) = pair.strip_prefix("format=") {
            raw = match v {
                "raw" => true,
                "json" => false,
                other => return Err(answer::invalid(400, format!("format={other:?}: expected raw or json"))),
            };
        }
    }
    Ok(raw)
}

pub async fn route(app: Arc<App>, req: Request<Incoming>) -> Answer {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let get_like = method == Method::GET || method == Method::HEAD;
    if let Some(rest) = path.strip_prefix("/v1/proxy/") {
        return proxy::forward(app, rest.to_owned(), req).await;
    }
    match path.as_str() {
        "/healthz" if get_like => answer::text(200, "ok"),
        "/readyz" if get_like => readyz(app).await,
        "/metrics" if get_like => answer::metrics(super::metrics::render(&app.ids, &app.metrics)),
        "/healthz" | "/readyz" | "/metrics" => method_not_allowed("GET, HEAD"),
        "/v1/proxy" => answer::invalid(400, "the proxy needs an API path: /v1/proxy/PATH"),
        _ => {
            let Some(rest) = path.strip_prefix("/v1/token") else {
                return answer::no_route(404, "not_found", &format!("no endpoint {path}"));
            };
            let segments: Vec<&str> = if rest.is_empty() { Vec::new() } else { rest[1..].split('/').collect() };
            if !rest.is_empty() && !rest.starts_with('/') {
                return answer::no_route(404, "not_found", &format!("no endpoint {path}"));
            }
            let (name, invalidate) = match segments.as_slice() {
                [] => (None, false),
                ["invalidate"] => (None, true),
                [name] if !name.is_empty() => (Some(*name), false),
                [name, "invalidate"] if !name.is_empty() => (Some(*name), true),
                _ => return answer::no_route(404, "not_found", &format!("no endpoint {path}")),
            };
            let raw = match wants_raw(req.uri().query()) {
                Ok(r) => r,
                Err(a) => return a,
            };
            let idx = match identity(&app, name) {
                Ok(i) => i,
                Err(a) => return a,
            };
            match (invalidate, method == Method::GET, method == Method::POST) {
                (false, true, _) => token(app, idx, raw, None).await,
                (false, ..) => method_not_allowed("GET"),
                (true, _, true) => match invalidation_body(req).await {
                    Ok(at) => token(app, idx, raw, Some(at)).await,
                    Err(a) => a,
                },
                (true, ..) => method_not_allowed("POST"),
            }
        }
    }
}

/// `{"access_token":"…"}` from an invalidation request.
async fn invalidation_body(req: Request<Incoming>) -> Result<zeroize::Zeroizing<String>, Answer> {
    let body = http_body_util::Limited::new(req.into_body(), MAX_INVALIDATE_BODY)
        .collect()
        .await
        .map_err(|_| {
            answer::invalid(400, format!("the body must be JSON {{\"access_token\":\"…\"}} of at most {MAX_INVALIDATE_BODY} bytes"))
        })?
        .to_bytes();
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| answer::invalid(400, "the body must be JSON {\"access_token\":\"…\"}"))?;
    match value.get("access_token").and_then(serde_json::Value::as_str) {
        Some(at) if !at.is_empty() => Ok(zeroize::Zeroizing::new(at.to_owned())),
        _ => Err(answer::invalid(400, "the body must be JSON {\"access_token\":\"…\"} with the token the API refused")),
    }
}

/// The managed token, off the runtime's threads when it may do I/O.
pub async fn get_token(id: &Identity) -> Result<Token, Error> {
    if let Some(t) = id.auth.current_token_if_fresh() {
        return Ok(t);
    }
    let auth = id.auth.clone();
    tokio::task::spawn_blocking(move || auth.get_token())
        .await
        .unwrap_or_else(|e| Err(Error::new(Status::Internal, format!("the renewal task failed: {e}"))))
}

/// `GET /v1/token[/{identity}]`, and `POST …/invalidate` with the refused token `refused`.
async fn token(app: Arc<App>, idx: usize, raw: bool, refused: Option<zeroize::Zeroizing<String>>) -> Answer {
    let id = &app.ids.list[idx];
    let counters = &app.metrics.per_identity[idx];
    if let Some(at) = refused {
        // Compare-and-invalidate: only the caller whose token is still the current one starts a
        // renewal; the others, and every later caller, get the renewed token.
        let renewed = id.auth.invalidate_if_current(&at).unwrap_or(false);
        counters.invalidation(renewed);
    }
    // A token is never served expired: if the one obtained expired on the way (a clock tick at
    // the edge of its life), the next call renews it.
    for _ in 0..2 {
        match get_token(id).await {
            Ok(t) => {
                if let Some(a) = answer::token(&t, &id.name, raw) {
                    counters.served();
                    return a;
                }
            }
            Err(e) => return answer::error(&e),
        }
    }
    answer::error(&Error::new(Status::NoToken, "the token expired as it was obtained; ask again"))
}

/// `GET /readyz`: 200 when every identity holds or can get a valid token, else 503 naming the
/// first that cannot and why (every one that cannot under `identities`).
async fn readyz(app: Arc<App>) -> Answer {
    let mut failing = Vec::new();
    let mut first: Option<(String, Error)> = None;
    for id in &app.ids.list {
        if let Err(e) = get_token(id).await {
            failing.push(serde_json::json!({
                "identity": id.name,
                "error": e.status().name(),
                "error_description": e.message(),
                "status": e.status().code(),
            }));
            if first.is_none() {
                first = Some((id.name.clone(), e));
            }
        }
    }
    match first {
        None => answer::text(200, "ok"),
        Some((name, e)) => {
            answer::error_with(&e, 503, &[("identity", serde_json::Value::from(name)), ("identities", serde_json::Value::from(failing))])
        }
    }
}
