//! `tpauth serve`, run as a user runs it (the binary, against the mock), over its Unix socket and
//! loopback TCP: the token endpoints and their JSON, every guard, the proxy and its path rules,
//! faults, the lifecycle (socket files, SIGTERM, SIGKILL and restart, systemd's sockets and
//! READY=1), `tpauth token` asking the service, and the core's `token_source` client.
//! Token lifetimes come from the mock (`expires_in_schedule`, `expire_all`), never from sleeps.
//! Run by tests/serve/run.sh (`cargo test --features cli --test serve`).
#![cfg(all(unix, feature = "cli"))]

#[path = "serve/support.rs"]
mod support;

use serde_json::json;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::*;
use tpauth_mock::{Fault, FaultKind, FaultTarget, MockServer};

fn now_s() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The access token of a token answer.
fn access(a: &Answer) -> String {
    assert_eq!(a.status, 200, "{}", a.text());
    a.json()["access_token"].as_str().unwrap().to_owned()
}

// ---- the token endpoints ---------------------------------------------------------------------

#[test]
fn token_json_has_the_contract_shape_and_never_a_refresh_token() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("shape");
    let svc = start(&mock.url(), &dir, true, &[]);
    for target in [svc.unix(), svc.tcp()] {
        let a = svc.get(&target, "/v1/token");
        assert_eq!(a.status, 200, "{}", a.text());
        assert_eq!(a.header("content-type"), Some("application/json"));
        let v = a.json();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 5, "{v}");
        for k in ["access_token", "token_type", "expires_in", "expires_at", "identity"] {
            assert!(v.get(k).is_some(), "{k} missing: {v}");
        }
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["identity"], "default");
        let left = v["expires_in"].as_i64().unwrap();
        assert!((359_990..=359_999).contains(&left), "{v}");
        let at = v["expires_at"].as_str().unwrap();
        assert!(at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T', "not RFC 3339 UTC: {at}");
        assert!(!a.text().contains("refresh"), "{}", a.text());
        // The raw form: the access token and nothing else.
        let raw = svc.get(&target, "/v1/token?format=raw");
        assert_eq!(raw.status, 200);
        assert!(raw.header("content-type").unwrap().starts_with("text/plain"));
        assert_eq!(raw.text(), v["access_token"].as_str().unwrap());
    }
    assert_eq!(mock.stats().token_requests, 1, "one token for every caller");
    // No secret in the service's log lines.
    let log = svc.stderr();
    for secret in ["mock-api-secret", "mock-password", &access(&svc.get(&svc.unix(), "/v1/token"))] {
        assert!(!log.contains(secret), "a secret in the log: {log}");
    }
}

#[test]
fn sixty_four_concurrent_invalidations_of_one_token_make_one_renewal() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("inval");
    let svc = Arc::new(start(&mock.url(), &dir, true, &[]));
    for target in [svc.unix(), svc.tcp()] {
        let old = access(&svc.get(&target, "/v1/token"));
        let before = mock.stats().token_requests;
        let barrier = Arc::new(Barrier::new(64));
        let body = json!({"access_token": old}).to_string();
        let answers: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..64)
                .map(|_| {
                    let (svc, barrier, body, target) = (svc.clone(), barrier.clone(), body.clone(), target.clone());
                    s.spawn(move || {
                        barrier.wait();
                        access(&request(
                            &svc,
                            &target,
                            "POST",
                            "/v1/token/invalidate",
                            &[("Content-Type", "application/json")],
                            Some(body.as_bytes()),
                        ))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(mock.stats().token_requests, before + 1, "64 invalidations of one token: one renewal");
        assert!(answers.iter().all(|a| *a == answers[0] && *a != old), "every caller gets the one renewed token");
        // The old token again: it is no longer current, so nothing is renewed.
        let again = request(&svc, &target, "POST", "/v1/token/default/invalidate", &[], Some(body.as_bytes()));
        assert_eq!(access(&again), answers[0]);
        assert_eq!(mock.stats().token_requests, before + 1);
    }
    let metrics = svc.get(&svc.unix(), "/metrics").text();
    assert!(metrics.contains("tpauth_invalidations_total{identity=\"default\",renewed=\"true\"} 2"), "{metrics}");
    assert!(metrics.contains("tpauth_invalidations_total{identity=\"default\",renewed=\"false\"} 128"), "{metrics}");
    // A bad body is a 400 with the error JSON.
    let bad = request(&svc, &svc.unix(), "POST", "/v1/token/invalidate", &[], Some(b"{}"));
    assert_eq!((bad.status, bad.json()["error"].as_str()), (400, Some("TP_ERR_INVALID_ARGUMENT")));
}

/// Callers poll the service until they see the long-lived token at the end of the mock's
/// schedule: three short lifetimes, so exactly three renewals after the first token, however many
/// callers and however slow the machine.
#[test]
fn three_short_lifetimes_make_exactly_three_renewals_for_every_caller() {
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in_schedule": [2, 2, 2, 3600]})).unwrap();
    let dir = temp_dir("expiry");
    let svc = Arc::new(start(&mock.url(), &dir, true, &["-o", "refresh_leeway_s=1"]));
    std::thread::scope(|s| {
        for i in 0..16 {
            let svc = svc.clone();
            s.spawn(move || {
                let target = if i % 2 == 0 { svc.unix() } else { svc.tcp() };
                let mut after = 0;
                while after < 20 {
                    let a = svc.get(&target, "/v1/token");
                    assert_eq!(a.status, 200, "{}", a.text());
                    let left = a.json()["expires_in"].as_i64().unwrap();
                    assert!(left >= 0, "an expired token was served: {}", a.text());
                    if left > 2 {
                        after += 1;
                    }
                }
            });
        }
    });
    let s = mock.stats();
    assert_eq!(s.token_requests, 4, "the first token and three renewals: {s:?}");
}

#[test]
fn identities_from_a_toml_file() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("toml");
    std::fs::write(dir.join("secret"), "mock-api-secret\n").unwrap();
    std::fs::write(dir.join("pw"), "mock-password").unwrap();
    let config = format!(
        r#"default = "shop"

[identities.shop]
api_key = "mock-api-key"
api_secret_file = "{d}/secret"
username = "user@example.com"
password_file = "{d}/pw"
api_base_url = "{url}"
allow_insecure_http = true

[identities.reports]
api_key = "mock-api-key"
api_secret_file = "{d}/secret"
grant = "client_credentials"
business_user_id = "mock-business-user-id"
api_base_url = "{url}"
allow_insecure_http = "true"
"#,
        d = dir.display(),
        url = mock.url()
    );
    std::fs::write(dir.join("serve.toml"), config).unwrap();
    let mut cmd = tpauth();
    cmd.arg("serve").arg("--listen").arg(format!("unix:{}", dir.join("tp.sock").display())).arg("--config").arg(dir.join("serve.toml"));
    let svc = Service::spawn(cmd, &dir, 1, None).unwrap();
    let t = svc.unix();
    assert_eq!(svc.get(&t, "/v1/token").json()["identity"], "shop");
    assert_eq!(svc.get(&t, "/v1/token/reports").json()["identity"], "reports");
    assert_eq!(svc.get(&t, "/v1/token/shop").json()["identity"], "shop");
    let s = mock.stats();
    assert_eq!((s.grants.password, s.grants.client_credentials), (1, 1), "{s:?}");
    let unknown = svc.get(&t, "/v1/token/nobody");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"], "TP_ERR_INVALID_ARGUMENT");
    assert_eq!(unknown.json()["status"], 1);
    // The proxy: the identity's own token and x-business-user-id.
    let a = svc.get(&t, "/v1/proxy/reports/v1/private/x");
    assert_eq!((a.status, a.json()["business_user_id"].as_str()), (200, Some("mock-business-user-id")), "{}", a.text());
}

// ---- the guards --------------------------------------------------------------------------------

#[test]
fn each_guard_refuses_its_request_with_403_and_names_the_rule() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("guards");
    let svc = start(&mock.url(), &dir, true, &[]);
    for target in [svc.unix(), svc.tcp()] {
        let bearer = format!("Bearer {}", svc.tcp_secret.as_deref().unwrap());
        let base = |extra: &[(&'static str, &'static str)]| {
            let mut h: Vec<(&str, String)> = vec![("Host", "localhost".into()), ("X-Tpauth-Request", "true".into())];
            if matches!(target, Target::Tcp(_)) {
                h.push(("Authorization", bearer.clone()));
            }
            for (k, v) in extra {
                h.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
                if !v.is_empty() {
                    h.push((k, (*v).to_owned()));
                }
            }
            h
        };
        let send = |h: Vec<(&str, String)>| {
            let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
            request_with(&target, "GET", "/v1/token", &h, None)
        };
        // The control: a well-formed request passes.
        assert_eq!(send(base(&[])).status, 200);
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("X-Tpauth-Request", "")], "X-Tpauth-Request"),
            (&[("X-Tpauth-Request", "1")], "X-Tpauth-Request"),
            (&[("Origin", "https://evil.example")], "Origin"),
            (&[("Origin", "null")], "Origin"),
            (&[("Sec-Fetch-Site", "cross-site")], "Sec-Fetch-Site"),
            (&[("X-Forwarded-For", "10.0.0.1")], "X-Forwarded-For"),
            (&[("Forwarded", "for=10.0.0.1")], "Forwarded"),
            (&[("Host", "evil.example")], "Host"),
            (&[("Host", "127.0.0.1.nip.io:80")], "Host"),
            (&[("Host", "")], "Host"),
        ];
        for (extra, rule) in cases {
            let a = send(base(extra));
            assert_eq!(a.status, 403, "{extra:?}: {}", a.text());
            let v = a.json();
            assert_eq!(v["error"], "forbidden", "{extra:?}");
            assert!(v["error_description"].as_str().unwrap().contains(rule), "{extra:?}: {v}");
        }
        // Every loopback Host form passes.
        for host in ["127.0.0.1", "127.0.0.1:8200", "[::1]", "[::1]:1", "LOCALHOST"] {
            let mut h = base(&[]);
            h[0].1 = host.into();
            assert_eq!(send(h).status, 200, "{host}");
        }
        // Two Host headers, the first a loopback one: refused (a proxy in front may route by
        // either).
        let mut h = base(&[]);
        h.push(("Host", "evil.example".into()));
        let a = send(h);
        assert_eq!(a.status, 403, "{}", a.text());
        assert!(a.json()["error_description"].as_str().unwrap().contains("more than one Host"), "{}", a.text());
    }
    assert_eq!(mock.stats().token_requests, 1);
}

#[test]
fn tcp_needs_the_bearer_and_rereads_its_file_on_every_request() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("bearer");
    let svc = start(&mock.url(), &dir, true, &[]);
    let t = svc.tcp();
    let secret = svc.tcp_secret.clone().unwrap();
    let with = |auth: Option<&str>| {
        let mut h = vec![("Host", "127.0.0.1"), ("X-Tpauth-Request", "true")];
        if let Some(a) = auth {
            h.push(("Authorization", a));
        }
        request_with(&t, "GET", "/v1/token", &h, None)
    };
    for wrong in [None, Some("Bearer nope"), Some("Basic abc"), Some("Bearer "), Some(&*format!("Bearer {secret}x"))] {
        let a = with(wrong);
        assert_eq!(a.status, 401, "{wrong:?}");
        assert_eq!(a.json()["error"], "forbidden");
        assert!(a.header("www-authenticate").is_some());
    }
    assert_eq!(with(Some(&format!("Bearer {secret}"))).status, 200);
    // Rotation: the file is read at each request.
    std::fs::write(dir.join("bearer"), "rotated-secret\n").unwrap();
    assert_eq!(with(Some(&format!("Bearer {secret}"))).status, 401);
    assert_eq!(with(Some("Bearer rotated-secret")).status, 200);
    // The Unix socket needs no bearer.
    assert_eq!(request_with(&svc.unix(), "GET", "/v1/token", &[("Host", "localhost"), ("X-Tpauth-Request", "true")], None).status, 200);
}

#[test]
fn a_peer_whose_uid_or_gid_is_not_allowed_is_refused() {
    let mock = MockServer::start().unwrap();
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let other = (uid + 4242).to_string();
    let cases: [(&[&str], u16); 4] = [
        (&["--allow-uid", &other], 403),
        (&["--allow-gid", &other], 403),
        (&["--allow-uid", &other, "--allow-uid", &uid.to_string()], 200),
        (&["--allow-gid", &gid.to_string()], 200),
    ];
    for (args, expected) in cases {
        let dir = temp_dir("peer");
        let svc = start(&mock.url(), &dir, false, args);
        let a = svc.get(&svc.unix(), "/v1/token");
        assert_eq!(a.status, expected, "{args:?}: {}", a.text());
        if expected == 403 {
            assert!(a.json()["error_description"].as_str().unwrap().contains(&format!("uid {uid}")), "{}", a.text());
        }
    }
}

// ---- start-up refusals ---------------------------------------------------------------------------

/// `tpauth serve ARGS` that must refuse to start: its exit code and stderr. A service that starts
/// instead is stopped after 10 s, and its code is -1.
fn serve_fails(mock: &MockServer, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let dir = temp_dir("fails");
    let err_path = dir.join("stderr");
    let mut cmd = tpauth();
    mock_env(&mut cmd, &mock.url());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let err = std::fs::File::create(&err_path).unwrap();
    let mut child = cmd.arg("serve").args(args).stdout(std::process::Stdio::null()).stderr(err).spawn().unwrap();
    let began = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        if began.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            break -1;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (code, std::fs::read_to_string(&err_path).unwrap_or_default())
}

#[test]
fn a_secret_given_with_o_is_refused_with_the_file_hint() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("dash-o");
    let sock = format!("unix:{}", dir.join("tp.sock").display());
    for (opt, hint) in [("password=hunter2-secret", "password_file"), ("api_secret=hunter2-secret", "api_secret_file")] {
        let (code, err) = serve_fails(&mock, &["--listen", &sock, "-o", opt], &[]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(hint), "{err}");
        assert!(!err.contains("hunter2-secret"), "the secret was repeated: {err}");
    }
    let (code, err) = serve_fails(&mock, &["--listen", &sock, "-o", "token_cache=redis://:hunter2-secret@127.0.0.1:1/0"], &[]);
    assert!(code == 1 && !err.contains("hunter2-secret"), "{code} {err}");
    assert!(!dir.join("tp.sock").exists());
    // From files they are fine (and the environment's secret is not needed then).
    std::fs::write(dir.join("secret"), "mock-api-secret\n").unwrap();
    let file = format!("api_secret_file={}", dir.join("secret").display());
    let svc = try_start(&mock.url(), &dir, false, &["-o", &file], &[("TRUSTPILOT_API_SECRET", "")]).unwrap();
    assert_eq!(svc.get(&svc.unix(), "/v1/token").status, 200);
}

/// TRUSTPILOT_API_SECRET_FILE and TRUSTPILOT_PASSWORD_FILE hold the secrets (nothing in the
/// environment itself), and the service does not report them as variables that name no option;
/// a variable that truly names none still is.
#[test]
fn the_environments_secret_files_are_used_and_not_reported_as_unknown() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("envfiles");
    std::fs::write(dir.join("secret"), "mock-api-secret\n").unwrap();
    std::fs::write(dir.join("pw"), "mock-password\n").unwrap();
    let (secret, pw) = (dir.join("secret").display().to_string(), dir.join("pw").display().to_string());
    let env = [
        ("TRUSTPILOT_API_SECRET", ""),
        ("TRUSTPILOT_PASSWORD", ""),
        ("TRUSTPILOT_API_SECRET_FILE", &*secret),
        ("TRUSTPILOT_PASSWORD_FILE", &*pw),
        ("TRUSTPILOT_NO_SUCH_OPTION", "1"),
    ];
    let svc = try_start(&mock.url(), &dir, false, &[], &env).unwrap();
    assert_eq!(svc.get(&svc.unix(), "/v1/token").status, 200);
    assert_eq!(mock.stats().grants.password, 1);
    // Every start-up line is on stderr before the address is on stdout.
    let log = svc.stderr();
    assert!(!log.contains("TRUSTPILOT_API_SECRET_FILE") && !log.contains("TRUSTPILOT_PASSWORD_FILE"), "{log}");
    assert!(log.contains("TRUSTPILOT_NO_SUCH_OPTION names no tpauth option"), "{log}");
    assert!(!log.contains("mock-api-secret") && !log.contains("mock-password"), "{log}");
}

#[test]
fn non_loopback_tcp_and_tcp_without_a_secret_file_are_refused_at_start() {
    let mock = MockServer::start().unwrap();
    let (code, err) = serve_fails(&mock, &["--listen", "tcp:0.0.0.0:0"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a loopback address"), "{err}");
    let (code, err) = serve_fails(&mock, &["--listen", "tcp:127.0.0.1:0"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--tcp-secret-file"), "{err}");
}

#[test]
fn a_socket_path_holding_a_file_a_symlink_or_a_folder_is_refused_and_left_alone() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("nonsock");
    let file = dir.join("file.sock");
    std::fs::write(&file, "precious").unwrap();
    let link = dir.join("link.sock");
    std::os::unix::fs::symlink(dir.join("elsewhere"), &link).unwrap();
    let folder = dir.join("folder.sock");
    std::fs::create_dir(&folder).unwrap();
    for (path, what) in [(&file, "regular file"), (&link, "symbolic link"), (&folder, "folder")] {
        let (code, err) = serve_fails(&mock, &["--listen", &format!("unix:{}", path.display())], &[]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(what) && err.contains("not a socket"), "{err}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(!dir.join("elsewhere").exists(), "the symlink's target must not be created");
    assert!(folder.is_dir());
}

#[test]
fn a_stale_socket_is_replaced_but_a_live_one_is_not() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("stale");
    let path = dir.join("tp.sock");
    // A live service on the path: refused.
    let live = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let (code, err) = serve_fails(&mock, &["--listen", &format!("unix:{}", path.display())], &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("another service answers"), "{err}");
    // The same socket file with nobody listening (a killed service): replaced.
    drop(live);
    assert!(path.exists());
    let svc = start(&mock.url(), &dir, false, &[]);
    assert_eq!(svc.get(&svc.unix(), "/v1/token").status, 200);
}

#[test]
fn the_socket_is_0660_and_a_folder_it_creates_0750() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("modes");
    let sock = dir.join("run/tpauth/tp.sock");
    let mut cmd = tpauth();
    mock_env(&mut cmd, &mock.url());
    cmd.arg("serve").arg("--listen").arg(format!("unix:{}", sock.display()));
    // A strict umask (077) must not take the group's bits from the folder or the socket.
    // SAFETY: umask is async-signal-safe and only sets the child's file mode mask.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::umask(0o077);
            Ok(())
        });
    }
    let svc = Service::spawn(cmd, &dir, 1, None).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&sock), 0o660);
    assert_eq!(mode(&dir.join("run/tpauth")), 0o750);
    assert_eq!(mode(&dir.join("run")), 0o750);
    drop(svc);
    let dir2 = temp_dir("mode600");
    let svc = start(&mock.url(), &dir2, false, &["--socket-mode", "0600"]);
    assert_eq!(mode(&dir2.join("tp.sock")), 0o600);
    drop(svc);
}

// ---- the proxy -------------------------------------------------------------------------------------

#[test]
fn the_proxy_carries_a_json_body_and_the_core_headers_never_the_callers_authorization() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("proxy");
    let svc = start(&mock.url(), &dir, true, &["-o", "business_user_id=bu-7"]);
    for target in [svc.unix(), svc.tcp()] {
        let body = br#"{"stars":5,"text":"caf\u00e9 & co"}"#;
        let a = request(
            &svc,
            &target,
            "POST",
            "/v1/proxy/v1/private/reviews?lang=en&x=%2F",
            &[("Content-Type", "application/json"), ("apikey", "callers-key"), ("X-Custom", "kept")],
            Some(body),
        );
        assert_eq!(a.status, 200, "{}", a.text());
        let echo = a.json();
        assert_eq!(echo["method"], "POST");
        assert_eq!(echo["path"], "/v1/private/reviews");
        assert_eq!(echo["query"], "lang=en&x=%2F");
        assert_eq!(echo["content_type"], "application/json");
        assert_eq!(echo["body"].as_str().unwrap().as_bytes(), body);
        let seen = mock.last_api_request().unwrap();
        let token = access(&svc.get(&target, "/v1/token"));
        assert_eq!(seen.header("authorization"), Some(&*format!("Bearer {token}")));
        assert_eq!(seen.header("apikey"), Some("mock-api-key"));
        assert_eq!(seen.header("x-business-user-id"), Some("bu-7"));
        assert_eq!(seen.header("x-custom"), Some("kept"));
        assert_eq!(seen.header("x-tpauth-request"), None);
        assert!(!seen.headers.iter().any(|(k, v)| k == "authorization" && v.contains(svc.tcp_secret.as_deref().unwrap())));
    }
    // A caller's own Authorization is dropped, not forwarded.
    let a = request(&svc, &svc.unix(), "GET", "/v1/proxy/v1/x", &[("Authorization", "Bearer callers-own")], None);
    assert_eq!(a.status, 200);
    assert!(!mock.last_api_request().unwrap().headers.iter().any(|(_, v)| v.contains("callers-own")));
    let m = svc.get(&svc.unix(), "/metrics").text();
    assert!(m.contains("tpauth_proxy_requests_total{identity=\"default\",code=\"200\"} 3"), "{m}");
}

#[test]
fn the_proxy_streams_a_two_megabyte_answer() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("big");
    let svc = start(&mock.url(), &dir, true, &[]);
    for target in [svc.unix(), svc.tcp()] {
        mock.fault(Fault::new(FaultKind::BigBody).target(FaultTarget::Api).size(2 * 1024 * 1024));
        let a = svc.get(&target, "/v1/proxy/v1/big");
        assert_eq!(a.status, 200);
        assert_eq!(a.body.len(), 2 * 1024 * 1024);
        assert_eq!(a.header("content-length"), Some("2097152"));
    }
}

#[test]
fn a_401_from_the_api_makes_one_renewal_and_one_resend() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("p401");
    let svc = start(&mock.url(), &dir, true, &[]);
    for t in [svc.unix(), svc.tcp()] {
        let old = access(&svc.get(&t, "/v1/token"));
        let before = mock.stats();
        mock.expire_all();
        let a = request(&svc, &t, "PUT", "/v1/proxy/v1/private/x", &[("Content-Type", "text/plain")], Some(b"resend me"));
        assert_eq!(a.status, 200, "{}", a.text());
        assert_eq!(a.json()["body"], "resend me", "the body goes again with the resend");
        let s = mock.stats();
        assert_eq!(
            (s.token_requests - before.token_requests, s.api_401 - before.api_401, s.api_requests - before.api_requests),
            (1, 1, 2),
            "{t:?}: {s:?}"
        );
        assert_ne!(access(&svc.get(&t, "/v1/token")), old);
    }
}

#[test]
fn proxy_paths_that_would_leave_the_api_are_400_and_nothing_is_sent() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("paths");
    let svc = start(&mock.url(), &dir, false, &[]);
    let t = svc.unix();
    for path in [
        "/v1/proxy//evil.example/x",
        "/v1/proxy/v1/../../_mock/stats",
        "/v1/proxy/..",
        "/v1/proxy/v1/%2e%2e/%2E%2E/_mock/stats",
        "/v1/proxy/v1%2F..%2F_mock/stats",
        "/v1/proxy/https://evil.example/x",
        "/v1/proxy/https:%2F%2Fevil.example/x",
        "/v1/proxy/evil.example:443/x",
        "/v1/proxy/v1/a%5cb",
        "/v1/proxy/",
    ] {
        let a = svc.get(&t, path);
        assert_eq!(a.status, 400, "{path}: {}", a.text());
        assert_eq!(a.json()["error"], "TP_ERR_INVALID_ARGUMENT", "{path}");
    }
    // An absolute URL as the request target.
    let a = request_with(&t, "GET", "http://evil.example/v1/proxy/v1/x", &[("Host", "localhost"), ("X-Tpauth-Request", "true")], None);
    assert_eq!(a.status, 400, "{}", a.text());
    let s = mock.stats();
    assert_eq!((s.api_requests, s.requests), (0, 0), "nothing may reach the mock: {s:?}");
}

// ---- faults ------------------------------------------------------------------------------------------

#[test]
fn trustpilot_rate_limiting_is_429_with_retry_after_and_down_is_503() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("429");
    let svc = start(&mock.url(), &dir, false, &["-o", "max_retries=0"]);
    mock.fault(Fault::new(FaultKind::TooManyRequests).retry_after("7"));
    let a = svc.get(&svc.unix(), "/v1/token");
    assert_eq!(a.status, 429, "{}", a.text());
    assert_eq!(a.header("retry-after"), Some("7"));
    let v = a.json();
    assert_eq!((v["error"].as_str(), v["status"].as_i64()), (Some("TP_ERR_RATE_LIMITED"), Some(5)));
    assert!(svc.get(&svc.unix(), "/metrics").text().contains("tpauth_rate_limited_total{identity=\"default\"} 1"));
    drop(svc);

    // Down: nothing listens at the API's address.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = temp_dir("down");
    let svc = start(&url, &dir, false, &["-o", "max_retries=0"]);
    let a = svc.get(&svc.unix(), "/v1/token");
    assert_eq!(a.status, 503, "{}", a.text());
    assert!(a.header("retry-after").is_some());
    assert_eq!(a.json()["error"], "TP_ERR_NETWORK");
    let r = svc.get(&svc.unix(), "/readyz");
    assert_eq!(r.status, 503);
    assert_eq!((r.json()["identity"].as_str(), r.json()["error"].as_str()), (Some("default"), Some("TP_ERR_NETWORK")));
    assert_eq!(svc.get(&svc.unix(), "/healthz").text(), "ok");
}

/// The token lives 2 s (the mock's schedule); from then on every token request gets 429. Callers
/// poll: they get the token while it is valid, then 429, never the expired token.
#[test]
fn an_expired_token_is_never_served_while_trustpilot_refuses() {
    let mock = MockServer::start().unwrap();
    mock.configure(json!({"expires_in_schedule": [2]})).unwrap();
    let dir = temp_dir("noexpired");
    let svc = start(&mock.url(), &dir, false, &["-o", "max_retries=0", "-o", "max_retry_wait_ms=0"]);
    let t = svc.unix();
    let first = svc.get(&t, "/v1/token");
    let token = access(&first);
    // The service received its 2 s token while this first request was in flight: the token has
    // expired by this instant at the latest.
    let now_ms = || SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64;
    let expires_at_ms = now_ms() + 2000;
    mock.fault(Fault::new(FaultKind::TooManyRequests).count(1_000_000).retry_after("1"));
    let start = Instant::now();
    loop {
        let asked_ms = now_ms();
        let a = svc.get(&t, "/v1/token");
        match a.status {
            200 => {
                assert_eq!(access(&a), token);
                assert!(asked_ms < expires_at_ms, "the token was served after its expiry");
            }
            429 => {
                assert!(a.header("retry-after").is_some());
                break;
            }
            other => panic!("{other}: {}", a.text()),
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the token never stopped being served");
    }
    let r = svc.get(&t, "/readyz");
    assert_eq!(r.status, 503);
}

#[test]
fn with_redis_down_the_service_goes_on() {
    let mock = MockServer::start().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let redis = format!("redis://{}/0", closed.local_addr().unwrap());
    drop(closed);
    let dir = temp_dir("redis");
    let svc =
        try_start(&mock.url(), &dir, false, &[], &[("TRUSTPILOT_TOKEN_CACHE", &redis), ("TRUSTPILOT_CACHE_TIMEOUT_MS", "200")]).unwrap();
    let t = svc.unix();
    let a = access(&svc.get(&t, "/v1/token"));
    assert_eq!(access(&svc.get(&t, "/v1/token")), a);
    assert_eq!(mock.stats().token_requests, 1);
    let m = svc.get(&t, "/metrics").text();
    assert!(m.contains("tpauth_cache_up{identity=\"default\",backend=\"redis\"} 0"), "{m}");
}

#[test]
fn killed_and_restarted_it_serves_the_cached_token_at_once_with_trustpilot_stalled() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("restart");
    let cache = dir.join("token-cache.json");
    let env = [("TRUSTPILOT_TOKEN_CACHE", cache.to_str().unwrap())];
    let mut svc = try_start(&mock.url(), &dir, false, &[], &env).unwrap();
    let token = access(&svc.get(&svc.unix(), "/v1/token"));
    svc.signal(libc::SIGKILL);
    assert!(svc.wait_exit(Duration::from_secs(5)).is_none(), "killed: no exit code");
    assert!(dir.join("tp.sock").exists(), "SIGKILL leaves the socket file behind");
    // Trustpilot now stalls every token request for a minute: the restarted service can answer
    // at once only from the cache, with nothing to wait for (the killed process's file lock died
    // with it, and its socket file is replaced). A wall-clock bound would test the machine's load,
    // not the service; the time is printed.
    mock.fault(Fault::new(FaultKind::Slow).target(FaultTarget::Token).delay_ms(60_000).count(1_000));
    let began = Instant::now();
    let svc = try_start(&mock.url(), &dir, false, &[], &env).unwrap();
    let again = access(&svc.get(&svc.unix(), "/v1/token"));
    eprintln!("killed and restarted: the cached token served {} ms after the start", began.elapsed().as_millis());
    assert_eq!(again, token, "the cached token");
    assert_eq!(mock.stats().token_requests, 1, "no new token request");
    assert_eq!(svc.get(&svc.unix(), "/readyz").status, 200);
}

#[test]
fn a_client_that_disconnects_mid_body_costs_nothing() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("midbody");
    let svc = start(&mock.url(), &dir, false, &[]);
    let t = svc.unix();
    for _ in 0..20 {
        let mut c = t.connect();
        c.write_all(b"POST /v1/proxy/v1/x HTTP/1.1\r\nHost: localhost\r\nX-Tpauth-Request: true\r\nContent-Length: 100000\r\n\r\n")
            .unwrap();
        c.write_all(&[b'x'; 1000]).unwrap();
        drop(c);
        let mut c = t.connect();
        c.write_all(
            b"POST /v1/token/invalidate HTTP/1.1\r\nHost: localhost\r\nX-Tpauth-Request: true\r\nContent-Length: 500\r\n\r\n{\"acc",
        )
        .unwrap();
        drop(c);
    }
    // And one that leaves in the middle of a 2 MB answer.
    mock.fault(Fault::new(FaultKind::BigBody).target(FaultTarget::Api).size(2 * 1024 * 1024));
    let mut c = t.connect();
    c.write_all(b"GET /v1/proxy/v1/big HTTP/1.1\r\nHost: localhost\r\nX-Tpauth-Request: true\r\n\r\n").unwrap();
    let mut some = [0u8; 1000];
    c.read_exact(&mut some).unwrap();
    drop(c);
    assert_eq!(svc.get(&t, "/v1/token").status, 200, "the service goes on");
    assert_eq!(svc.get(&t, "/v1/proxy/v1/y").status, 200);
    let s = mock.stats();
    assert_eq!((s.api_requests, s.token_requests), (2, 1), "the cut-off requests were never forwarded: {s:?}");
}

// ---- lifecycle -------------------------------------------------------------------------------------

#[test]
fn sigterm_finishes_the_request_in_flight_removes_the_socket_and_exits_0() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("term");
    let mut svc = start(&mock.url(), &dir, false, &[]);
    let t = svc.unix();
    assert_eq!(svc.get(&t, "/v1/token").status, 200);
    mock.fault(Fault::new(FaultKind::Slow).target(FaultTarget::Api).delay_ms(1500));
    let mut c = t.connect();
    c.write_all(b"GET /v1/proxy/v1/slow HTTP/1.1\r\nHost: localhost\r\nX-Tpauth-Request: true\r\nConnection: close\r\n\r\n").unwrap();
    // The slow request has reached the mock (it counts requests as they arrive).
    let began = Instant::now();
    while mock.stats().api_requests == 0 {
        assert!(began.elapsed() < Duration::from_secs(10));
        std::thread::yield_now();
    }
    svc.signal(libc::SIGTERM);
    let mut out = Vec::new();
    c.read_to_end(&mut out).unwrap();
    assert_eq!(parse_answer(&out).status, 200, "the request in flight is finished");
    assert_eq!(svc.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(!dir.join("tp.sock").exists(), "the socket is removed");
}

#[test]
fn sigint_stops_it_as_sigterm_does() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("int");
    let mut svc = start(&mock.url(), &dir, false, &[]);
    assert_eq!(svc.get(&svc.unix(), "/v1/token").status, 200);
    svc.signal(libc::SIGINT);
    assert_eq!(svc.wait_exit(Duration::from_secs(30)), Some(0), "SIGINT: exit 0");
    assert!(!dir.join("tp.sock").exists(), "the socket is removed");
}

/// A listening socket given as fd 3 with LISTEN_FDS=1 and LISTEN_PID (what systemd does), or with
/// `--listen fd:3`; READY=1 arrives on NOTIFY_SOCKET.
#[test]
fn systemd_socket_activation_and_ready_notification() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let mock = MockServer::start().unwrap();
    for explicit in [false, true] {
        let dir = temp_dir("sdfd");
        let path = dir.join("activated.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let notify = std::os::unix::net::UnixDatagram::bind(dir.join("notify")).unwrap();
        notify.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let fd = listener.as_raw_fd();
        let mut cmd = std::process::Command::new("/bin/sh");
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("TRUSTPILOT_") {
                cmd.env_remove(k);
            }
        }
        mock_env(&mut cmd, &mock.url());
        cmd.env("NOTIFY_SOCKET", dir.join("notify"));
        if explicit {
            cmd.args(["-c", "exec \"$0\" serve --listen fd:3", BIN]);
        } else {
            // systemd sets LISTEN_PID to the service's pid: the shell's, which exec keeps.
            cmd.args(["-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" serve", BIN]);
        }
        // SAFETY: dup2 is async-signal-safe; it puts the listener on fd 3 in the child.
        unsafe {
            cmd.pre_exec(move || if libc::dup2(fd, 3) == 3 { Ok(()) } else { Err(std::io::Error::last_os_error()) });
        }
        let svc = Service::spawn(cmd, &dir, 1, None).unwrap();
        assert_eq!(svc.targets[0].spec(), format!("unix:{}", path.display()), "it serves the inherited socket");
        drop(listener);
        let mut buf = [0u8; 256];
        let n = notify.recv(&mut buf).unwrap();
        let msg = String::from_utf8_lossy(&buf[..n]);
        assert!(msg.lines().any(|l| l == "READY=1"), "{msg}");
        let t = Target::Unix(path.clone());
        assert_eq!(svc.get(&t, "/v1/token").status, 200);
        drop(svc);
        assert!(path.exists(), "an inherited socket belongs to systemd: never removed");
    }
}

// ---- tpauth token, and the core as a client --------------------------------------------------------

#[test]
fn tpauth_token_asks_the_service_first_and_keeps_its_exit_codes() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("cli");
    let svc = start(&mock.url(), &dir, true, &[]);
    let token = access(&svc.get(&svc.unix(), "/v1/token"));
    let listen = svc.unix().spec();
    // No secret in this process: the service answers.
    let out = tpauth().args(["token", "--raw", "--listen", &listen]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), token);
    let out = tpauth().args(["token", "--listen", &listen]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["access_token"].as_str(), v["identity"].as_str()), (Some(&*token), Some("default")));
    // Over TCP, with the bearer from TRUSTPILOT_TOKEN_SOURCE_SECRET_FILE.
    let out = tpauth()
        .args(["token", "--raw", "--listen", &svc.tcp().spec()])
        .env("TRUSTPILOT_TOKEN_SOURCE_SECRET_FILE", dir.join("bearer"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), token, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mock.stats().token_requests, 1, "every token came from the service");
    // The service's error: exit 1 with the message on stderr.
    let out = tpauth().args(["token", "--listen", &listen, "--identity", "nobody"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TP_ERR_INVALID_ARGUMENT"));
    // A usage error: exit 2.
    assert_eq!(tpauth().args(["token", "--listen", "ftp:x"]).output().unwrap().status.code(), Some(2));
    // No service at the address: the library itself, from the environment.
    let mut cmd = tpauth();
    mock_env(&mut cmd, &mock.url());
    let gone = format!("unix:{}", dir.join("nobody.sock").display());
    let out = cmd.args(["token", "--raw", "--listen", &gone]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mock.stats().token_requests, 2, "the library's own grant");
    // …and without a service nor an environment: exit 1.
    assert_eq!(tpauth().args(["token", "--listen", &gone]).output().unwrap().status.code(), Some(1));
}

fn source_client(target: &Target, mock: &MockServer, extra: &[(&str, String)]) -> tpauth::Auth {
    // No API secret in this process: the service holds it.
    let mut cfg = tpauth::Config::new("mock-api-key", "").unwrap();
    cfg.set("api_base_url", &mock.url()).unwrap();
    cfg.set("allow_insecure_http", "true").unwrap();
    cfg.set("token_source", &format!("serve:{}", target.spec())).unwrap();
    for (k, v) in extra {
        cfg.set(k, v).unwrap();
    }
    tpauth::Auth::new(&cfg).unwrap()
}

#[test]
fn the_core_takes_its_token_from_the_service_and_invalidates_through_it() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("source");
    let svc = start(&mock.url(), &dir, true, &[]);
    let bearer = vec![("token_source_secret_file", dir.join("bearer").display().to_string())];
    // Sixteen "processes" (clients of their own) over both transports.
    let clients: Vec<tpauth::Auth> = (0..16)
        .map(|i| if i % 2 == 0 { source_client(&svc.unix(), &mock, &[]) } else { source_client(&svc.tcp(), &mock, &bearer) })
        .collect();
    let token = access(&svc.get(&svc.unix(), "/v1/token"));
    for c in &clients {
        assert_eq!(c.get_token().unwrap().access_token(), token);
        assert_eq!(c.request("GET", "/v1/x", None, None).unwrap().status(), 200);
    }
    assert_eq!(mock.stats().token_requests, 1);
    // The API refuses the token: every client gets a 401, reports it, and the service renews once.
    mock.expire_all();
    std::thread::scope(|s| {
        for c in &clients {
            s.spawn(move || assert_eq!(c.request("GET", "/v1/x", None, None).unwrap().status(), 200));
        }
    });
    let st = mock.stats();
    assert_eq!(st.token_requests, 2, "sixteen 401s, one renewal: {st:?}");
    let renewed = access(&svc.get(&svc.unix(), "/v1/token"));
    assert!(clients.iter().all(|c| c.get_token().unwrap().access_token() == renewed));
    // Over TCP without the bearer file: refused at construction, and a wrong bearer is refused by
    // the service as unauthorized.
    let mut cfg = tpauth::Config::new("mock-api-key", "").unwrap();
    cfg.set("token_source", &format!("serve:{}", svc.tcp().spec())).unwrap();
    assert_eq!(tpauth::Auth::new(&cfg).unwrap_err().status(), tpauth::Status::InvalidArgument);
    std::fs::write(dir.join("wrong"), "nope").unwrap();
    let wrong = source_client(&svc.tcp(), &mock, &[("token_source_secret_file", dir.join("wrong").display().to_string())]);
    assert_eq!(wrong.get_token().unwrap_err().status(), tpauth::Status::Unauthorized);
    // The service's errors keep their class: an unknown identity.
    let lost = source_client(&svc.unix(), &mock, &[("token_source_identity", "nobody".into())]);
    let e = lost.get_token().unwrap_err();
    assert!(e.message().contains("no identity named"), "{e}");
    // No service at all: a network error naming the socket.
    let none = source_client(&Target::Unix(dir.join("none.sock")), &mock, &[]);
    let e = none.get_token().unwrap_err();
    assert_eq!(e.status(), tpauth::Status::Network, "{e}");
}

#[test]
fn metrics_carry_every_name_the_contract_fixes() {
    let mock = MockServer::start().unwrap();
    let dir = temp_dir("metrics");
    let cache = dir.join("cache.json");
    let svc = try_start(&mock.url(), &dir, false, &[], &[("TRUSTPILOT_TOKEN_CACHE", cache.to_str().unwrap())]).unwrap();
    let t = svc.unix();
    let token = svc.get(&t, "/v1/token").json();
    assert_eq!(svc.get(&t, "/v1/proxy/v1/x").status, 200);
    let m = svc.get(&t, "/metrics");
    assert!(m.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    let text = m.text();
    let expiry = now_s() + token["expires_in"].as_i64().unwrap();
    for line in [
        "tpauth_token_requests_total{identity=\"default\",grant=\"password\"} 1",
        "tpauth_token_requests_total{identity=\"default\",grant=\"refresh_token\"} 0",
        "tpauth_tokens_served_total{identity=\"default\"} 1",
        "tpauth_invalidations_total{identity=\"default\",renewed=\"true\"} 0",
        "tpauth_proxy_requests_total{identity=\"default\",code=\"200\"} 1",
        "tpauth_rate_limited_total{identity=\"default\"} 0",
        "tpauth_cache_up{identity=\"default\",backend=\"file\"} 1",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    let shown: i64 =
        text.lines().find_map(|l| l.strip_prefix("tpauth_token_expiry_timestamp_seconds{identity=\"default\"} ")).unwrap().parse().unwrap();
    assert!((shown - expiry).abs() <= 2, "{shown} vs {expiry}");
    assert_eq!(svc.get(&t, "/readyz").status, 200);
    let h = svc.get(&t, "/healthz");
    assert_eq!((h.status, h.text().as_str()), (200, "ok"));
    assert_eq!(request(&svc, &t, "POST", "/healthz", &[], Some(b"")).status, 405);
    assert_eq!(svc.get(&t, "/nope").status, 404);
}

/// The proxy's call goes out once more on a new connection when the API closed the reused
/// keep-alive connection as the request arrived (an idle timeout), as every other call does. A
/// scripted server answers the first request of its first connection, closes that connection on
/// the second without a byte, and answers on the next connection.
#[test]
fn a_forwarded_call_on_a_stale_keep_alive_connection_goes_out_again_once() {
    use std::io::BufRead;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(std::sync::Mutex::new(Vec::<(usize, String, String)>::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { return };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                for i in 0.. {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0;
                    loop {
                        let mut h = String::new();
                        reader.read_line(&mut h).unwrap();
                        if h.trim().is_empty() {
                            break;
                        }
                        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0u8; length];
                    reader.read_exact(&mut body).unwrap();
                    log.lock().unwrap().push((n, line.trim().to_owned(), String::from_utf8_lossy(&body).into_owned()));
                    if n == 0 && i == 1 {
                        return; // closes the connection: no byte of an answer
                    }
                    writer.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}").unwrap();
                }
            });
        }
    });
    let mut cfg = tpauth::Config::new("key", "secret").unwrap();
    cfg.set("api_base_url", &format!("http://127.0.0.1:{port}")).unwrap();
    cfg.set("allow_insecure_http", "true").unwrap();
    let auth = tpauth::Auth::new(&cfg).unwrap();
    auth.set_token(&tpauth::Token::from_json(r#"{"access_token":"tok","expires_in":3600}"#).unwrap()).unwrap();
    for path in ["/v1/first", "/v1/second"] {
        let mut answer = auth.forward("POST", path, &[], Some(b"body")).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut text = String::new();
        answer.body.read_to_string(&mut text).unwrap();
        assert_eq!((answer.status, text.as_str()), (200, "{}"));
    }
    let seen = seen.lock().unwrap().clone();
    let lines: Vec<(usize, &str, &str)> = seen.iter().map(|(n, l, b)| (*n, l.as_str(), b.as_str())).collect();
    assert_eq!(
        lines,
        [(0, "POST /v1/first HTTP/1.1", "body"), (0, "POST /v1/second HTTP/1.1", "body"), (1, "POST /v1/second HTTP/1.1", "body")]
    );
}
