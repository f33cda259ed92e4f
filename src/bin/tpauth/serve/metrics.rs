//! `GET /metrics`: Prometheus's text format, with the names API.md fixes. Counters live here (what
//! the service answered) or in the core (token requests sent to Trustpilot, its 429s).

use super::identities::Identities;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The counters of one identity.
#[derive(Default)]
pub struct Counters {
    served: AtomicU64,
    invalidated_renewed: AtomicU64,
    invalidated_not_current: AtomicU64,
    /// Answers of the proxy, by HTTP status.
    proxied: Mutex<BTreeMap<u16, u64>>,
    /// 429 answers the API gave through the proxy.
    proxied_rate_limited: AtomicU64,
}

impl Counters {
    pub fn served(&self) {
        self.served.fetch_add(1, Ordering::Relaxed);
    }

    pub fn invalidation(&self, renewed: bool) {
        let c = if renewed { &self.invalidated_renewed } else { &self.invalidated_not_current };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn proxied(&self, code: u16) {
        *self.proxied.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(code).or_default() += 1;
        if code == 429 {
            self.proxied_rate_limited.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Every identity's counters, in the order of [`Identities::list`].
pub struct Metrics {
    pub per_identity: Vec<Counters>,
}

impl Metrics {
    pub fn new(n: usize) -> Metrics {
        Metrics { per_identity: (0..n).map(|_| Counters::default()).collect() }
    }
}

/// A label value, escaped as the text format wants (`\\`, `\"`, `\n`).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The metrics page.
pub fn render(ids: &Identities, m: &Metrics) -> String {
    let mut out = String::new();
    let each = || ids.list.iter().zip(&m.per_identity);
    header(&mut out, "tpauth_token_requests_total", "counter", "Token requests sent to Trustpilot, by grant type (retries included).");
    for (id, _) in each() {
        for (grant, n) in id.auth.token_request_stats().token_requests {
            let _ = writeln!(out, "tpauth_token_requests_total{{identity=\"{}\",grant=\"{grant}\"}} {n}", label(&id.name));
        }
    }
    header(&mut out, "tpauth_tokens_served_total", "counter", "Access tokens handed out by the token endpoints.");
    for (id, c) in each() {
        let _ = writeln!(out, "tpauth_tokens_served_total{{identity=\"{}\"}} {}", label(&id.name), c.served.load(Ordering::Relaxed));
    }
    header(
        &mut out,
        "tpauth_invalidations_total",
        "counter",
        "Invalidation requests; renewed=\"true\" when the token was still the current one (and was renewed).",
    );
    for (id, c) in each() {
        for (renewed, n) in [("true", &c.invalidated_renewed), ("false", &c.invalidated_not_current)] {
            let _ = writeln!(
                out,
                "tpauth_invalidations_total{{identity=\"{}\",renewed=\"{renewed}\"}} {}",
                label(&id.name),
                n.load(Ordering::Relaxed)
            );
        }
    }
    header(&mut out, "tpauth_proxy_requests_total", "counter", "Requests through the API proxy, by the HTTP status answered.");
    for (id, c) in each() {
        for (code, n) in c.proxied.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
            let _ = writeln!(out, "tpauth_proxy_requests_total{{identity=\"{}\",code=\"{code}\"}} {n}", label(&id.name));
        }
    }
    header(&mut out, "tpauth_rate_limited_total", "counter", "429 answers from Trustpilot (token endpoints and proxied API calls).");
    for (id, c) in each() {
        let n = id.auth.token_request_stats().rate_limited + c.proxied_rate_limited.load(Ordering::Relaxed);
        let _ = writeln!(out, "tpauth_rate_limited_total{{identity=\"{}\"}} {n}", label(&id.name));
    }
    header(
        &mut out,
        "tpauth_token_expiry_timestamp_seconds",
        "gauge",
        "When the held access token expires (Unix seconds; 0 without a token).",
    );
    for (id, _) in each() {
        let at = id.auth.current_expires_at_ms().map_or(0, |ms| ms / 1000);
        let _ = writeln!(out, "tpauth_token_expiry_timestamp_seconds{{identity=\"{}\"}} {at}", label(&id.name));
    }
    header(&mut out, "tpauth_cache_up", "gauge", "1 when the token cache is usable (backend=\"memory\": no token_cache, always 1).");
    for (id, _) in each() {
        let (backend, up) = id.auth.cache_status().unwrap_or(("memory", true));
        let _ = writeln!(out, "tpauth_cache_up{{identity=\"{}\",backend=\"{backend}\"}} {}", label(&id.name), u8::from(up));
    }
    out
}
