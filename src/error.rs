//! Typed errors. Every failure of the library is an [`Error`]: a [`Status`] (the numbers are fixed
//! forever by the C ABI), a message that says what went wrong and what to do, and the details a
//! caller acts on (HTTP status, OAuth error code, Retry-After). Messages never contain a secret.

use std::fmt;
use std::time::Duration;

/// Declares [`Status`] once: each variant's number, C name and meaning. The enum, [`Status::ALL`],
/// and [`Status::name`] (`tp_status_name`) are generated from this one list;
/// `src/ffi/mod.rs` declares the C enum for cbindgen, and a test there checks it against this list,
/// as `tests/tables.rs` checks every binding's table against the header.
macro_rules! statuses {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal, $cname:literal;)*) => {
        /// What kind of failure an [`Error`] is. The numeric values are the C ABI's `tp_status`
        /// and never change; a retired value stays reserved. New statuses may be added, so a
        /// `match` needs a `_` arm.
        ///
        /// ```no_run
        /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
        /// use tpauth::Status;
        /// if let Err(e) = auth.get_token() {
        ///     match e.status() {
        ///         Status::RateLimited | Status::Network | Status::Timeout => { /* try again later */ }
        ///         Status::InvalidGrant | Status::Unauthorized => { /* fix the credentials */ }
        ///         _ => eprintln!("{e}"),
        ///     }
        /// }
        /// # Ok::<(), tpauth::Error>(())
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        #[non_exhaustive]
        pub enum Status {
            $($(#[doc = $doc])* $variant = $code,)*
        }

        impl Status {
            /// Every status, in numeric order.
            ///
            /// ```
            /// let names: Vec<&str> = tpauth::Status::ALL.iter().map(|s| s.name()).collect();
            /// assert_eq!(names[0], "TP_OK");
            /// assert!(names.contains(&"TP_ERR_RATE_LIMITED"));
            /// ```
            pub const ALL: &'static [Status] = &[$(Status::$variant),*];

            /// The C name of the status, e.g. `"TP_ERR_RATE_LIMITED"` (also its `Display`).
            ///
            /// ```
            /// use tpauth::Status;
            /// assert_eq!(Status::RateLimited.name(), "TP_ERR_RATE_LIMITED");
            /// assert_eq!(Status::RateLimited.to_string(), "TP_ERR_RATE_LIMITED");
            /// ```
            pub fn name(self) -> &'static str {
                match self {
                    $(Status::$variant => $cname,)*
                }
            }

        }
    };
}

statuses! {
    /// Success (only used by the C ABI).
    Ok = 0, "TP_OK";
    /// NULL, bad UTF-8, unknown option, bad URL, non-https `redirect_uri`.
    InvalidArgument = 1, "TP_ERR_INVALID_ARGUMENT";
    /// DNS, connect, TLS, reset, truncated body.
    Network = 2, "TP_ERR_NETWORK";
    /// The request took longer than `timeout_ms` (or connecting longer than `connect_timeout_ms`).
    Timeout = 3, "TP_ERR_TIMEOUT";
    /// HTTP 401, or OAuth `invalid_client`.
    Unauthorized = 4, "TP_ERR_UNAUTHORIZED";
    /// HTTP 429; see [`Error::retry_after`].
    RateLimited = 5, "TP_ERR_RATE_LIMITED";
    /// OAuth `invalid_grant`: wrong password, used code, revoked or rotated refresh token.
    InvalidGrant = 6, "TP_ERR_INVALID_GRANT";
    /// Any other non-2xx answer.
    Http = 7, "TP_ERR_HTTP";
    /// A 2xx answer with an unusable body: not JSON, no `access_token`, over the size cap.
    Protocol = 8, "TP_ERR_PROTOCOL";
    /// The redirect's `state` differs from the expected one.
    StateMismatch = 9, "TP_ERR_STATE_MISMATCH";
    /// The redirect carries `error=...` (the user declined).
    AccessDenied = 10, "TP_ERR_ACCESS_DENIED";
    /// Nothing to refresh or revoke, or no grant configured for the managed token.
    NoToken = 11, "TP_ERR_NO_TOKEN";
    /// The token cache is unreadable or unwritable.
    Store = 12, "TP_ERR_STORE";
    /// A bug: a caught panic.
    Internal = 13, "TP_ERR_INTERNAL";
}

impl Status {
    /// The status with this number, if there is one.
    ///
    /// ```
    /// use tpauth::Status;
    /// assert_eq!(Status::from_code(5), Some(Status::RateLimited));
    /// assert_eq!(Status::from_code(-1), None);
    /// ```
    pub fn from_code(code: i32) -> Option<Status> {
        Status::ALL.iter().copied().find(|s| s.code() == code)
    }

    /// The numeric value (the C ABI's `tp_status`).
    ///
    /// ```
    /// assert_eq!(tpauth::Status::InvalidGrant.code(), 6);
    /// ```
    pub fn code(self) -> i32 {
        self as i32
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One failure: what kind ([`Error::status`]), what happened ([`Error::message`], never a
/// secret), and what the server said ([`Error::http_status`], [`Error::oauth_code`],
/// [`Error::retry_after`]). `Display` prints `TP_ERR_…: message`.
///
/// ```no_run
/// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
/// match auth.password_grant("me@example.com", "wrong password") {
///     Err(e) if e.status() == tpauth::Status::InvalidGrant => {
///         assert_eq!(e.oauth_code(), Some("invalid_grant"));
///         eprintln!("{e}"); // TP_ERR_INVALID_GRANT: password grant: ...
///     }
///     other => println!("{other:?}"),
/// }
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
    http_status: u16,
    oauth_code: Option<String>,
    retry_after: Option<Duration>,
}

/// The result type of every fallible function of the core.
///
/// ```
/// fn token_cache_config() -> tpauth::Result<tpauth::Config> {
///     let mut cfg = tpauth::Config::new("API_KEY", "API_SECRET")?;
///     cfg.set("token_cache", "/tmp/tpauth-example.token")?;
///     Ok(cfg)
/// }
/// assert!(token_cache_config().is_ok());
/// ```
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A new error, for code that reports its own failures in tpauth's terms (an adapter, a
    /// binding). The message must not contain a secret.
    ///
    /// ```
    /// use tpauth::{Error, Status};
    /// let e = Error::new(Status::Store, "token cache /var/cache/app/tp.token: read-only");
    /// assert_eq!(e.to_string(), "TP_ERR_STORE: token cache /var/cache/app/tp.token: read-only");
    /// ```
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into(), http_status: 0, oauth_code: None, retry_after: None }
    }

    /// `TP_ERR_INVALID_ARGUMENT` naming the argument at fault.
    ///
    /// ```
    /// let e = tpauth::Error::invalid_argument("redirect_uri must use https");
    /// assert_eq!(e.status(), tpauth::Status::InvalidArgument);
    /// ```
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }

    /// Attach the HTTP status of the answer that caused this error.
    ///
    /// ```
    /// use tpauth::{Error, Status};
    /// let e = Error::new(Status::Http, "the API answered 503").with_http_status(503);
    /// assert_eq!(e.http_status(), 503);
    /// ```
    #[must_use]
    pub fn with_http_status(mut self, http_status: u16) -> Error {
        self.http_status = http_status;
        self
    }

    /// Attach the OAuth `error` code the server sent (e.g. `invalid_grant`).
    ///
    /// ```
    /// use tpauth::{Error, Status};
    /// let e = Error::new(Status::InvalidGrant, "refresh refused").with_oauth_code(Some("invalid_grant".into()));
    /// assert_eq!(e.oauth_code(), Some("invalid_grant"));
    /// ```
    #[must_use]
    pub fn with_oauth_code(mut self, code: Option<String>) -> Error {
        self.oauth_code = code;
        self
    }

    /// Attach the wait the server asked for (Retry-After).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tpauth::{Error, Status};
    /// let e = Error::new(Status::RateLimited, "429").with_retry_after(Some(Duration::from_secs(30)));
    /// assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
    /// ```
    #[must_use]
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Error {
        self.retry_after = retry_after;
        self
    }

    /// Prefix the message with context, e.g. `"password grant: "`.
    ///
    /// ```
    /// let e = tpauth::Error::invalid_argument("not a number").context("option timeout_ms");
    /// assert_eq!(e.message(), "option timeout_ms: not a number");
    /// ```
    #[must_use]
    pub fn context(mut self, prefix: &str) -> Error {
        self.message = format!("{prefix}: {}", self.message);
        self
    }

    /// Append a sentence to the message (no secret), e.g. what the caller should do now.
    #[must_use]
    pub(crate) fn with_note(mut self, note: &str) -> Error {
        self.message = format!("{}; {note}", self.message);
        self
    }

    /// What kind of failure this is.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// if let Err(e) = auth.get_token() {
    ///     let retry = matches!(e.status(), tpauth::Status::RateLimited | tpauth::Status::Network | tpauth::Status::Timeout);
    ///     println!("{} (retry later: {retry})", e.status());
    /// }
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn status(&self) -> Status {
        self.status
    }

    /// A human-readable message without secrets: what went wrong and what to do.
    ///
    /// ```
    /// let e = tpauth::Config::new("API_KEY", "API_SECRET")?.set("grant", "magic").unwrap_err();
    /// assert!(e.message().contains("expected password, client_credentials or none"));
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the answer, or 0 when there was none (a network error, a timeout, bad
    /// input).
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// if let Err(e) = auth.get_token() {
    ///     if e.http_status() >= 500 {
    ///         eprintln!("Trustpilot is having trouble: {e}");
    ///     }
    /// }
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    /// The OAuth error code (`"invalid_grant"`, `"invalid_client"`, ...), when the server sent one.
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// if let Err(e) = auth.refresh(None) {
    ///     if e.oauth_code() == Some("invalid_grant") {
    ///         // the refresh token was revoked or rotated elsewhere: sign in again
    ///     }
    /// }
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn oauth_code(&self) -> Option<&str> {
        self.oauth_code.as_deref()
    }

    /// How long the server asked us to wait, when it said (Retry-After or a remembered cooldown).
    ///
    /// ```no_run
    /// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
    /// if let Err(e) = auth.get_token() {
    ///     if let Some(wait) = e.retry_after() {
    ///         std::thread::sleep(wait);
    ///     }
    /// }
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for Error {}
