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
        /// and never change; a retired value stays reserved.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum Status {
            $($(#[doc = $doc])* $variant = $code,)*
        }

        impl Status {
            /// Every status, in numeric order.
            pub const ALL: &'static [Status] = &[$(Status::$variant),*];

            /// The C name of the status, e.g. `"TP_ERR_RATE_LIMITED"`.
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
    pub fn from_code(code: i32) -> Option<Status> {
        Status::ALL.iter().copied().find(|s| s.code() == code)
    }

    /// The numeric value (the C ABI's `tp_status`).
    pub fn code(self) -> i32 {
        self as i32
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One failure: what kind, what happened, and what the server said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
    http_status: u16,
    oauth_code: Option<String>,
    retry_after: Option<Duration>,
}

/// The result type of every fallible function of the core.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A new error. The message must not contain a secret.
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into(), http_status: 0, oauth_code: None, retry_after: None }
    }

    /// `TP_ERR_INVALID_ARGUMENT` naming the argument at fault.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }

    /// Attach the HTTP status of the answer that caused this error.
    #[must_use]
    pub fn with_http_status(mut self, http_status: u16) -> Error {
        self.http_status = http_status;
        self
    }

    /// Attach the OAuth `error` code the server sent (e.g. `invalid_grant`).
    #[must_use]
    pub fn with_oauth_code(mut self, code: Option<String>) -> Error {
        self.oauth_code = code;
        self
    }

    /// Attach the wait the server asked for (Retry-After).
    #[must_use]
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Error {
        self.retry_after = retry_after;
        self
    }

    /// Prefix the message with context, e.g. `"password grant: "`.
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
    pub fn status(&self) -> Status {
        self.status
    }

    /// A human-readable message without secrets.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the answer, or 0 when there was none.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    /// The OAuth error code (`"invalid_grant"`, `"invalid_client"`, ...), when the server sent one.
    pub fn oauth_code(&self) -> Option<&str> {
        self.oauth_code.as_deref()
    }

    /// How long the server asked us to wait, when it said (Retry-After or a remembered cooldown).
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
