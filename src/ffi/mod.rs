//! The C ABI (`include/tpauth.h`): a thin `extern "C"` skin over the safe core.
//!
//! Every entry point follows the same rules (the C ABI conventions of docs/contract.md, section 2),
//! enforced by the machinery of this module:
//!
//! - `ffi_status!` wraps the body of every fallible function: a panic becomes
//!   `TP_ERR_INTERNAL`, an [`Error`] becomes its status, and `*err` (when `err` is not NULL)
//!   receives a new `tp_error`. `ffi_value!` wraps every other function and returns a safe
//!   default on panic.
//! - `arg_ref!`, `arg_mut!`, `arg_str!`, `arg_opt_str!` and `arg_out!` check a pointer
//!   argument and return `TP_ERR_INVALID_ARGUMENT` with a message naming it ("username is NULL",
//!   "password: not valid UTF-8").
//! - Each handle type declares once how it is owned (`Castable`); `into_raw`, `free_raw`,
//!   `borrow` and `borrow_mut` only accept the matching pointers.
//! - Out parameters are written only on success (`write_out` is the last step of a body).
//!
//! # Safety
//!
//! The functions of this module are the C ABI: their safety contract is the header's (pointers
//! are NULL or valid handles of the right type obtained from this library, strings are
//! NUL-terminated, handles are not used after their `_free`). It is stated once here and in
//! `include/tpauth.h` rather than on each function.

// The C names (tp_config, TP_OK, ...) are the ABI's, fixed by the contract (docs/contract.md).
#![allow(non_camel_case_types)]
// The safety contract is the C ABI's, stated once in the module docs and the header.
#![allow(clippy::missing_safety_doc)]

use crate::error::{Error, Status};
use std::any::Any;
use std::ffi::{c_char, c_int, CStr, CString};

// The order of these modules is the order of the header's functions (cbindgen follows it); the
// blank lines keep rustfmt from sorting them.
/// Version, status names, strings, state.
pub mod misc;

/// `tp_error`.
pub mod error;

/// `tp_config`.
pub mod config;

/// `tp_auth`: grants, managed token, API calls.
pub mod auth;

/// What a client was configured with (API key, business user id).
pub mod auth_info;

/// Redirect parsing.
pub mod redirect;

/// `tp_token`.
pub mod token;

/// `tp_response`.
pub mod response;

/// The log callback.
pub mod log;

pub use self::error::tp_error;

/// The result of every fallible function. The numbers are fixed forever; a retired one stays
/// reserved.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tp_status {
    /// Success.
    TP_OK = 0,
    /// NULL, bad UTF-8, unknown option, bad URL, non-https redirect_uri.
    TP_ERR_INVALID_ARGUMENT = 1,
    /// DNS, connect, TLS, reset, truncated body.
    TP_ERR_NETWORK = 2,
    /// The request took longer than timeout_ms (connecting: connect_timeout_ms).
    TP_ERR_TIMEOUT = 3,
    /// 401, or OAuth invalid_client.
    TP_ERR_UNAUTHORIZED = 4,
    /// 429; see tp_error_retry_after_ms.
    TP_ERR_RATE_LIMITED = 5,
    /// OAuth invalid_grant: wrong password, used code, revoked or rotated refresh token.
    TP_ERR_INVALID_GRANT = 6,
    /// Any other non-2xx.
    TP_ERR_HTTP = 7,
    /// 2xx with an unusable body: not JSON, no access_token, body over the size cap.
    TP_ERR_PROTOCOL = 8,
    /// The redirect's state differs from the expected one.
    TP_ERR_STATE_MISMATCH = 9,
    /// The redirect carries error=... (the user declined).
    TP_ERR_ACCESS_DENIED = 10,
    /// Nothing to refresh or revoke, or no grant configured for tp_get_token.
    TP_ERR_NO_TOKEN = 11,
    /// The token cache is unreadable or unwritable.
    TP_ERR_STORE = 12,
    /// A bug: a caught panic.
    TP_ERR_INTERNAL = 13,
}

impl From<Status> for tp_status {
    fn from(s: Status) -> tp_status {
        match s {
            Status::Ok => tp_status::TP_OK,
            Status::InvalidArgument => tp_status::TP_ERR_INVALID_ARGUMENT,
            Status::Network => tp_status::TP_ERR_NETWORK,
            Status::Timeout => tp_status::TP_ERR_TIMEOUT,
            Status::Unauthorized => tp_status::TP_ERR_UNAUTHORIZED,
            Status::RateLimited => tp_status::TP_ERR_RATE_LIMITED,
            Status::InvalidGrant => tp_status::TP_ERR_INVALID_GRANT,
            Status::Http => tp_status::TP_ERR_HTTP,
            Status::Protocol => tp_status::TP_ERR_PROTOCOL,
            Status::StateMismatch => tp_status::TP_ERR_STATE_MISMATCH,
            Status::AccessDenied => tp_status::TP_ERR_ACCESS_DENIED,
            Status::NoToken => tp_status::TP_ERR_NO_TOKEN,
            Status::Store => tp_status::TP_ERR_STORE,
            Status::Internal => tp_status::TP_ERR_INTERNAL,
        }
    }
}

/// A `tp_status` received from C, as a plain `int`: C may pass any number, and a Rust enum
/// holding an undeclared value would be undefined behaviour. The header names it `tp_status`
/// (cbindgen.toml renames it and does not emit this typedef).
pub type tp_status_int = c_int;

// ---------------------------------------------------------------------------------------------
// Ownership of handles
// ---------------------------------------------------------------------------------------------

/// How a handle's memory is owned; the free and borrow helpers only accept the right kind.
pub(crate) trait Ownership {}

/// The handle is a `Box<T>` turned into a raw pointer: created once, freed once with `_free`.
pub(crate) struct OwnershipBox;
impl Ownership for OwnershipBox {}

/// The handle is the allocation of an `Arc` (see [`ArcCastable`]), lent to C with
/// `Arc::into_raw`: each pointer C holds is one strong count, given back once by `_free`. The C
/// type is an opaque marker, never itself constructed; the pointer points at the Arc's content.
pub(crate) struct OwnershipArc;
impl Ownership for OwnershipArc {}

/// Declared once per handle type: how C holds it.
pub(crate) trait Castable: Sized {
    /// Box (owned, one `_free`) or Arc (one strong count per pointer, one `_free` each).
    type Ownership: Ownership;
}

/// A handle held as an `Arc`'s own allocation: what the pointer points at, and the Rust handle
/// (a newtype over the `Arc`) that owns a strong count.
pub(crate) trait ArcCastable: Castable<Ownership = OwnershipArc> {
    /// The Arc's content: what C's pointer points at.
    type RustType;
    /// The owning Rust handle.
    type Owner;
    fn into_arc(owner: Self::Owner) -> std::sync::Arc<Self::RustType>;
    fn from_arc(arc: std::sync::Arc<Self::RustType>) -> Self::Owner;
}

/// Give a new handle to C.
pub(crate) fn into_raw<T: Castable<Ownership = OwnershipBox>>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Take back and drop a handle given by [`into_raw`]; NULL is ignored.
///
/// # Safety
/// `p` is NULL or came from [`into_raw`] and was not freed yet.
pub(crate) unsafe fn free_raw<T: Castable<Ownership = OwnershipBox>>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: the caller's contract.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// Borrow a handle for the duration of a call; `None` when NULL.
///
/// # Safety
/// `p` is NULL or a live handle of type `T`.
pub(crate) unsafe fn borrow<'a, T: Castable<Ownership = OwnershipBox>>(p: *const T) -> Option<&'a T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_ref() }
}

/// Give C one strong count of `owner`'s allocation, as a handle.
pub(crate) fn arc_into_raw<T: ArcCastable>(owner: T::Owner) -> *mut T {
    std::sync::Arc::into_raw(T::into_arc(owner)).cast_mut().cast::<T>()
}

/// Give back the strong count of a handle from [`arc_into_raw`]; NULL is ignored.
///
/// # Safety
/// `p` is NULL or came from [`arc_into_raw`] and was not freed yet.
pub(crate) unsafe fn arc_free<T: ArcCastable>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: the caller's contract: p is one strong count of an Arc<T::RustType>.
        drop(T::from_arc(unsafe { std::sync::Arc::from_raw(p.cast_const().cast::<T::RustType>()) }));
    }
}

/// An Arc handle lent by C for the length of a call: its owning handle over C's strong count,
/// never dropped (C keeps the count). Clone it to keep the value past the call.
pub(crate) struct Lent<'a, T: ArcCastable>(std::mem::ManuallyDrop<T::Owner>, std::marker::PhantomData<&'a T>);

impl<T: ArcCastable> std::ops::Deref for Lent<'_, T> {
    type Target = T::Owner;
    fn deref(&self) -> &T::Owner {
        &self.0
    }
}

/// Borrow an Arc handle for the duration of a call; `None` when NULL.
///
/// # Safety
/// `p` is NULL or a live handle from [`arc_into_raw`].
pub(crate) unsafe fn arc_borrow<'a, T: ArcCastable>(p: *const T) -> Option<Lent<'a, T>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the caller's contract: p is a live strong count, which ManuallyDrop never gives back.
    let arc = unsafe { std::sync::Arc::from_raw(p.cast::<T::RustType>()) };
    Some(Lent(std::mem::ManuallyDrop::new(T::from_arc(arc)), std::marker::PhantomData))
}

/// Borrow a handle mutably for the duration of a call (builders only); `None` when NULL.
///
/// # Safety
/// `p` is NULL or a live handle of type `T` that no other thread uses during the call.
pub(crate) unsafe fn borrow_mut<'a, T: Castable<Ownership = OwnershipBox>>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_mut() }
}

/// Write an out parameter (checked non-NULL by [`arg_out!`] beforehand).
///
/// # Safety
/// `out` is a valid, writable pointer.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: the caller's contract; `write` because *out may be uninitialized.
    unsafe { out.write(value) }
}

/// A string owned by the caller, freed with `tp_string_free`.
pub(crate) fn string_into_raw(s: String) -> *mut c_char {
    match CString::new(s) {
        Ok(c) => c.into_raw(),
        // The core never produces interior NULs in returned strings; stay safe if it did.
        Err(e) => {
            let bytes: Vec<u8> = e.into_vec().into_iter().filter(|b| *b != 0).collect();
            CString::new(bytes).map_or(std::ptr::null_mut(), CString::into_raw)
        }
    }
}

/// A C string argument as `&str`: `Err` names the argument when it is NULL or not UTF-8.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn c_str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(Error::invalid_argument(format!("{name} is NULL")));
    }
    // SAFETY: the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|_| Error::invalid_argument(format!("{name}: not valid UTF-8")))
}

/// As [`c_str_arg`], but NULL is `None` (optional arguments).
///
/// # Safety
/// As [`c_str_arg`].
pub(crate) unsafe fn c_opt_str_arg<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>, Error> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: the caller's contract.
        unsafe { c_str_arg(p, name) }.map(Some)
    }
}

/// The error of a caught panic. The payload is kept (it names the bug) but never contains a
/// secret: the core's secrets print as `[redacted]`.
pub(crate) fn panic_error(payload: &(dyn Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    let mut what: String = what.chars().take(200).collect();
    if what.is_empty() {
        what = "unknown panic".to_owned();
    }
    Error::new(Status::Internal, format!("internal error (a bug in tpauth; please report it): {what}"))
}

/// Report `e` through `err` (when not NULL) and return its status.
///
/// # Safety
/// `err` is NULL or a valid, writable `tp_error **`.
pub(crate) unsafe fn fail(err: *mut *mut tp_error, e: Error) -> tp_status {
    let status = tp_status::from(e.status());
    let status = if status == tp_status::TP_OK { tp_status::TP_ERR_INTERNAL } else { status };
    if !err.is_null() {
        // Building the handle allocates; never let that unwind either.
        let handle = std::panic::catch_unwind(move || into_raw(tp_error::from_error(e))).unwrap_or(std::ptr::null_mut());
        // SAFETY: the caller's contract.
        unsafe { write_out(err, handle) };
    }
    status
}

/// The panic boundary of a fallible function: `$body` is a block evaluating to
/// `Result<(), Error>` (so `?` and the `arg_*!` macros work in it); the function returns
/// `TP_OK`, or the error's status with `*err` set.
macro_rules! ffi_status {
    ($err:expr, $body:block) => {{
        let err: *mut *mut $crate::ffi::tp_error = $err;
        let result = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| -> ::std::result::Result<(), $crate::Error> { $body }));
        match result {
            Ok(Ok(())) => $crate::ffi::tp_status::TP_OK,
            // SAFETY: err is NULL or a valid tp_error ** (the C ABI's contract).
            Ok(Err(e)) => unsafe { $crate::ffi::fail(err, e) },
            // SAFETY: as above.
            Err(payload) => unsafe { $crate::ffi::fail(err, $crate::ffi::panic_error(&*payload)) },
        }
    }};
}
pub(crate) use ffi_status;

/// The panic boundary of a function that cannot report an error: `$default` on panic.
macro_rules! ffi_value {
    ($default:expr, $body:block) => {{
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => $default,
        }
    }};
}
pub(crate) use ffi_value;

/// Borrow a required handle argument, or return `TP_ERR_INVALID_ARGUMENT` ("auth is NULL").
macro_rules! arg_ref {
    ($p:ident) => {
        // SAFETY: NULL or a live handle (the C ABI's contract).
        match unsafe { $crate::ffi::borrow($p) } {
            Some(r) => r,
            None => return Err($crate::Error::invalid_argument(concat!(stringify!($p), " is NULL"))),
        }
    };
}
pub(crate) use arg_ref;

/// Borrow a required Arc handle argument (see [`arc_borrow`]), or return
/// `TP_ERR_INVALID_ARGUMENT` ("token is NULL").
macro_rules! arg_lent {
    ($p:ident) => {
        // SAFETY: NULL or a live handle (the C ABI's contract).
        match unsafe { $crate::ffi::arc_borrow($p) } {
            Some(r) => r,
            None => return Err($crate::Error::invalid_argument(concat!(stringify!($p), " is NULL"))),
        }
    };
}
pub(crate) use arg_lent;

/// Borrow a required builder argument mutably, or return `TP_ERR_INVALID_ARGUMENT`.
macro_rules! arg_mut {
    ($p:ident) => {
        // SAFETY: NULL or a live handle used by one thread (the C ABI's contract).
        match unsafe { $crate::ffi::borrow_mut($p) } {
            Some(r) => r,
            None => return Err($crate::Error::invalid_argument(concat!(stringify!($p), " is NULL"))),
        }
    };
}
pub(crate) use arg_mut;

/// A required string argument as `&str` ("username is NULL", "username: not valid UTF-8").
macro_rules! arg_str {
    ($p:ident) => {
        // SAFETY: NULL or a NUL-terminated string (the C ABI's contract).
        unsafe { $crate::ffi::c_str_arg($p, stringify!($p)) }?
    };
    ($p:ident, $name:expr) => {
        // SAFETY: as above.
        unsafe { $crate::ffi::c_str_arg($p, $name) }?
    };
}
pub(crate) use arg_str;

/// An optional string argument (NULL → `None`).
macro_rules! arg_opt_str {
    ($p:ident) => {
        // SAFETY: NULL or a NUL-terminated string (the C ABI's contract).
        unsafe { $crate::ffi::c_opt_str_arg($p, stringify!($p)) }?
    };
}
pub(crate) use arg_opt_str;

/// A required out parameter: NULL → `TP_ERR_INVALID_ARGUMENT` ("out is NULL").
macro_rules! arg_out {
    ($p:ident) => {
        if $p.is_null() {
            return Err($crate::Error::invalid_argument(concat!(stringify!($p), " is NULL")));
        }
    };
}
pub(crate) use arg_out;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_numbers_match_the_core() {
        // The C enum (declared literally for cbindgen) is the core's list: same numbers, same names.
        for &s in Status::ALL {
            assert_eq!(tp_status::from(s) as i32, s.code());
            assert_eq!(format!("{:?}", tp_status::from(s)), s.name());
        }
    }

    #[test]
    fn panics_become_internal_errors() {
        let mut err: *mut tp_error = std::ptr::null_mut();
        let st = ffi_status!(&mut err, { panic!("boom") });
        assert_eq!(st, tp_status::TP_ERR_INTERNAL);
        assert!(!err.is_null());
        // SAFETY: err was just created.
        let e = unsafe { borrow(err) }.unwrap();
        assert!(e.message().to_str().unwrap().contains("boom"));
        // SAFETY: freed once.
        unsafe { free_raw(err) };
        // NULL err: status only.
        let st = ffi_status!(std::ptr::null_mut(), { Err(Error::invalid_argument("x is NULL")) });
        assert_eq!(st, tp_status::TP_ERR_INVALID_ARGUMENT);
    }

    #[test]
    fn string_args_name_the_argument() {
        let bad = [0xffu8, 0];
        // SAFETY: NUL-terminated test buffers.
        let e = unsafe { c_str_arg(bad.as_ptr().cast(), "password") }.unwrap_err();
        assert_eq!(e.message(), "password: not valid UTF-8");
        // SAFETY: NULL is allowed.
        let e = unsafe { c_str_arg(std::ptr::null(), "username") }.unwrap_err();
        assert_eq!(e.message(), "username is NULL");
        // SAFETY: NULL is allowed.
        assert_eq!(unsafe { c_opt_str_arg(std::ptr::null(), "state") }.unwrap(), None);
    }
}
