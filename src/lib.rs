//! # tpauth
//!
//! A client for Trustpilot's OAuth2 business API: the password, authorization-code, implicit and
//! client-credentials grants, refresh, revoke, and API calls with a managed token. The managed
//! token is reused while it is valid and renewed once for all threads, for all processes on a
//! host (a file token cache) or for a fleet (a Redis token cache); a rotated refresh token is
//! never lost; every failure is a typed [`Error`] that says what went wrong and when to retry.
//!
//! The same core is the C library `libtpauth` and the Python, Go, PHP, .NET and Node packages.
//!
//! ## Quick start
//!
//! ```toml
//! [dependencies]
//! tpauth = "0.1"
//! ```
//!
//! ```no_run
//! let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
//! cfg.set("username", "me@example.com")?;
//! cfg.set("password", "hunter2")?;
//! let auth = tpauth::Auth::new(&cfg)?; // share it: cheap to clone, Send + Sync
//! let resp = auth.request("GET", "/v1/private/business-units/123/reviews", None, None)?;
//! println!("{} {}", resp.status(), resp.text());
//! # Ok::<(), tpauth::Error>(())
//! ```
//!
//! [`Auth::request`] gets the managed token ([`Auth::get_token`]: no I/O while it is valid),
//! sends it with the `apikey` header, and on a 401 renews it once and resends. With another HTTP
//! client, take the headers from [`Auth::api_headers`] (it refuses a host that may not see the
//! token) and report a 401 with [`Auth::invalidate_token`].
//!
//! ## Configuration
//!
//! [`Config::new`] takes the API key and secret; [`Config::set`] takes any key of
//! [`OPTION_KEYS`] as a string, the same keys the C ABI and every binding accept (the options
//! table: `docs/options.md` in the repository). [`Config::from_env`] reads `TRUSTPILOT_API_KEY`,
//! `TRUSTPILOT_API_SECRET`, `TRUSTPILOT_USERNAME`, `TRUSTPILOT_PASSWORD` and
//! `TRUSTPILOT_<OPTION>` for every other option.
//!
//! ```
//! let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
//! cfg.set("token_cache", "/var/cache/myapp/trustpilot.token")?; // one token for the whole host
//! cfg.set("timeout_ms", "10000")?;
//! assert!(cfg.set("timeout_ms", "ten").is_err()); // every value is checked when it is set
//! # Ok::<(), tpauth::Error>(())
//! ```
//!
//! ## Errors
//!
//! Every fallible function returns [`Result`]. An [`Error`] carries a [`Status`] (the C ABI's
//! numbers, fixed forever), a message without secrets, the HTTP status, the OAuth error code and
//! the wait the server asked for.
//!
//! ```no_run
//! # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
//! match auth.get_token() {
//!     Ok(token) => println!("expires at {}", token.expires_at()),
//!     Err(e) if e.status() == tpauth::Status::RateLimited => {
//!         println!("asked to wait {:?}", e.retry_after());
//!     }
//!     Err(e) => eprintln!("{e}"), // "TP_ERR_INVALID_GRANT: password grant: ..."
//! }
//! # Ok::<(), tpauth::Error>(())
//! ```
//!
//! ## Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `ffi` | on | the C ABI: the `tp_*` functions of `include/tpauth.h`, exported by the `cdylib` and `staticlib` (module `ffi`). A Rust user may turn it off: `default-features = false, features = ["redis"]`. |
//! | `redis` | on | `token_cache=redis://…` and `rediss://…`: a token cache shared by every host. Without it such a URL is refused with `InvalidArgument`. |
//! | `cli` | off | the `tpauth` command line tool (`token`, `authorize-url`, `exchange`, `refresh`, `revoke`, `mock`, `demo`); pulls in `tpauth-mock`. |
//!
//! ## Testing without credentials
//!
//! The crate `tpauth-mock` is a strict in-memory imitation of Trustpilot's OAuth2 API. Point a
//! [`Config`] at it, and drive token lifetimes and faults from the test:
//!
//! ```
//! let mock = tpauth_mock::MockServer::start()?;
//! let mut cfg = tpauth::Config::new("mock-api-key", "mock-api-secret")?;
//! cfg.set("api_base_url", &mock.url())?;
//! cfg.set("allow_insecure_http", "true")?; // http:// to loopback hosts only
//! cfg.set("username", "user@example.com")?;
//! cfg.set("password", "mock-password")?;
//! let auth = tpauth::Auth::new(&cfg)?;
//! auth.get_token()?;
//! auth.get_token()?;
//! assert_eq!(mock.stats().token_requests, 1); // the second call reused the token
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
// docs.rs (nightly) marks the items a feature brings.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
// Public for the fuzz targets (`fuzz/`: the cache file's parser) and tests only: which cache a
// client uses is the `token_cache` option, and its format is the library's own business.
#[doc(hidden)]
pub mod cache;
mod clock;
mod config;
mod error;
#[cfg(feature = "ffi")]
pub mod ffi;
mod http;
pub mod log;
mod pkce;
mod redirect;
mod response;
mod roots;
mod secret;
pub mod service;
mod token;
mod url;

pub use auth::{caller_header_kept, ApiCall, Auth, Forwarded, Renew, TokenRequestStats, CALLERS_OWN_HEADER};
pub use config::{shown_option_value, ClientAuth, Config, Grant, RefreshEndpoint, TokenSource, OPTION_KEYS};
pub use error::{Error, Result, Status};
pub use pkce::{new_pkce, pkce_challenge, Pkce};
pub use redirect::{new_state, parse_code_redirect, parse_implicit_redirect, ResponseType};
pub use response::Response;
pub use token::Token;
pub use url::{form_urlencode, redact_url, TRUSTPILOT_API_HOSTS};

/// The library's version, `MAJOR.MINOR.PATCH` (the crate's, the C library's `tp_version()` and
/// every binding's).
///
/// ```
/// assert_eq!(tpauth::VERSION.split('.').count(), 3);
/// ```
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
