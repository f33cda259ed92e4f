//! The file token cache as its users see it: a revoked token leaves the shared cache, messages name
//! the file and say what is wrong with it in words, a folder of another user is refused, a process
//! waiting on another's cache lock takes it as soon as it is free, and the cache works for a user
//! other than root (the suites run as root).
#![cfg(unix)]

mod common;
use common::*;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tpauth::Status;

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
