#![cfg(unix)]
//! The file token cache's rules across processes: processes that waited for the lock while another
//! renewed answer that renewal's error, typed as it was, without a token request of their own (a
//! stampede during an outage or a 429 is what the cache exists to prevent); entries bound to the
//! secret; the previous release's entry moved once; how long an entry is kept; a revoked token
//! leaves the shared cache; messages name the file and say what is wrong with it in words; a folder
//! of another user is refused; a process waiting on another's cache lock takes it as soon as it is
//! free; the cache works for a user other than root (the suites run as root).

mod common;
#[path = "common/cross_process.rs"]
mod cross_process;

use common::*;
use cross_process::*;
use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tpauth::{Auth, Status};

/// A worker process of the cross-process tests (run through them).
#[test]
#[ignore = "a process the cross-process tests spawn (run through them)"]
fn failing_renewal_worker() {
    cross_process::failing_renewal_worker();
}

/// The cache's lock file, held with flock as another process of the host would.
fn hold_file_lock(cache: &std::path::Path) -> impl FnOnce() -> std::fs::File + '_ {
    move || {
        let mut name = cache.as_os_str().to_owned();
        name.push(".lock");
        let f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&name).unwrap();
        std::fs::set_permissions(&name, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        // SAFETY: a valid descriptor, owned by `f` for the call.
        assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0);
        f
    }
}

#[test]
fn processes_waiting_on_a_failing_renewal_share_its_error_and_one_request() {
    for failure in FAILURES {
        let dir = temp_dir(&format!("fail-{failure}"));
        let cache = dir.join("token.json");
        let mock = MockServer::start().unwrap();
        arm(&mock, failure);
        let outcomes = run_failing_renewal(&mock, cache.to_str().unwrap(), "", 3, 4, hold_file_lock(&cache));
        assert_one_request_one_error(&mock, failure, &outcomes);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A client with the right API key but a wrong secret never receives the owner's token from the
/// cache: it gets what the server answers it (401 invalid_client), as it would without a cache.
#[test]
fn a_wrong_secret_finds_no_cached_token() {
    let dir = temp_dir("wrong-secret");
    let cache = dir.join("token.json");
    let mock = MockServer::start().unwrap();
    let owner = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
    let tok = owner.get_token().unwrap();
    let mut cfg = tpauth::Config::new(KEY, "not-the-secret").unwrap();
    for (k, v) in [("api_base_url", mock.url().as_str()), ("allow_insecure_http", "true"), ("username", USER), ("password", PASSWORD)] {
        cfg.set(k, v).unwrap();
    }
    cfg.set("token_cache", cache.to_str().unwrap()).unwrap();
    let err = Auth::new(&cfg).unwrap().get_token().unwrap_err();
    assert_eq!((err.status(), err.oauth_code()), (Status::Unauthorized, Some("invalid_client")), "{err}");
    // A wrong password (same secret) does not find it either: the password grant is refused.
    let intruder = client(&mock, &[("username", USER), ("password", "wrong-password"), ("token_cache", cache.to_str().unwrap())]);
    assert_eq!(intruder.get_token().unwrap_err().status(), Status::InvalidGrant);
    // The owner's next process still finds it.
    let again = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
    assert_eq!(again.get_token().unwrap().access_token(), tok.access_token());
    assert_eq!(mock.stats().grants.password, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The previous release keyed entries by sha256(API host, key, grant, user) alone: such an entry
/// is never served (anyone with the API key could have read or planted it), but its refresh token
/// is tried once (the refresh authenticates with the secret) and the identity moves to its new
/// key; the old entry is removed.
#[test]
fn the_previous_releases_entry_is_moved_through_a_refresh_never_served() {
    use serde_json::{json, Value};
    let dir = temp_dir("legacy");
    let cache = dir.join("token.json");
    let mock = MockServer::start().unwrap();
    // The entry an older tpauth wrote: a token of this identity, under the old key.
    let seed = password_client(&mock, &[]);
    let old = seed.get_token().unwrap();
    // The identity of a grant=none client: API host, key, grant, business user id (none here).
    let legacy_key = sha256_hex(&format!("{}\n{KEY}\nNone\n\n", mock.url()));
    let file = json!({"format": "tpauth-cache-1", "entries": {legacy_key.clone(): old.to_json()}});
    std::fs::write(&cache, file.to_string()).unwrap();
    std::fs::set_permissions(&cache, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    // grant=none: without the move, this identity would have no token at all.
    let wrong = {
        let mut cfg = tpauth::Config::new(KEY, "not-the-secret").unwrap();
        for (k, v) in [("api_base_url", mock.url().as_str()), ("allow_insecure_http", "true"), ("grant", "none")] {
            cfg.set(k, v).unwrap();
        }
        cfg.set("token_cache", cache.to_str().unwrap()).unwrap();
        Auth::new(&cfg).unwrap()
    };
    let err = wrong.get_token().unwrap_err();
    assert_eq!(err.oauth_code(), Some("invalid_client"), "a wrong secret learns nothing: {err}");
    let entries = || -> serde_json::Map<String, Value> {
        serde_json::from_slice::<Value>(&std::fs::read(&cache).unwrap()).unwrap()["entries"].as_object().unwrap().clone()
    };
    assert!(entries().contains_key(&legacy_key), "the entry stays for its owner");
    let before = mock.stats();
    let owner = client(&mock, &[("grant", "none"), ("token_cache", cache.to_str().unwrap())]);
    let moved = owner.get_token().unwrap();
    assert_ne!(moved.access_token(), old.access_token(), "the old entry's access token is never served");
    let after = mock.stats();
    assert_eq!((after.grants.refresh_token - before.grants.refresh_token, after.token_requests - before.token_requests), (1, 1));
    let now = entries();
    assert!(!now.contains_key(&legacy_key), "the old entry is removed once moved: {now:?}");
    // One token entry: the moved one (the wrong secret's failed attempt left only its failure record).
    assert_eq!(now.keys().filter(|k| !k.ends_with(":failure")).count(), 1, "{now:?}");
    // Read once: the next process is served the moved token.
    let next = client(&mock, &[("grant", "none"), ("token_cache", cache.to_str().unwrap())]);
    assert_eq!(next.get_token().unwrap().access_token(), moved.access_token());
    assert_eq!(mock.stats().token_requests, after.token_requests);
    let _ = std::fs::remove_dir_all(&dir);
}

fn sha256_hex(s: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, s.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// An entry is kept while its access token lives and, when it holds a refresh token,
/// cache_refresh_ttl_s longer (as Redis keeps it): an expired token without a refresh token is
/// dropped at the next write, one with a refresh token stays for the next renewal.
#[test]
fn an_entry_outlives_its_access_token_only_while_it_holds_a_refresh_token() {
    use serde_json::{json, Value};
    let dir = temp_dir("keep");
    let cache = dir.join("token.json");
    let mock = MockServer::start().unwrap();
    // Tokens that have expired when they arrive (the mock says expires_in 0).
    mock.configure(json!({"expires_in_json": "\"0\""})).unwrap();
    let with_rt = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
    with_rt.password_grant(USER, PASSWORD).unwrap();
    let without_rt = client(&mock, &[("business_user_id", "bu-1"), ("token_cache", cache.to_str().unwrap())]);
    without_rt.client_credentials_grant().unwrap();
    // A third identity's write prunes what is past its keep time.
    mock.configure(json!({"expires_in_json": "\"3600\""})).unwrap();
    client(&mock, &[("business_user_id", "bu-2"), ("token_cache", cache.to_str().unwrap())]).client_credentials_grant().unwrap();
    let entries = serde_json::from_slice::<Value>(&std::fs::read(&cache).unwrap()).unwrap()["entries"].as_object().unwrap().clone();
    let tokens: Vec<tpauth::Token> = entries.values().map(|v| tpauth::Token::from_json(v.as_str().unwrap()).unwrap()).collect();
    assert_eq!(tokens.len(), 2, "the expired token without a refresh token is gone: {:?}", entries.keys());
    assert!(tokens.iter().any(|t| t.refresh_token().is_some() && t.expires_in() == 0), "the expired one with a refresh token stays");
    // Its refresh token serves the next renewal of that identity, with no password grant.
    let before = mock.stats().grants;
    password_client(&mock, &[("token_cache", cache.to_str().unwrap())]).get_token().unwrap();
    let after = mock.stats().grants;
    assert_eq!((after.refresh_token - before.refresh_token, after.password - before.password), (1, 0));
    let _ = std::fs::remove_dir_all(&dir);
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn chown(path: &Path, uid: u32) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::chown(c.as_ptr(), uid, uid) }, 0, "chown {}", path.display());
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A private folder (0700) for one test, and the cache path in it.
fn private_cache(name: &str) -> (PathBuf, String) {
    let dir = temp_dir(name);
    chmod(&dir, 0o700);
    let cache = dir.join("token.json").to_str().unwrap().to_owned();
    (dir, cache)
}

/// `nobody`: a user that is neither root nor the suite's.
const NOBODY: u32 = 65534;

#[test]
fn a_revoked_token_leaves_the_shared_cache() {
    let mock = MockServer::start().unwrap();
    let (dir, cache) = private_cache("revoked-leaves");
    let a = password_client(&mock, &[("token_cache", &cache)]);
    let revoked = a.get_token().unwrap();
    a.revoke(None).unwrap();
    assert!(!std::fs::read_to_string(&cache).unwrap().contains(revoked.access_token()));
    // Another process does not get it from the cache either.
    let b = password_client(&mock, &[("token_cache", &cache)]);
    assert_ne!(b.get_token().unwrap().access_token(), revoked.access_token());
    assert_eq!(mock.stats().token_requests, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn debug_names_the_cache_file() {
    let mock = MockServer::start().unwrap();
    let (dir, cache) = private_cache("describe");
    let auth = password_client(&mock, &[("token_cache", &cache)]);
    assert!(format!("{auth:?}").contains(&format!("token_cache: Some({cache:?})")), "{auth:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_device_or_a_symbolic_link_at_the_cache_path_is_refused_in_words() {
    let mock = MockServer::start().unwrap();
    let e = password_client(&mock, &[("token_cache", "/dev/null")]).get_token().unwrap_err();
    assert_eq!(e.status(), Status::Store, "{e}");
    assert!(e.message().contains("it is a device, not a regular file"), "{e}");
    let (dir, cache) = private_cache("symlink-words");
    let target = dir.join("elsewhere.json");
    std::fs::write(&target, "").unwrap();
    std::os::unix::fs::symlink(&target, &cache).unwrap();
    let e = password_client(&mock, &[("token_cache", &cache)]).get_token().unwrap_err();
    assert_eq!(e.status(), Status::Store, "{e}");
    assert!(e.message().contains("it is a symbolic link, which the token cache refuses to follow"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_folder_of_another_user_is_refused() {
    let mock = MockServer::start().unwrap();
    let (dir, cache) = private_cache("foreign-folder");
    if !is_root() {
        // Only root can give a folder away; the suite runs as root in CI and here.
        eprintln!("not root: cannot chown the folder to another user");
        return;
    }
    chown(&dir, NOBODY);
    let e = password_client(&mock, &[("token_cache", &cache)]).get_token().unwrap_err();
    assert_eq!(e.status(), Status::Store, "{e}");
    assert!(e.message().contains(&format!("belongs to another user (uid {NOBODY})")), "{e}");
    assert_eq!(mock.stats().token_requests, 0);
    let _ = std::fs::remove_dir_all(dir);
}

/// Another process holds the cache's lock while its renewal waits on the mock; this one waits for
/// the lock (it says so in the log), and takes it as soon as the other lets go: it does not sleep
/// on until its own limit (2 minutes here) before looking again.
#[test]
fn a_process_waiting_on_anothers_cache_lock_takes_it_once_free() {
    let mock = MockServer::start().unwrap();
    let (dir, cache) = private_cache("lock-wait");
    let patient = [("token_cache", cache.as_str()), ("timeout_ms", "120000"), ("cache_lock_ttl_ms", "120000")];
    let a = password_client(&mock, &patient);
    let b = password_client(&mock, &patient);
    mock.fault(Fault::new(FaultKind::Slow).delay_ms(120_000));
    let renewing = std::thread::spawn(move || a.get_token().unwrap());
    let start = Instant::now();
    while mock.stats().token_requests == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "the renewal never reached the mock");
        std::thread::sleep(Duration::from_millis(1));
    }
    let waits = Arc::new(AtomicBool::new(false));
    let flag = waits.clone();
    tpauth::log::set_logger(Some(Box::new(move |_, msg| {
        if std::thread::current().name() == Some("waits-for-the-lock") && msg.contains("another process holds the lock") {
            flag.store(true, Ordering::SeqCst);
        }
    })));
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("waits-for-the-lock".into())
        .spawn(move || {
            let _ = tx.send(b.get_token());
        })
        .unwrap();
    while !waits.load(Ordering::SeqCst) {
        assert!(start.elapsed() < Duration::from_secs(60), "the second process never waited for the lock");
        std::thread::sleep(Duration::from_millis(1));
    }
    tpauth::log::set_logger(None);
    mock.release();
    let renewed = renewing.join().unwrap();
    let got = rx.recv_timeout(Duration::from_secs(60)).expect("still waiting for the lock a minute after it was released").unwrap();
    assert_eq!(got.access_token(), renewed.access_token(), "the token the other process renewed, from the cache");
    assert_eq!(mock.stats().token_requests, 1);
    let _ = std::fs::remove_dir_all(dir);
}

/// Set in the copy of this test binary that runs as `nobody`: the mock's URL and the folder.
const AS_NOBODY: &str = "TPAUTH_TEST_CACHE_AS_NOBODY";

#[test]
fn the_file_cache_works_for_a_user_other_than_root() {
    if let Ok(spec) = std::env::var(AS_NOBODY) {
        // The copy running as nobody: a cache in a folder of its own works.
        let (url, dir) = spec.split_once('|').unwrap();
        let mut cfg = tpauth::Config::new(KEY, SECRET).unwrap();
        for (k, v) in [("api_base_url", url), ("allow_insecure_http", "true"), ("username", USER), ("password", PASSWORD)] {
            cfg.set(k, v).unwrap();
        }
        cfg.set("token_cache", &format!("{dir}/token.json")).unwrap();
        let t = tpauth::Auth::new(&cfg).unwrap().get_token().unwrap_or_else(|e| panic!("as uid {NOBODY}: {e}"));
        assert!(std::fs::read_to_string(format!("{dir}/token.json")).unwrap().contains(t.access_token()));
        return;
    }
    if !is_root() {
        eprintln!("not root: this run is another user's already");
        return;
    }
    let mock = MockServer::start().unwrap();
    let (dir, _) = private_cache("as-nobody");
    chown(&dir, NOBODY);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "the_file_cache_works_for_a_user_other_than_root", "--nocapture"])
        .env(AS_NOBODY, format!("{}|{}", mock.url(), dir.display()))
        .current_dir("/")
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("1 passed"), "as uid {NOBODY}:\n{text}");
    assert_eq!(mock.stats().token_requests, 1);
    let _ = std::fs::remove_dir_all(dir);
}
