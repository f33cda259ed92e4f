//! `trustpilot-auth`'s native module: the Node skin over the Rust core (not over the C ABI), built
//! with napi-rs. `index.js` (the package's entry point) registers the error classes and adds the
//! pure-JavaScript parts (`auth.fetch`, `useTpauth`); `native.d.ts` is generated from this file.
//!
//! Every call that may do I/O returns a Promise whose work runs on the libuv thread pool (an
//! `AsyncTask`), never on the event loop; a token the core holds and does not need to renew is
//! answered at once (an already resolved Promise, no thread hop). Core calls run inside
//! `catch_unwind`: a panic becomes an `InternalError`, never an abort of the process.

#![deny(clippy::all)]

use napi::bindgen_prelude::{ClassInstance, Either, ObjectFinalize, ToNapiValue};
use napi::{Env, JsBuffer, JsFunction, JsObject, JsUnknown, NapiValue, Ref, Task, ValueType};
use napi_derive::napi;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

// ---- errors ----------------------------------------------------------------------------------

/// The error factory `index.js` registers: `(status, message, httpStatus, oauthCode, retryAfter)`
/// → an instance of the matching `TpauthError` subclass. Held per JavaScript environment (main
/// thread and each worker thread have their own).
struct ErrorFactory(Ref<()>);

/// The core's error as the JavaScript error to throw or reject with: an instance of the matching
/// `TpauthError` subclass once `index.js` registered them, else a plain `Error` whose `code` is the
/// status name (`TP_ERR_INVALID_GRANT`).
fn js_error(env: Env, e: &tpauth::Error) -> napi::Error {
    let build = || -> napi::Result<Option<napi::Error>> {
        let Some(factory) = env.get_instance_data::<ErrorFactory>()? else { return Ok(None) };
        let f: JsFunction = env.get_reference_value(&factory.0)?;
        let null = || env.get_null().map(|n| n.into_unknown());
        let args: [JsUnknown; 5] = [
            env.create_int32(e.status().code())?.into_unknown(),
            env.create_string(e.message())?.into_unknown(),
            if e.http_status() == 0 { null()? } else { env.create_uint32(u32::from(e.http_status()))?.into_unknown() },
            match e.oauth_code() {
                Some(c) => env.create_string(c)?.into_unknown(),
                None => null()?,
            },
            match e.retry_after() {
                Some(d) => env.create_double(d.as_secs_f64())?.into_unknown(),
                None => null()?,
            },
        ];
        Ok(Some(napi::Error::from(f.call(None, &args)?)))
    };
    match build() {
        Ok(Some(err)) => err,
        Ok(None) => napi::Error::new(napi::Status::GenericFailure, format!("{}: {}", e.status().name(), e.message())),
        Err(err) => err,
    }
}

fn panicked(what: &str) -> tpauth::Error {
    tpauth::Error::new(tpauth::Status::Internal, format!("{what}: the library panicked (a bug; please report it)"))
}

fn invalid(msg: impl Into<String>) -> tpauth::Error {
    tpauth::Error::invalid_argument(msg)
}

/// Run a quick, non-blocking core call on the JavaScript thread; its error becomes the typed one.
fn quick<T>(env: Env, what: &str, f: impl FnOnce() -> tpauth::Result<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(js_error(env, &e)),
        Err(_) => Err(js_error(env, &panicked(what))),
    }
}

/// Registers the error classes (called once by `index.js`; not part of the public API).
#[napi(js_name = "__registerErrorFactory")]
pub fn register_error_factory(env: Env, factory: JsFunction) -> napi::Result<()> {
    let r = env.create_reference(factory)?;
    env.set_instance_data(ErrorFactory(r), (), |mut ctx| {
        let _ = ctx.value.0.unref(ctx.env);
    })?;
    Ok(())
}

// ---- promises ----------------------------------------------------------------------------------

/// `value` as a JavaScript value.
fn to_js<T: ToNapiValue>(env: Env, value: T) -> napi::Result<JsUnknown> {
    // SAFETY: `env` is the live environment of this call; the value is created in it.
    unsafe {
        let raw = T::to_napi_value(env.raw(), value)?;
        JsUnknown::from_raw(env.raw(), raw)
    }
}

/// `Promise.resolve(value)`: an answer known now, without a trip through the thread pool.
fn resolved(env: Env, value: JsUnknown) -> napi::Result<JsObject> {
    let promise = env.get_global()?.get_named_property::<JsUnknown>("Promise")?.coerce_to_object()?;
    let resolve: JsFunction = promise.get_named_property("resolve")?;
    resolve.call(Some(&promise), &[value])?.coerce_to_object()
}

/// `Promise.reject(err)`: a failure known now, reported the way every other failure of the call is.
fn rejected(env: Env, err: napi::Error) -> napi::Result<JsObject> {
    let promise = env.get_global()?.get_named_property::<JsUnknown>("Promise")?.coerce_to_object()?;
    let reject: JsFunction = promise.get_named_property("reject")?;
    reject.call(Some(&promise), &[to_js(env, err)?])?.coerce_to_object()
}

type Work<T> = Box<dyn FnOnce() -> tpauth::Result<T> + Send>;

/// One blocking core call as a napi `AsyncTask`: `compute` runs on the libuv pool, `resolve` on the
/// event loop turns the outcome into the JavaScript value or the typed error.
macro_rules! task {
    ($(#[$doc:meta])* $name:ident, $out:ty, $js:ty, $conv:expr) => {
        $(#[$doc])*
        pub struct $name {
            what: &'static str,
            work: Option<Work<$out>>,
        }

        impl $name {
            fn new(what: &'static str, f: impl FnOnce() -> tpauth::Result<$out> + Send + 'static) -> $name {
                $name { what, work: Some(Box::new(f)) }
            }
        }

        #[napi]
        impl Task for $name {
            type Output = Result<$out, tpauth::Error>;
            type JsValue = $js;

            fn compute(&mut self) -> napi::Result<Self::Output> {
                let what = self.what;
                let Some(f) = self.work.take() else { return Ok(Err(panicked(what))) };
                Ok(catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(panicked(what))))
            }

            fn resolve(&mut self, env: Env, out: Self::Output) -> napi::Result<Self::JsValue> {
                match out {
                    Ok(v) => Ok(($conv)(v)),
                    Err(e) => Err(js_error(env, &e)),
                }
            }
        }
    };
}

task!(
    /// A core call that yields a token.
    TokenTask, tpauth::Token, Token, |t| Token { inner: t }
);
task!(
    /// A core call that yields nothing.
    UnitTask, (), (), |()| ()
);
task!(
    /// An API call.
    ResponseTask, tpauth::Response, ApiResponse, |r| ApiResponse { inner: r }
);
task!(
    /// An API call prepared with a renewal allowed (for `auth.fetch` and `useTpauth`).
    PrepareTask, PreparedCall, PreparedCall, |p| p
);

// ---- options ----------------------------------------------------------------------------------

/// `apiBaseUrl` → `api_base_url`: every upper-case letter becomes `_` and its lower case. Which
/// keys exist, and what their values may be, is the core's to say (`Config::set`).
fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// One option value as the core wants it: strings as they are, booleans `true`/`false`, integral
/// numbers in decimal; `undefined` and `null` mean "not set" (`None`).
fn option_value(key: &str, v: JsUnknown) -> napi::Result<Result<Option<String>, tpauth::Error>> {
    Ok(Ok(Some(match v.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(Ok(None)),
        ValueType::Boolean => v.coerce_to_bool()?.get_value()?.to_string(),
        ValueType::String => v.coerce_to_string()?.into_utf8()?.into_owned()?,
        ValueType::Number => {
            let n = v.coerce_to_number()?.get_double()?;
            #[allow(clippy::cast_possible_truncation)]
            if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e15 {
                (n as i64).to_string()
            } else {
                n.to_string()
            }
        }
        other => return Ok(Err(invalid(format!("option {key}: expected a string, number or boolean, got {other}")))),
    })))
}

/// The options object as (JavaScript key, value) pairs, `undefined`/`null` values left out.
fn read_options(env: Env, options: Option<JsObject>) -> napi::Result<Vec<(String, String)>> {
    let Some(obj) = options else { return Ok(Vec::new()) };
    let names = obj.get_property_names()?;
    let mut out = Vec::new();
    for i in 0..names.get_array_length()? {
        let key: String = names.get_element::<napi::JsString>(i)?.into_utf8()?.into_owned()?;
        let value: JsUnknown = obj.get_named_property(&key)?;
        match option_value(&key, value)? {
            Ok(Some(v)) => out.push((key, v)),
            Ok(None) => {}
            Err(e) => return Err(js_error(env, &e)),
        }
    }
    Ok(out)
}

/// Apply the options (not `apiKey`/`apiSecret`) to `cfg`: the core refuses an unknown key.
fn apply(cfg: &mut tpauth::Config, options: &[(String, String)]) -> tpauth::Result<()> {
    for (key, value) in options {
        if key == "apiKey" || key == "apiSecret" {
            continue;
        }
        cfg.set(&snake_case(key), value).map_err(|e| e.context(&format!("option {key}")))?;
    }
    Ok(())
}

// ---- Auth -------------------------------------------------------------------------------------

/// A Trustpilot client: every grant, the managed token and API calls. Share one per process:
/// concurrent calls make one token request between them (and, with `tokenCache`, between every
/// process of the host).
#[napi(custom_finalize)]
pub struct Auth {
    inner: tpauth::Auth,
    /// The resolved Promise last answered for a fresh token, and that token: while the core's
    /// current token is the same one, `getToken()` answers this Promise again (no allocation).
    fresh: RefCell<Option<(tpauth::Token, Ref<()>)>>,
}

impl ObjectFinalize for Auth {
    fn finalize(self, env: Env) -> napi::Result<()> {
        if let Some((_, mut r)) = self.fresh.into_inner() {
            r.unref(env)?;
        }
        Ok(())
    }
}

/// The token, or (on the pool) the core's managed token.
fn token_task(
    auth: &tpauth::Auth,
    what: &'static str,
    f: impl FnOnce(tpauth::Auth) -> tpauth::Result<tpauth::Token> + Send + 'static,
) -> TokenTask {
    let a = auth.clone();
    TokenTask::new(what, move || f(a))
}

/// One API call as `auth.fetch` and `useTpauth` send it, from the core's `prepare_api_call`.
#[napi(object)]
pub struct PreparedCall {
    /// The URL to send the request to: the one the core judged (a path joined to `apiBaseUrl`).
    pub url: String,
    /// `[name, value]` pairs to set, each replacing the request's header of that name in any case.
    pub headers: Vec<Vec<String>>,
    /// The access token sent (give it to `invalidateToken` on a 401).
    pub access_token: String,
}

impl PreparedCall {
    /// `None` when the core needs to renew the token first.
    fn of(call: &tpauth::ApiCall) -> Option<PreparedCall> {
        Some(PreparedCall {
            url: call.url().to_owned(),
            headers: call.headers()?.iter().map(|(k, v)| vec![(*k).to_owned(), v.clone()]).collect(),
            access_token: call.access_token()?.to_owned(),
        })
    }
}

/// One row of the core's status table.
#[napi(object)]
pub struct StatusEntry {
    /// The number (`tp_status`).
    pub code: i32,
    /// `INVALID_GRANT` (the C name without `TP_ERR_`; `OK` for `TP_OK`).
    pub name: String,
    /// The C name, `TP_ERR_INVALID_GRANT` (`TP_OK` for 0).
    pub c_name: String,
}

/// The core's status table, in numeric order: `index.js` builds `Status` and the error classes
/// from it (not part of the public API).
#[napi(js_name = "__statuses")]
pub fn statuses() -> Vec<StatusEntry> {
    tpauth::Status::ALL
        .iter()
        .map(|s| {
            let c = s.name();
            let name = c.strip_prefix("TP_ERR_").or_else(|| c.strip_prefix("TP_")).unwrap_or(c);
            StatusEntry { code: s.code(), name: name.to_owned(), c_name: c.to_owned() }
        })
        .collect()
}

#[napi]
impl Auth {
    /// `new Auth({ apiKey, apiSecret, username, password, apiBaseUrl, tokenCache, ... })`: every
    /// option of the core, named in camelCase (`timeoutMs` for `timeout_ms`). An unknown option,
    /// or a value the core refuses, throws `InvalidArgumentError`.
    #[napi(constructor, ts_args_type = "options: import('./index').AuthOptions")]
    pub fn new(env: Env, options: Option<JsObject>) -> napi::Result<Auth> {
        let opts = read_options(env, options)?;
        let get = |k: &str| opts.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str()).unwrap_or("");
        let inner = quick(env, "Auth", || {
            let mut cfg = tpauth::Config::new(get("apiKey"), get("apiSecret"))?;
            apply(&mut cfg, &opts)?;
            tpauth::Auth::new(&cfg)
        })?;
        // The core's warnings about TRUSTPILOT_* variables that name no option, as Node warnings
        // (process.emitWarning: printed once to stderr, or to a 'warning' listener).
        for warning in tpauth::Config::environment_warnings(|name| std::env::var(name).ok()) {
            let process: JsObject = env.get_global()?.get_named_property("process")?;
            let emit: JsFunction = process.get_named_property("emitWarning")?;
            emit.call(Some(&process), &[env.create_string(&warning)?.into_unknown(), env.create_string("TpauthWarning")?.into_unknown()])?;
        }
        Ok(Auth { inner, fresh: RefCell::new(None) })
    }

    /// A client configured from the `TRUSTPILOT_*` environment variables (as the core reads them);
    /// `overrides` (the constructor's options) win over them.
    #[napi(factory, ts_args_type = "overrides?: Partial<import('./index').AuthOptions>")]
    pub fn from_env(env: Env, overrides: Option<JsObject>) -> napi::Result<Auth> {
        let opts = read_options(env, overrides)?;
        let inner = quick(env, "Auth.fromEnv", || {
            let mut cfg = tpauth::Config::from_env()?;
            let key = opts.iter().find(|(k, _)| k == "apiKey").map(|(_, v)| v.clone());
            let secret = opts.iter().find(|(k, _)| k == "apiSecret").map(|(_, v)| v.clone());
            if key.is_some() || secret.is_some() {
                return Err(invalid("Auth.fromEnv: apiKey and apiSecret come from TRUSTPILOT_API_KEY and TRUSTPILOT_API_SECRET; use new Auth({...}) to pass them"));
            }
            apply(&mut cfg, &opts)?;
            tpauth::Auth::new(&cfg)
        })?;
        // The core's warnings about TRUSTPILOT_* variables that name no option, as Node warnings
        // (process.emitWarning: printed once to stderr, or to a 'warning' listener).
        for warning in tpauth::Config::environment_warnings(|name| std::env::var(name).ok()) {
            let process: JsObject = env.get_global()?.get_named_property("process")?;
            let emit: JsFunction = process.get_named_property("emitWarning")?;
            emit.call(Some(&process), &[env.create_string(&warning)?.into_unknown(), env.create_string("TpauthWarning")?.into_unknown()])?;
        }
        Ok(Auth { inner, fresh: RefCell::new(None) })
    }

    /// The API key (public: it is the OAuth `client_id`), sent as the `apikey` header.
    #[napi(getter)]
    pub fn api_key(&self) -> String {
        self.inner.config().api_key().to_owned()
    }

    /// The API base URL.
    #[napi(getter)]
    pub fn api_base_url(&self) -> String {
        self.inner.config().api_base_url().to_owned()
    }

    /// The `businessUserId` option (sent as `x-business-user-id`), or null.
    #[napi(getter)]
    pub fn business_user_id(&self) -> Option<String> {
        self.inner.config().business_user_id().map(str::to_owned)
    }

    /// The password grant; the token becomes the current one (and is written to the token cache).
    #[napi]
    pub fn password_grant(&self, username: String, password: String) -> napi::bindgen_prelude::AsyncTask<TokenTask> {
        napi::bindgen_prelude::AsyncTask::new(token_task(&self.inner, "passwordGrant", move |a| a.password_grant(&username, &password)))
    }

    /// The client-credentials grant (API calls then need the `businessUserId` option).
    #[napi]
    pub fn client_credentials_grant(&self) -> napi::bindgen_prelude::AsyncTask<TokenTask> {
        napi::bindgen_prelude::AsyncTask::new(token_task(&self.inner, "clientCredentialsGrant", |a| a.client_credentials_grant()))
    }

    /// Exchange an authorization code; `redirectUri` must equal the authorize URL's. Never retried.
    /// `codeVerifier`: the PKCE verifier (from `newPkce()`) whose challenge went into
    /// `authorizeUrl`; omitted, none is sent.
    #[napi]
    pub fn authorization_code_grant(
        &self,
        code: String,
        redirect_uri: String,
        code_verifier: Option<String>,
    ) -> napi::bindgen_prelude::AsyncTask<TokenTask> {
        napi::bindgen_prelude::AsyncTask::new(token_task(&self.inner, "authorizationCodeGrant", move |a| {
            a.authorization_code_grant_pkce(&code, &redirect_uri, code_verifier.as_deref())
        }))
    }

    /// Refresh `refreshToken`, or the current token's when omitted; the new token becomes current.
    #[napi]
    pub fn refresh(&self, refresh_token: Option<String>) -> napi::bindgen_prelude::AsyncTask<TokenTask> {
        napi::bindgen_prelude::AsyncTask::new(token_task(&self.inner, "refresh", move |a| a.refresh(refresh_token.as_deref())))
    }

    /// Revoke `refreshToken` (and its access tokens), or the current token's when omitted.
    #[napi]
    pub fn revoke(&self, refresh_token: Option<String>) -> napi::bindgen_prelude::AsyncTask<UnitTask> {
        let a = self.inner.clone();
        napi::bindgen_prelude::AsyncTask::new(UnitTask::new("revoke", move || a.revoke(refresh_token.as_deref())))
    }

    /// The managed token: the current one while it is valid (answered at once, without leaving the
    /// event loop), else one renewal, on the thread pool, for every caller at once.
    #[napi(ts_return_type = "Promise<Token>")]
    pub fn get_token(&self, env: Env) -> napi::Result<JsObject> {
        if let Some(t) = self.inner.current_token_if_fresh() {
            if let Some((known, promise)) = &*self.fresh.borrow() {
                if known.same_as(&t) {
                    return env.get_reference_value(promise);
                }
            }
            let promise = resolved(env, to_js(env, Token { inner: t.clone() })?)?;
            let r = env.create_reference(&promise)?;
            if let Some((_, mut old)) = self.fresh.replace(Some((t, r))) {
                old.unref(env)?;
            }
            return Ok(promise);
        }
        Ok(env.spawn(token_task(&self.inner, "getToken", |a| a.get_token()))?.promise_object())
    }

    /// The instant (Unix ms) from which the core renews `token` rather than answer it
    /// (`Auth::renew_at_ms`): until then, `index.js` answers `getToken()` with the Promise of that
    /// token without calling in, dropping it whenever a call may change the current token.
    #[napi(js_name = "__renewAtMs")]
    pub fn renew_at_ms(&self, token: &Token) -> i64 {
        self.inner.renew_at_ms(&token.inner)
    }

    /// Drop the current token if it is still `accessToken` (the one the API refused), so that the
    /// next `getToken()` renews it once for every caller.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn invalidate_token(&self, env: Env, access_token: Either<String, ClassInstance<Token>>) -> napi::Result<JsObject> {
        let at = match &access_token {
            Either::A(s) => s.clone(),
            Either::B(t) => t.inner.access_token().to_owned(),
        };
        quick(env, "invalidateToken", || self.inner.invalidate_token(&at))?;
        resolved(env, env.get_undefined()?.into_unknown())
    }

    /// Make `token` the current one (and write it to the token cache).
    #[napi]
    pub fn set_token(&self, token: &Token) -> napi::bindgen_prelude::AsyncTask<UnitTask> {
        let a = self.inner.clone();
        let t = token.inner.clone();
        napi::bindgen_prelude::AsyncTask::new(UnitTask::new("setToken", move || a.set_token(&t)))
    }

    /// `{authorizeUrl}?client_id=KEY&redirect_uri=…&response_type=…&state=…`; `responseType` is
    /// `"code"` (the default) or `"token"`. `codeChallenge` (from `newPkce()`; code flow only) adds
    /// `code_challenge=…&code_challenge_method=S256`.
    #[napi]
    pub fn authorize_url(
        &self,
        env: Env,
        redirect_uri: String,
        response_type: Option<String>,
        state: Option<String>,
        code_challenge: Option<String>,
    ) -> napi::Result<String> {
        quick(env, "authorizeUrl", || {
            let rt = tpauth::ResponseType::parse(response_type.as_deref().unwrap_or("code"))?;
            self.inner.authorize_url_pkce(&redirect_uri, rt, state.as_deref(), code_challenge.as_deref())
        })
    }

    /// An API call with the managed token (renewed and retried once on 401). A path is joined to
    /// `apiBaseUrl`; `body` is a string (sent as UTF-8) or a Buffer. Any HTTP answer resolves
    /// (a 404 too); errors are for what prevented an answer.
    #[napi(
        ts_args_type = "method: string, urlOrPath: string, options?: import('./index').RequestOptions",
        ts_return_type = "Promise<ApiResponse>"
    )]
    pub fn request(&self, env: Env, method: String, url_or_path: String, options: Option<JsObject>) -> napi::Result<JsObject> {
        match Auth::request_body(options)? {
            Ok((body, content_type)) => {
                let a = self.inner.clone();
                let task = ResponseTask::new("request", move || a.request(&method, &url_or_path, body.as_deref(), content_type.as_deref()));
                Ok(env.spawn(task)?.promise_object())
            }
            Err(e) => rejected(env, js_error(env, &e)),
        }
    }

    /// For `auth.fetch` and `useTpauth`: the core's `prepare_api_call` for `method url` (a path or
    /// an absolute URL), given the names of the headers the request already carries: `{ url,
    /// headers, accessToken }`, `url` being the one to send the request to. A reference the core
    /// refuses (a host that may not see the token, `https:host/x`, `//host/x`, ...) rejects before
    /// any token is requested. Answered at once while the token is fresh; a renewal runs on the
    /// pool.
    #[napi(js_name = "__prepareApiCall", ts_return_type = "Promise<PreparedCall>")]
    pub fn prepare_api_call(&self, env: Env, method: String, url: String, caller_headers: Vec<String>) -> napi::Result<JsObject> {
        let names: Vec<&str> = caller_headers.iter().map(String::as_str).collect();
        let now = catch_unwind(AssertUnwindSafe(|| self.inner.prepare_api_call(&method, &url, &names, tpauth::Renew::Never)))
            .unwrap_or_else(|_| Err(panicked("fetch")));
        match now {
            // A refusal is a rejection (as every other failure of fetch), not a synchronous throw.
            Err(e) => rejected(env, js_error(env, &e)),
            Ok(call) => match PreparedCall::of(&call) {
                Some(ready) => resolved(env, to_js(env, ready)?),
                None => {
                    let a = self.inner.clone();
                    Ok(env
                        .spawn(PrepareTask::new("fetch", move || {
                            let names: Vec<&str> = caller_headers.iter().map(String::as_str).collect();
                            let call = a.prepare_api_call(&method, &url, &names, tpauth::Renew::IfNeeded)?;
                            PreparedCall::of(&call)
                                .ok_or_else(|| tpauth::Error::new(tpauth::Status::Internal, "prepare_api_call: no headers after a renewal"))
                        }))?
                        .promise_object())
                }
            },
        }
    }

    /// `apiBaseUrl` as messages and `util.inspect` show it: the core's redaction (userinfo as
    /// `***`, no query or fragment). Not part of the public API.
    #[napi(js_name = "__shownApiBaseUrl")]
    pub fn shown_api_base_url(&self) -> String {
        tpauth::redact_url(self.inner.config().api_base_url())
    }
}

type Body = (Option<Vec<u8>>, Option<String>);

impl Auth {
    /// `request`'s options: the body bytes and the content type, or the error to reject with.
    fn request_body(options: Option<JsObject>) -> napi::Result<Result<Body, tpauth::Error>> {
        let mut body: Option<Vec<u8>> = None;
        let mut content_type: Option<String> = None;
        if let Some(o) = options {
            let b: JsUnknown = o.get_named_property("body")?;
            body = match b.get_type()? {
                ValueType::Undefined | ValueType::Null => None,
                ValueType::String => Some(b.coerce_to_string()?.into_utf8()?.as_slice().to_vec()),
                _ if b.is_buffer()? => {
                    // SAFETY: checked to be a Buffer just above.
                    let buf = unsafe { b.cast::<JsBuffer>() };
                    Some(buf.into_value()?.to_vec())
                }
                _ if b.is_typedarray()? => {
                    // SAFETY: checked to be a typed array just above.
                    let arr = unsafe { b.cast::<napi::JsTypedArray>() }.into_value()?;
                    if arr.typedarray_type != napi::TypedArrayType::Uint8 {
                        return Ok(Err(invalid("request: options.body must be a string, a Buffer or a Uint8Array")));
                    }
                    let bytes: &[u8] = arr.as_ref();
                    Some(bytes.to_vec())
                }
                _ => return Ok(Err(invalid("request: options.body must be a string, a Buffer or a Uint8Array"))),
            };
            let ct: JsUnknown = o.get_named_property("contentType")?;
            content_type = match option_value("contentType", ct)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
        }
        Ok(Ok((body, content_type)))
    }
}

// ---- Token ------------------------------------------------------------------------------------

/// One token response, immutable. `util.inspect` never shows the access or refresh token.
#[napi]
pub struct Token {
    inner: tpauth::Token,
}

/// `JSON.parse(text)`.
fn json_parse(env: Env, text: &str) -> napi::Result<JsUnknown> {
    let json: JsObject = env.get_global()?.get_named_property("JSON")?;
    let parse: JsFunction = json.get_named_property("parse")?;
    parse.call(Some(&json), &[env.create_string(text)?])
}

#[napi]
impl Token {
    /// The access token (a secret).
    #[napi(getter)]
    pub fn access_token(&self) -> String {
        self.inner.access_token().to_owned()
    }

    /// The refresh token (a secret), or null (client-credentials and implicit tokens have none).
    #[napi(getter)]
    pub fn refresh_token(&self) -> Option<String> {
        self.inner.refresh_token().map(str::to_owned)
    }

    /// As sent, e.g. `"BearerToken"`; null when none.
    #[napi(getter)]
    pub fn token_type(&self) -> Option<String> {
        self.inner.token_type().map(str::to_owned)
    }

    /// `expires_in` as sent, in seconds; null when the server gave none.
    #[napi(getter)]
    pub fn expires_in(&self) -> Option<i64> {
        Some(self.inner.expires_in()).filter(|n| *n >= 0)
    }

    /// Unix seconds (local clock at receipt + `expires_in`); null when unknown.
    #[napi(getter)]
    pub fn expires_at(&self) -> Option<i64> {
        Some(self.inner.expires_at()).filter(|n| *n >= 0)
    }

    /// Unix seconds (local clock) when the token was received.
    #[napi(getter)]
    pub fn received_at(&self) -> i64 {
        self.inner.received_at()
    }

    /// The server's response as a new object (every field, verbatim).
    #[napi(getter, ts_return_type = "Record<string, unknown>")]
    pub fn raw(&self, env: Env) -> napi::Result<JsUnknown> {
        json_parse(env, self.inner.raw_json())
    }

    /// The server's response body, verbatim.
    #[napi(getter)]
    pub fn raw_json(&self) -> String {
        self.inner.raw_json().to_owned()
    }

    /// Whether the token expires within `leewaySeconds` from now (never, when its expiry is unknown).
    #[napi]
    pub fn is_expired(&self, leeway_seconds: Option<f64>) -> bool {
        let l = leeway_seconds.unwrap_or(0.0);
        #[allow(clippy::cast_possible_truncation)]
        let l = if l.is_finite() {
            l.ceil().clamp(-1e15, 1e15) as i64
        } else if l > 0.0 {
            i64::MAX / 2000
        } else {
            i64::MIN / 2000
        };
        self.inner.is_expired(l)
    }

    /// For persisting (a file, a database). Contains secrets: store it like a password.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Read what `toJson()` wrote (or a plain token response, as if received now).
    #[napi(factory)]
    pub fn from_json(env: Env, json: String) -> napi::Result<Token> {
        quick(env, "Token.fromJson", || tpauth::Token::from_json(&json)).map(|inner| Token { inner })
    }
}

// ---- ApiResponse ------------------------------------------------------------------------------

/// One API response, immutable.
#[napi]
pub struct ApiResponse {
    inner: tpauth::Response,
}

#[napi]
impl ApiResponse {
    /// The HTTP status.
    #[napi(getter)]
    pub fn status(&self) -> u16 {
        self.inner.status()
    }

    /// Whether the status is 2xx.
    #[napi(getter)]
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.inner.status())
    }

    /// The headers, names in lower case (repeated headers joined with ", ").
    #[napi(getter)]
    pub fn headers(&self) -> std::collections::HashMap<String, String> {
        let mut out: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for (k, v) in self.inner.headers() {
            out.entry(k.to_ascii_lowercase())
                .and_modify(|e| {
                    e.push_str(", ");
                    e.push_str(v);
                })
                .or_insert_with(|| v.to_owned());
        }
        out
    }

    /// The first value of a header (case-insensitive name), or null.
    #[napi]
    pub fn header(&self, name: String) -> Option<String> {
        self.inner.header(&name).map(str::to_owned)
    }

    /// The body bytes (a new Buffer).
    #[napi(getter)]
    pub fn body(&self) -> napi::bindgen_prelude::Buffer {
        self.inner.body().to_vec().into()
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    #[napi]
    pub fn text(&self) -> String {
        self.inner.text()
    }

    /// The body parsed as JSON (`JSON.parse`; throws its SyntaxError).
    #[napi(ts_return_type = "any")]
    pub fn json(&self, env: Env) -> napi::Result<JsUnknown> {
        json_parse(env, &self.inner.text())
    }
}

// ---- functions --------------------------------------------------------------------------------

/// 128 random bits, URL-safe: a `state` for the authorize URL.
#[napi]
pub fn new_state() -> String {
    tpauth::new_state()
}

/// A PKCE pair (RFC 7636, S256), from `newPkce()`.
#[napi(object)]
pub struct Pkce {
    /// 43 base64url characters: keep it secret (beside the `state`) for `authorizationCodeGrant`.
    pub verifier: String,
    /// `BASE64URL(SHA256(verifier))`: send it with `authorizeUrl`.
    pub challenge: String,
}

/// A fresh PKCE pair (RFC 7636, S256): `{ verifier, challenge }`. Send the challenge with
/// `authorizeUrl(uri, 'code', state, challenge)`, keep the verifier for
/// `authorizationCodeGrant(code, uri, verifier)`.
#[napi]
pub fn new_pkce(env: Env) -> napi::Result<Pkce> {
    quick(env, "newPkce", || tpauth::new_pkce().map(|p| Pkce { verifier: p.verifier.clone(), challenge: p.challenge.clone() }))
}

/// The authorization code of a code-flow redirect, checking its `state` when `expectedState` is given.
#[napi]
pub fn parse_code_redirect(env: Env, url: String, expected_state: Option<String>) -> napi::Result<String> {
    quick(env, "parseCodeRedirect", || tpauth::parse_code_redirect(&url, expected_state.as_deref()))
}

/// The token of an implicit-flow redirect (in its fragment), checking its `state` when given.
#[napi]
pub fn parse_implicit_redirect(env: Env, url: String, expected_state: Option<String>) -> napi::Result<Token> {
    quick(env, "parseImplicitRedirect", || tpauth::parse_implicit_redirect(&url, expected_state.as_deref())).map(|inner| Token { inner })
}

/// The library's version.
#[napi]
pub fn version() -> String {
    tpauth::VERSION.to_owned()
}
