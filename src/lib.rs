//! # tpauth
//!
//! A client for Trustpilot's OAuth2 business API: the password, authorization-code, implicit and
//! client-credentials grants, refresh, revoke, and API calls with a managed token that is renewed
//! once for all threads (and, with a token cache, for all processes on a host).
//!
//! The safe core ([`Config`], [`Auth`], [`Token`], [`Response`], [`Error`]) knows nothing about C;
//! `ffi` (feature `ffi`, on by default) is the thin `extern "C"` skin that `include/tpauth.h` declares.
//!
//! ```no_run
//! let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
//! cfg.set("username", "me@example.com")?;
//! cfg.set("password", "hunter2")?;
//! let auth = tpauth::Auth::new(&cfg)?;
//! let resp = auth.request("GET", "/v1/private/business-units/123/reviews", None, None)?;
//! println!("{} {}", resp.status(), String::from_utf8_lossy(resp.body()));
//! # Ok::<(), tpauth::Error>(())
//! ```

#![deny(unsafe_op_in_unsafe_fn)]

mod auth;
pub mod cache;
mod config;
mod error;
#[cfg(feature = "ffi")]
pub mod ffi;
mod http;
pub mod log;
mod pkce;
mod redirect;
mod response;
mod secret;
mod token;
mod url;

pub use auth::{ApiCall, Auth, Renew, CALLERS_OWN_HEADER};
pub use config::{ClientAuth, Config, Grant, RefreshEndpoint, OPTION_KEYS};
pub use error::{Error, Result, Status};
pub use pkce::{new_pkce, pkce_challenge, Pkce};
pub use redirect::{new_state, parse_code_redirect, parse_implicit_redirect, ResponseType};
pub use response::Response;
pub use token::Token;
pub use url::{form_urlencode, TRUSTPILOT_API_HOSTS};

/// The library's version, `MAJOR.MINOR.PATCH`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
