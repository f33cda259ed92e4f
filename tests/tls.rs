//! TLS: a loopback HTTPS server whose certificate comes from a test CA made at run time is
//! reached through `ca_file`, and refused without it (the system trust store does not know it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use tpauth::{Auth, Config, Status};

struct TestPki {
    ca_pem: String,
    server_config: Arc<rustls::ServerConfig>,
}

fn pki() -> TestPki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "tpauth test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap().signed_by(&leaf_key, &ca).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()))
        .unwrap();
    TestPki { ca_pem: ca.pem(), server_config: Arc::new(server_config) }
}

/// Serve token responses over TLS until the listener is dropped; returns the port.
fn serve(config: Arc<rustls::ServerConfig>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(stream) = stream else { continue };
            let config = config.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut reader = BufReader::new(&mut tls);
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return; // the client refused our certificate
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let answer = r#"{"access_token":"over-tls","token_type":"BearerToken","expires_in":"3600"}"#;
                let _ = write!(
                    tls,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}

fn client(port: u16, ca_file: Option<&str>) -> Auth {
    let mut cfg = Config::new("key", "secret").unwrap();
    cfg.set("api_base_url", &format!("https://localhost:{port}")).unwrap();
    cfg.set("max_retries", "0").unwrap();
    if let Some(ca) = ca_file {
        cfg.set("ca_file", ca).unwrap();
    }
    Auth::new(&cfg).unwrap()
}

#[test]
fn ca_file_is_trusted_and_nothing_else() {
    let pki = pki();
    let port = serve(pki.server_config.clone());
    let dir = std::env::temp_dir().join(format!("tpauth-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, &pki.ca_pem).unwrap();

    let tok = client(port, Some(ca_path.to_str().unwrap())).client_credentials_grant().unwrap();
    assert_eq!(tok.access_token(), "over-tls");

    let err = client(port, None).client_credentials_grant().unwrap_err();
    assert_eq!(err.status(), Status::Network, "{err}");
    assert!(err.message().contains("TLS"), "{err}");

    // A ca_file that is not PEM is refused when the client is built.
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let mut cfg = Config::new("key", "secret").unwrap();
    cfg.set("ca_file", junk.to_str().unwrap()).unwrap();
    assert_eq!(Auth::new(&cfg).unwrap_err().status(), Status::InvalidArgument);
    cfg.set("ca_file", dir.join("missing.pem").to_str().unwrap()).unwrap();
    assert_eq!(Auth::new(&cfg).unwrap_err().status(), Status::InvalidArgument);
    let _ = std::fs::remove_dir_all(&dir);
}
