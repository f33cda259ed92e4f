//! PKCE (RFC 7636) for the authorization-code flow: a fresh `code_verifier` and its S256
//! `code_challenge`. The challenge goes into the authorize URL, the verifier into the code
//! exchange; a server that saw the challenge refuses a code presented without the verifier, so a
//! stolen code is worthless. Trustpilot does not require it; OAuth 2.1 servers and RFC 9700 do.

use crate::error::{Error, Result};
use base64::Engine as _;

/// A PKCE pair: keep `verifier` secret (beside the `state`) until the code exchange; send
/// `challenge` in the authorize URL. Its `Debug` hides the verifier.
///
/// ```no_run
/// # let auth = tpauth::Auth::new(&tpauth::Config::new("k", "s")?)?;
/// use tpauth::ResponseType;
/// let pkce = tpauth::new_pkce()?;
/// let state = tpauth::new_state();
/// let url = auth.authorize_url_pkce("https://app.example/cb", ResponseType::Code, Some(&state), Some(&pkce.challenge))?;
/// // ... the browser goes to `url` and comes back to https://app.example/cb?code=...&state=... ...
/// # let redirect = "";
/// let code = tpauth::parse_code_redirect(redirect, Some(&state))?;
/// let token = auth.authorization_code_grant_pkce(&code, "https://app.example/cb", Some(&pkce.verifier))?;
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone)]
pub struct Pkce {
    /// 32 random bytes, base64url without padding: 43 characters of `[A-Za-z0-9_-]`.
    pub verifier: String,
    /// `BASE64URL(SHA256(verifier))`, 43 characters (method S256).
    pub challenge: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce").field("verifier", &"[redacted]").field("challenge", &self.challenge).finish()
    }
}

/// A fresh PKCE pair from 32 bytes of the operating system's randomness (RFC 7636 §4.1, §4.2).
/// Fails with `Internal` only when the OS has no entropy source.
///
/// ```
/// let pkce = tpauth::new_pkce()?;
/// assert_eq!(pkce.verifier.len(), 43);
/// assert_eq!(pkce.challenge, tpauth::pkce_challenge(&pkce.verifier)?);
/// # Ok::<(), tpauth::Error>(())
/// ```
pub fn new_pkce() -> Result<Pkce> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| Error::new(crate::Status::Internal, "pkce: the operating system gave no random bytes"))?;
    let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let challenge = pkce_challenge(&verifier)?;
    Ok(Pkce { verifier, challenge })
}

/// The S256 challenge of `verifier` (which must be 43 to 128 characters of
/// `[A-Za-z0-9-._~]`, RFC 7636 §4.1), else `InvalidArgument`.
///
/// ```
/// // RFC 7636, appendix B.
/// let challenge = tpauth::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")?;
/// assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// assert!(tpauth::pkce_challenge("too short").is_err());
/// # Ok::<(), tpauth::Error>(())
/// ```
pub fn pkce_challenge(verifier: &str) -> Result<String> {
    check_verifier(verifier)?;
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()))
}

fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// A `code_verifier`: 43 to 128 unreserved characters (RFC 7636 §4.1).
pub(crate) fn check_verifier(v: &str) -> Result<()> {
    if !(43..=128).contains(&v.len()) || !v.chars().all(unreserved) {
        return Err(Error::invalid_argument(format!(
            "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1), got {} characters; use new_pkce",
            v.chars().count()
        )));
    }
    Ok(())
}

/// A `code_challenge` (S256): 43 base64url characters.
pub(crate) fn check_challenge(c: &str) -> Result<()> {
    if c.len() != 43 || !c.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(Error::invalid_argument(
            "code_challenge must be the 43-character S256 challenge (BASE64URL(SHA256(verifier))); use new_pkce",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        // The example of RFC 7636 Appendix B.
        assert_eq!(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn fresh_pairs() {
        let a = new_pkce().unwrap();
        let b = new_pkce().unwrap();
        assert_eq!((a.verifier.len(), a.challenge.len()), (43, 43));
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(pkce_challenge(&a.verifier).unwrap(), a.challenge);
        assert!(check_challenge(&a.challenge).is_ok());
        assert!(!format!("{a:?}").contains(&a.verifier));
        assert!(pkce_challenge("short").is_err());
        assert!(pkce_challenge(&"a".repeat(129)).is_err());
        assert!(pkce_challenge(&format!("{}+", "a".repeat(43))).is_err());
        assert!(check_challenge("x").is_err());
    }
}
