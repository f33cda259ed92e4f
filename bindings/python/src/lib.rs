//! `tpauth._tpauth`: the Python skin over the Rust core (not over the C ABI).
//!
//! Every blocking call releases the GIL (`Python::allow_threads`) and runs inside `catch_unwind`, so
//! that a panic of the core becomes `tpauth.InternalError` instead of crossing into Python. Errors
//! are raised as instances of the pure-Python hierarchy in `tpauth/_errors.py`.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// `tpauth._errors._from_native`, looked up once.
static FROM_NATIVE: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
/// `tpauth._errors._UnknownOption`, looked up once.
static UNKNOWN_OPTION: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
/// `tpauth._headers.Headers`, looked up once.
static HEADERS: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
/// `json.loads`, looked up once.
static JSON_LOADS: GILOnceCell<Py<PyAny>> = GILOnceCell::new();

fn cached<'py>(py: Python<'py>, cell: &'static GILOnceCell<Py<PyAny>>, module: &str, attr: &str) -> PyResult<Bound<'py, PyAny>> {
    let obj = cell.get_or_try_init(py, || -> PyResult<Py<PyAny>> { Ok(py.import(module)?.getattr(attr)?.unbind()) })?;
    Ok(obj.bind(py).clone())
}

/// The core's error as an instance of the matching `tpauth.Error` subclass.
fn to_py_err(py: Python<'_>, e: &tpauth::Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let from_native = cached(py, &FROM_NATIVE, "tpauth._errors", "_from_native")?;
        let http = if e.http_status() == 0 { None } else { Some(e.http_status()) };
        let retry = e.retry_after().map(|d| d.as_secs_f64());
        let exc = from_native.call1((e.status().code(), e.message(), http, e.oauth_code(), retry))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|err| err)
}

fn internal(py: Python<'_>, what: &str) -> PyErr {
    to_py_err(py, &tpauth::Error::new(tpauth::Status::Internal, format!("{what}: the library panicked (a bug; please report it)")))
}

/// Run `f` without the GIL and without letting a panic escape.
fn blocking<T: Send>(py: Python<'_>, what: &str, f: impl FnOnce() -> tpauth::Result<T> + Send) -> PyResult<T> {
    match py.allow_threads(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py_err(py, &e)),
        Err(_) => Err(internal(py, what)),
    }
}

/// Run a quick, non-blocking core call (with the GIL held) without letting a panic escape.
fn quick<T>(py: Python<'_>, what: &str, f: impl FnOnce() -> tpauth::Result<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py_err(py, &e)),
        Err(_) => Err(internal(py, what)),
    }
}

/// An option value as the core wants it: `str(value)`, with booleans as `true`/`false`.
fn option_value(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(b) = value.downcast::<PyBool>() {
        return Ok(if b.is_true() { "true" } else { "false" }.to_owned());
    }
    if let Ok(s) = value.downcast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    Ok(value.str()?.to_cow()?.into_owned())
}

/// The option keys that `**options` may name (every key of the contract's options table). An
/// unknown key raises `tpauth.InvalidArgument` (as the C ABI's unknown option does) that is also a
/// `TypeError` (as Python's unexpected keyword argument is).
fn check_option_key(py: Python<'_>, func: &str, key: &str) -> PyResult<()> {
    if tpauth::OPTION_KEYS.contains(&key) {
        return Ok(());
    }
    let msg = format!("{func}() got an unexpected keyword argument '{key}' (options: timeout, {})", tpauth::OPTION_KEYS.join(", "));
    let build = || -> PyResult<PyErr> {
        let cls = cached(py, &UNKNOWN_OPTION, "tpauth._errors", "_UnknownOption")?;
        Ok(PyErr::from_value(cls.call1((msg.as_str(),))?))
    };
    Err(build().unwrap_or_else(|err| err))
}

/// `timeout` in seconds → `timeout_ms`.
fn timeout_ms(py: Python<'_>, timeout: f64) -> PyResult<String> {
    if !timeout.is_finite() || timeout <= 0.0 || timeout > 1e9 {
        let msg = format!("timeout: expected a positive number of seconds, got {timeout}");
        return Err(to_py_err(py, &tpauth::Error::invalid_argument(msg)));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ms = ((timeout * 1000.0).round() as u64).max(1);
    Ok(ms.to_string())
}

/// `Auth._prepare_api_call`'s answer: the URL, the headers (None: renewal needed), the access token.
type PreparedCall = (String, Option<Vec<(&'static str, String)>>, Option<String>);

/// A Trustpilot client: every grant, the managed token and API calls. Thread-safe: share one.
#[pyclass(frozen, module = "tpauth", name = "Auth")]
struct Auth {
    inner: tpauth::Auth,
    api_key: String,
    api_base_url: String,
    business_user_id: Option<String>,
    /// The `Token` object last returned for a fresh managed token, and that token: while the core
    /// keeps answering the same token, `get_token()` returns this object again (no allocation).
    fresh: std::sync::Mutex<Option<(tpauth::Token, Py<Token>)>>,
}

/// Refuse an unknown keyword before anything else is read (environment, network).
fn check_option_keys(func: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    if let Some(opts) = options {
        for k in opts.keys() {
            let key: String = k.extract()?;
            if key != "timeout" {
                check_option_key(opts.py(), func, &key)?;
            }
        }
    }
    Ok(())
}

fn apply_options(
    func: &str,
    cfg: &mut tpauth::Config,
    named: &[(&str, Option<String>)],
    options: Option<&Bound<'_, PyDict>>,
    py: Python<'_>,
) -> PyResult<()> {
    for (key, value) in named {
        if let Some(v) = value {
            quick(py, "Config::set", || cfg.set(key, v))?;
        }
    }
    if let Some(opts) = options {
        for (k, v) in opts.iter() {
            let key: String = k.extract()?;
            if key == "timeout" {
                if !v.is_none() {
                    let secs: f64 = v.extract().map_err(|_| PyTypeError::new_err("timeout: expected a number of seconds"))?;
                    let ms = timeout_ms(py, secs)?;
                    quick(py, "Config::set", || cfg.set("timeout_ms", &ms))?;
                }
                continue;
            }
            check_option_key(py, func, &key)?;
            if v.is_none() {
                continue;
            }
            let value = option_value(&v)?;
            quick(py, "Config::set", || cfg.set(&key, &value))?;
        }
    }
    Ok(())
}

impl Auth {
    /// A client for `cfg`; the getters' values come from the core's configuration (never re-read).
    fn build(py: Python<'_>, cfg: &tpauth::Config) -> PyResult<Auth> {
        let inner = quick(py, "Auth::new", || tpauth::Auth::new(cfg))?;
        Ok(Auth {
            inner,
            api_key: cfg.api_key().to_owned(),
            api_base_url: cfg.api_base_url().to_owned(),
            business_user_id: cfg.business_user_id().map(str::to_owned),
            fresh: std::sync::Mutex::new(None),
        })
    }

    /// The managed token while it is fresh (no I/O and no waiting, so the GIL stays held), as the
    /// `Token` object returned last when it is the same token.
    fn fresh_token(&self, py: Python<'_>) -> PyResult<Option<Py<Token>>> {
        let Some(t) = catch_unwind(AssertUnwindSafe(|| self.inner.current_token_if_fresh())).unwrap_or(None) else {
            return Ok(None);
        };
        let mut last = self.fresh.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((known, obj)) = &*last {
            if tpauth::Token::ptr_eq(known, &t) {
                return Ok(Some(obj.clone_ref(py)));
            }
        }
        let obj = Py::new(py, Token(t.clone()))?;
        *last = Some((t, obj.clone_ref(py)));
        Ok(Some(obj))
    }
}

#[pymethods]
impl Auth {
    #[new]
    #[pyo3(signature = (api_key, api_secret, *, api_base_url=None, authorize_url=None, username=None, password=None,
                        grant=None, business_user_id=None, token_cache=None, timeout=30.0, allow_insecure_http=false,
                        **options))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        api_key: &str,
        api_secret: &str,
        api_base_url: Option<String>,
        authorize_url: Option<String>,
        username: Option<String>,
        password: Option<String>,
        grant: Option<String>,
        business_user_id: Option<String>,
        token_cache: Option<String>,
        timeout: f64,
        allow_insecure_http: bool,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Auth> {
        check_option_keys("Auth", options)?;
        let mut cfg = quick(py, "Config::new", || tpauth::Config::new(api_key, api_secret))?;
        let named = [
            ("api_base_url", api_base_url),
            ("authorize_url", authorize_url),
            ("username", username),
            ("password", password),
            ("grant", grant),
            ("business_user_id", business_user_id),
            ("token_cache", token_cache),
            ("timeout_ms", Some(timeout_ms(py, timeout)?)),
            ("allow_insecure_http", Some(allow_insecure_http.to_string())),
        ];
        apply_options("Auth", &mut cfg, &named, options, py)?;
        Auth::build(py, &cfg)
    }

    /// A client configured from `TRUSTPILOT_*` environment variables; keyword arguments (the
    /// constructor's) override them.
    #[staticmethod]
    #[pyo3(signature = (**options))]
    fn from_env(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Auth> {
        check_option_keys("from_env", options)?;
        let mut cfg = quick(py, "Config::from_env", tpauth::Config::from_env)?;
        // The core's warnings about TRUSTPILOT_* variables that name no option, to the logger
        // "tpauth" (Python has no handle on the core's log callback).
        for warning in tpauth::Config::environment_warnings(|name| std::env::var(name).ok()) {
            py.import("logging")?.call_method1("getLogger", ("tpauth",))?.call_method1("warning", (warning,))?;
        }
        apply_options("from_env", &mut cfg, &[], options, py)?;
        Auth::build(py, &cfg)
    }

    /// The API key (public: it is the OAuth `client_id`), sent as the `apikey` header.
    #[getter]
    fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The API base URL.
    #[getter]
    fn api_base_url(&self) -> &str {
        &self.api_base_url
    }

    /// The `business_user_id` option (sent as `x-business-user-id`), or None.
    #[getter]
    fn business_user_id(&self) -> Option<&str> {
        self.business_user_id.as_deref()
    }

    fn password_grant(&self, py: Python<'_>, username: &str, password: &str) -> PyResult<Token> {
        blocking(py, "password_grant", || self.inner.password_grant(username, password)).map(Token)
    }

    fn client_credentials_grant(&self, py: Python<'_>) -> PyResult<Token> {
        blocking(py, "client_credentials_grant", || self.inner.client_credentials_grant()).map(Token)
    }

    #[pyo3(signature = (code, redirect_uri, code_verifier=None))]
    fn authorization_code_grant(&self, py: Python<'_>, code: &str, redirect_uri: &str, code_verifier: Option<&str>) -> PyResult<Token> {
        blocking(py, "authorization_code_grant", || self.inner.authorization_code_grant_pkce(code, redirect_uri, code_verifier)).map(Token)
    }

    #[pyo3(signature = (refresh_token=None))]
    fn refresh(&self, py: Python<'_>, refresh_token: Option<&str>) -> PyResult<Token> {
        blocking(py, "refresh", || self.inner.refresh(refresh_token)).map(Token)
    }

    #[pyo3(signature = (refresh_token=None))]
    fn revoke(&self, py: Python<'_>, refresh_token: Option<&str>) -> PyResult<()> {
        blocking(py, "revoke", || self.inner.revoke(refresh_token))
    }

    fn get_token(&self, py: Python<'_>) -> PyResult<Py<Token>> {
        if let Some(obj) = self.fresh_token(py)? {
            return Ok(obj);
        }
        let t = blocking(py, "get_token", || self.inner.get_token())?;
        let obj = Py::new(py, Token(t.clone()))?;
        // The token this renewal made current is the one the next calls will find fresh.
        *self.fresh.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((t, obj.clone_ref(py)));
        Ok(obj)
    }

    /// The headers an API call `method url` carries, as the core decides them for every binding:
    /// `[("authorization", "Bearer …"), ("apikey", …), ("x-business-user-id", …)]` (the last
    /// when configured), with the managed token. Raises `tpauth.InvalidArgument` before any
    /// token request when `url` names a host that may not see the token.
    fn api_headers(&self, py: Python<'_>, method: &str, url: &str) -> PyResult<Vec<(&'static str, String)>> {
        blocking(py, "api_headers", || self.inner.api_headers(method, url))
    }

    /// For the HTTP adapters (`RequestsAuth`, `HttpxAuth`): `(url, headers, access_token)`, the
    /// core's `Auth::prepare_api_call`. `url` is the URL to send the request to (the one the core
    /// judged), `headers` the `(name, value)` pairs to set (each replacing the request's header of
    /// that name in any case; `x-business-user-id` is left out when `caller_headers` names it).
    /// With `renew=False` (no I/O, the GIL held) and no fresh token, `headers` and `access_token`
    /// are None: call again with `renew=True` (blocking, without the GIL).
    #[pyo3(name = "_prepare_api_call", signature = (method, url_or_path, caller_headers=Vec::new(), renew=true))]
    fn prepare_api_call(
        &self,
        py: Python<'_>,
        method: &str,
        url_or_path: &str,
        caller_headers: Vec<String>,
        renew: bool,
    ) -> PyResult<PreparedCall> {
        let names: Vec<&str> = caller_headers.iter().map(String::as_str).collect();
        let prepare = || {
            let renew = if renew { tpauth::Renew::IfNeeded } else { tpauth::Renew::Never };
            let call = self.inner.prepare_api_call(method, url_or_path, &names, renew)?;
            let headers = call.headers().map(<[_]>::to_vec);
            Ok((call.url().to_owned(), headers, call.access_token().map(str::to_owned)))
        };
        if renew {
            blocking(py, "prepare_api_call", prepare)
        } else {
            quick(py, "prepare_api_call", prepare)
        }
    }

    /// Drop the current token if it is still `access_token` (a `str`, or the `Token` itself).
    fn invalidate_token(&self, py: Python<'_>, access_token: &Bound<'_, PyAny>) -> PyResult<()> {
        let at: String = if let Ok(t) = access_token.downcast::<Token>() {
            t.get().0.access_token().to_owned()
        } else if let Ok(s) = access_token.downcast::<PyString>() {
            s.to_cow()?.into_owned()
        } else {
            return Err(PyTypeError::new_err(format!(
                "invalidate_token(): access_token must be str or tpauth.Token, not {}",
                access_token.get_type().name()?
            )));
        };
        blocking(py, "invalidate_token", || self.inner.invalidate_token(&at))
    }

    fn set_token(&self, py: Python<'_>, token: PyRef<'_, Token>) -> PyResult<()> {
        let t = token.0.clone();
        blocking(py, "set_token", || self.inner.set_token(&t))
    }

    /// Raises `InvalidArgument` unless the token may be sent to `url` (a path, or an absolute URL
    /// to the API host, Trustpilot's API hosts or a host of the `token_hosts` option).
    fn check_token_url(&self, py: Python<'_>, url: &str) -> PyResult<()> {
        quick(py, "check_token_url", || self.inner.check_token_url(url))
    }

    #[pyo3(signature = (redirect_uri, response_type="code", state=None, code_challenge=None))]
    fn authorize_url(
        &self,
        py: Python<'_>,
        redirect_uri: &str,
        response_type: &str,
        state: Option<&str>,
        code_challenge: Option<&str>,
    ) -> PyResult<String> {
        quick(py, "authorize_url", || {
            let rt = tpauth::ResponseType::parse(response_type)?;
            self.inner.authorize_url_pkce(redirect_uri, rt, state, code_challenge)
        })
    }

    /// An API call with the managed token (renewed and retried once on 401). `body` is bytes or str
    /// (sent as UTF-8).
    #[pyo3(signature = (method, url_or_path, body=None, content_type=None))]
    fn request(
        &self,
        py: Python<'_>,
        method: &str,
        url_or_path: &str,
        body: Option<&Bound<'_, PyAny>>,
        content_type: Option<&str>,
    ) -> PyResult<Response> {
        let body: Option<Vec<u8>> = match body {
            None => None,
            Some(b) if b.is_none() => None,
            Some(b) => {
                if let Ok(s) = b.downcast::<PyString>() {
                    Some(s.to_cow()?.as_bytes().to_vec())
                } else if let Ok(by) = b.downcast::<PyBytes>() {
                    Some(by.as_bytes().to_vec())
                } else if let Ok(ba) = b.downcast::<PyByteArray>() {
                    Some(ba.to_vec())
                } else {
                    return Err(PyTypeError::new_err(format!("request(): body must be bytes, str or None, not {}", b.get_type().name()?)));
                }
            }
        };
        blocking(py, "request", || self.inner.request(method, url_or_path, body.as_deref(), content_type)).map(Response)
    }

    fn __repr__(&self) -> String {
        // The core's redaction: userinfo as ***, no query or fragment.
        format!("tpauth.Auth(api_key={}, api_base_url={})", py_str(&self.api_key), py_str(&tpauth::redact_url(&self.api_base_url)))
    }
}

/// One token response, immutable. `repr()` never shows the access or refresh token.
#[pyclass(frozen, module = "tpauth", name = "Token")]
struct Token(tpauth::Token);

#[pymethods]
impl Token {
    #[getter]
    fn access_token(&self) -> &str {
        self.0.access_token()
    }

    #[getter]
    fn refresh_token(&self) -> Option<&str> {
        self.0.refresh_token()
    }

    #[getter]
    fn token_type(&self) -> Option<&str> {
        self.0.token_type()
    }

    /// `expires_in` as sent, in seconds; None when the server gave none.
    #[getter]
    fn expires_in(&self) -> Option<i64> {
        Some(self.0.expires_in()).filter(|n| *n >= 0)
    }

    /// Unix seconds (local clock at receipt + `expires_in`); None when unknown.
    #[getter]
    fn expires_at(&self) -> Option<i64> {
        Some(self.0.expires_at()).filter(|n| *n >= 0)
    }

    /// Unix seconds (local clock) when the token was received.
    #[getter]
    fn received_at(&self) -> i64 {
        self.0.received_at()
    }

    /// The server's response as a new dict (every field, verbatim).
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cached(py, &JSON_LOADS, "json", "loads")?.call1((self.0.raw_json(),))
    }

    /// The server's response body, verbatim.
    #[getter]
    fn raw_json(&self) -> &str {
        self.0.raw_json()
    }

    /// Whether the token expires within `leeway` seconds from now (never, when its expiry is unknown).
    #[pyo3(signature = (leeway=0.0))]
    fn is_expired(&self, leeway: f64) -> PyResult<bool> {
        if !leeway.is_finite() {
            return Err(PyValueError::new_err("is_expired(): leeway must be a finite number of seconds"));
        }
        #[allow(clippy::cast_possible_truncation)]
        let l = leeway.ceil().clamp(-1e15, 1e15) as i64;
        Ok(self.0.is_expired(l))
    }

    /// For persisting (a file, a database). Contains secrets: store it like a password.
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    /// Read what `to_json` wrote (or a plain token response, as if received now).
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &str) -> PyResult<Token> {
        quick(py, "Token.from_json", || tpauth::Token::from_json(json)).map(Token)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let from_json = slf.get_type().getattr("from_json")?;
        let args = PyTuple::new(py, [slf.get().0.to_json()])?;
        PyTuple::new(py, [from_json, args.into_any()])
    }

    fn __repr__(&self) -> String {
        let opt = |v: Option<i64>| v.map_or_else(|| "None".to_owned(), |n| n.to_string());
        format!(
            "tpauth.Token(token_type={}, expires_in={}, expires_at={}, access_token='<redacted>', refresh_token={})",
            self.0.token_type().map_or_else(|| "None".to_owned(), py_str),
            opt(self.expires_in()),
            opt(self.expires_at()),
            if self.0.refresh_token().is_some() { "'<redacted>'" } else { "None" },
        )
    }
}

/// One API response, immutable.
#[pyclass(frozen, module = "tpauth", name = "Response")]
struct Response(tpauth::Response);

#[pymethods]
impl Response {
    /// The HTTP status.
    #[getter]
    fn status(&self) -> u16 {
        self.0.status()
    }

    /// The body bytes.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.body())
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    #[getter]
    fn text(&self) -> String {
        self.0.text()
    }

    /// Headers, a case-insensitive read-only mapping (repeated headers joined with ", ").
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pairs = PyList::empty(py);
        for (k, v) in self.0.headers() {
            pairs.append((k, v))?;
        }
        cached(py, &HEADERS, "tpauth._headers", "Headers")?.call1((pairs,))
    }

    /// The first value of a header (case-insensitive name), or None.
    fn header(&self, name: &str) -> Option<&str> {
        self.0.header(name)
    }

    /// The body parsed as JSON (`json.loads`; raises `json.JSONDecodeError`, a ValueError).
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cached(py, &JSON_LOADS, "json", "loads")?.call1((PyBytes::new(py, self.0.body()),))
    }

    fn __repr__(&self) -> String {
        format!("tpauth.Response(status={}, body_len={})", self.0.status(), self.0.body().len())
    }
}

/// 128 random bits, URL-safe: a `state` for the authorize URL.
#[pyfunction]
fn new_state() -> String {
    tpauth::new_state()
}

/// A fresh PKCE pair (RFC 7636, S256): `(verifier, challenge)`. Send the challenge with
/// `authorize_url(..., code_challenge=)`, keep the verifier for
/// `authorization_code_grant(..., code_verifier=)`.
#[pyfunction]
fn new_pkce(py: Python<'_>) -> PyResult<(String, String)> {
    quick(py, "new_pkce", || tpauth::new_pkce().map(|p| (p.verifier.clone(), p.challenge.clone())))
}

/// The authorization code of a code-flow redirect, checking its `state` when `expected_state` is given.
#[pyfunction]
#[pyo3(signature = (url, expected_state=None))]
fn parse_code_redirect(py: Python<'_>, url: &str, expected_state: Option<&str>) -> PyResult<String> {
    quick(py, "parse_code_redirect", || tpauth::parse_code_redirect(url, expected_state))
}

/// The token of an implicit-flow redirect (in its fragment), checking its `state` when given.
#[pyfunction]
#[pyo3(signature = (url, expected_state=None))]
fn parse_implicit_redirect(py: Python<'_>, url: &str, expected_state: Option<&str>) -> PyResult<Token> {
    quick(py, "parse_implicit_redirect", || tpauth::parse_implicit_redirect(url, expected_state)).map(Token)
}

#[pymodule]
fn _tpauth(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", tpauth::VERSION)?;
    m.add("OPTION_KEYS", PyTuple::new(m.py(), tpauth::OPTION_KEYS)?)?;
    // The status table, (number, name) in numeric order: `tpauth.Status` is built from it.
    let statuses: Vec<(i32, &str)> = tpauth::Status::ALL
        .iter()
        .map(|s| (s.code(), s.name().strip_prefix("TP_ERR_").or_else(|| s.name().strip_prefix("TP_")).unwrap_or(s.name())))
        .collect();
    m.add("STATUSES", PyTuple::new(m.py(), statuses)?)?;
    m.add_class::<Auth>()?;
    m.add_class::<Token>()?;
    m.add_class::<Response>()?;
    m.add_function(wrap_pyfunction!(new_state, m)?)?;
    m.add_function(wrap_pyfunction!(new_pkce, m)?)?;
    m.add_function(wrap_pyfunction!(parse_code_redirect, m)?)?;
    m.add_function(wrap_pyfunction!(parse_implicit_redirect, m)?)?;
    Ok(())
}

/// A string as Python's `repr` would quote it (single quotes, backslash escapes).
fn py_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}
