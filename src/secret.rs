//! Secrets (API secret, password, tokens, raw token JSON) live in [`Secret`]: its `Debug` prints
//! `[redacted]` and its memory is zeroed on drop. (The C ABI lends a token's strings out through
//! NUL-terminated copies of its own: `src/ffi/token.rs`.)

use std::fmt;
use zeroize::Zeroize;

/// A secret string that never prints and is wiped when dropped. Never contains a NUL.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    value: String,
}

impl Secret {
    /// Wrap a value. Returns `None` when it contains a NUL character: no secret the library
    /// handles may hold one (a header, a form body or a C string would cut it short).
    pub fn new(value: &str) -> Option<Secret> {
        if value.as_bytes().contains(&0) {
            return None;
        }
        Some(Secret { value: value.to_owned() })
    }

    /// The value.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}
