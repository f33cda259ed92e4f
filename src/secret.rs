//! Secrets (API secret, password, tokens, raw token JSON) live in [`Secret`]: its `Debug` prints
//! `[redacted]`, its memory is zeroed on drop, and it keeps a NUL terminator so that the C ABI can
//! lend it out as a `const char *` without copying.

use std::ffi::CStr;
use std::fmt;
use zeroize::Zeroize;

/// A NUL-terminated secret string that never prints and is wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// The value followed by one NUL byte. Never contains an interior NUL.
    buf: Vec<u8>,
}

impl Secret {
    /// Wrap a value. Returns `None` when it contains a NUL character (it could not be lent to C).
    pub fn new(value: &str) -> Option<Secret> {
        if value.as_bytes().contains(&0) {
            return None;
        }
        let mut buf = Vec::with_capacity(value.len() + 1);
        buf.extend_from_slice(value.as_bytes());
        buf.push(0);
        Some(Secret { buf })
    }

    /// The value.
    pub fn expose(&self) -> &str {
        // SAFETY: buf is built from a &str plus a trailing NUL and never mutated.
        unsafe { std::str::from_utf8_unchecked(&self.buf[..self.buf.len() - 1]) }
    }

    /// The value as a C string, borrowed from `self`.
    #[cfg_attr(not(feature = "ffi"), allow(dead_code))]
    pub fn as_c_str(&self) -> &CStr {
        // SAFETY: exactly one NUL, at the end (checked in `new`).
        unsafe { CStr::from_bytes_with_nul_unchecked(&self.buf) }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}
