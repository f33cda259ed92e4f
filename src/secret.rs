//! Secrets (API secret, password, tokens, raw token JSON) live in [`Secret`]: its `Debug` prints
//! `[redacted]` and its memory is zeroed on drop. Each is stored NUL-terminated, so that the C ABI
//! lends a token's strings out as they are (`src/ffi/token.rs`), without a copy.

#[cfg(feature = "ffi")]
use std::ffi::CStr;
use std::fmt;
use zeroize::Zeroize;

/// A secret string that never prints and is wiped when dropped. Never contains a NUL (but the
/// one that ends its storage).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// The value followed by one NUL.
    value: String,
}

impl Secret {
    /// Wrap a value. Returns `None` when it contains a NUL character: no secret the library
    /// handles may hold one (a header, a form body or a C string would cut it short).
    pub fn new(value: &str) -> Option<Secret> {
        if value.as_bytes().contains(&0) {
            return None;
        }
        let mut stored = String::with_capacity(value.len() + 1);
        stored.push_str(value);
        stored.push('\0');
        Some(Secret { value: stored })
    }

    /// The value.
    pub fn expose(&self) -> &str {
        &self.value[..self.value.len() - 1]
    }

    /// The value as a C string, borrowed from this secret.
    #[cfg(feature = "ffi")]
    pub(crate) fn expose_c(&self) -> &CStr {
        // The storage ends with the only NUL it holds (`new` refuses any other).
        CStr::from_bytes_with_nul(self.value.as_bytes()).unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn the_value_and_its_c_string_are_the_same_bytes() {
        let s = Secret::new("tok-1").unwrap();
        assert_eq!(s.expose(), "tok-1");
        #[cfg(feature = "ffi")]
        {
            assert_eq!(s.expose_c().to_bytes(), b"tok-1");
            assert_eq!(s.expose_c().as_ptr().cast::<u8>(), s.expose().as_ptr(), "lent without a copy");
        }
        assert_eq!(Secret::new("").unwrap().expose(), "");
        assert!(Secret::new("a\0b").is_none());
    }
}
