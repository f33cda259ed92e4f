//! Shared helpers of the Rust integration tests: a mock per test and clients pointed at it.
#![allow(dead_code, unused_imports)]

use tpauth::{Auth, Config};
pub use tpauth_mock::{Fault, FaultKind, FaultTarget, MockServer};

pub const KEY: &str = "mock-api-key";
pub const SECRET: &str = "mock-api-secret";
pub const USER: &str = "user@example.com";
pub const PASSWORD: &str = "mock-password";

/// A config for `mock` with the given extra options.
pub fn config(mock: &MockServer, options: &[(&str, &str)]) -> Config {
    let mut cfg = Config::new(KEY, SECRET).unwrap();
    cfg.set("api_base_url", &mock.url()).unwrap();
    cfg.set("authorize_url", &mock.authorize_url()).unwrap();
    cfg.set("allow_insecure_http", "true").unwrap();
    for (k, v) in options {
        cfg.set(k, v).unwrap();
    }
    cfg
}

/// A client for `mock` with the given extra options.
pub fn client(mock: &MockServer, options: &[(&str, &str)]) -> Auth {
    Auth::new(&config(mock, options)).unwrap()
}

/// A client whose managed token uses the password grant.
pub fn password_client(mock: &MockServer, options: &[(&str, &str)]) -> Auth {
    let mut all = vec![("username", USER), ("password", PASSWORD)];
    all.extend_from_slice(options);
    client(mock, &all)
}

/// A fresh temporary folder for one test.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tpauth-test-{}-{name}-{}", std::process::id(), tpauth::new_state()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// GET `url` without following redirects; returns the `Location` header.
pub fn location_of(url: &str) -> String {
    let agent = ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().new_agent();
    let resp = agent.get(url).call().unwrap();
    assert_eq!(resp.status().as_u16(), 302, "the mock's authorize page should redirect");
    resp.headers().get("location").unwrap().to_str().unwrap().to_owned()
}
