//! The trust roots every TLS connection starts from (HTTPS to Trustpilot, `rediss://`), before
//! `ca_file` adds its own.
//!
//! - Linux, Windows and the BSDs: the system's trust store, read by `rustls-native-certs`
//!   (`/etc/ssl/certs` and friends, or the Windows certificate store), or the bundle that
//!   `SSL_CERT_FILE` / `SSL_CERT_DIR` names.
//! - macOS and iOS: the Mozilla root program's certificates compiled in (`webpki-root-certs`), or
//!   the bundle `SSL_CERT_FILE` names. Reading the Keychain needs Apple's Security framework, and
//!   the release builds macOS without Apple's SDK (cross-built with zig, linking only
//!   `libSystem`): a root that a company adds only to the Keychain must be given with `ca_file`
//!   (or `SSL_CERT_FILE`). See docs/release.md.

use rustls_pki_types::CertificateDer;

/// The roots, as DER certificates. Empty when the system has none (a minimal container without
/// ca-certificates): callers say so in their errors.
#[cfg(not(target_vendor = "apple"))]
pub(crate) fn system_roots() -> Vec<CertificateDer<'static>> {
    rustls_native_certs::load_native_certs().certs
}

/// The roots, as DER certificates: the bundle `SSL_CERT_FILE` names when it is set (and holds at
/// least one certificate), else Mozilla's roots.
#[cfg(target_vendor = "apple")]
pub(crate) fn system_roots() -> Vec<CertificateDer<'static>> {
    if let Some(certs) = std::env::var_os("SSL_CERT_FILE").and_then(|path| pem_file(std::path::Path::new(&path))) {
        return certs;
    }
    webpki_root_certs::TLS_SERVER_ROOT_CERTS.to_vec()
}

/// The certificates of a PEM bundle; `None` when it cannot be read or holds none.
#[cfg(any(target_vendor = "apple", test))]
fn pem_file(path: &std::path::Path) -> Option<Vec<CertificateDer<'static>>> {
    use rustls_pki_types::pem::PemObject;
    let data = std::fs::read(path).ok()?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&data).filter_map(std::result::Result::ok).collect();
    (!certs.is_empty()).then_some(certs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_system_has_roots_here() {
        // This machine (and CI) has ca-certificates: an empty list would mean the lookup broke.
        assert!(!super::system_roots().is_empty());
    }

    #[test]
    fn a_pem_bundle_without_certificates_is_no_bundle() {
        let dir = std::env::temp_dir().join(format!("tpauth-roots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("empty.pem");
        std::fs::write(&f, "not a certificate\n").unwrap();
        assert!(super::pem_file(&f).is_none());
        assert!(super::pem_file(&dir.join("missing.pem")).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
