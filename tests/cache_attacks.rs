//! The file token cache against files and folders another user planted, one test per attack. Each asserts what a user
//! notices: the status and message of the call, how long it took, how many token requests the mock
//! saw, and whether the planted file is still byte for byte what it was.
#![cfg(unix)]

mod common;
use common::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tpauth::Status;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A private folder (0700) for one test, and the cache path in it.
fn private_cache(name: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(name);
    chmod(&dir, 0o700);
    let cache = dir.join("token.json");
    (dir, cache)
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0, "mkfifo {}", path.display());
    chmod(path, 0o666);
}

/// `get_token` on a thread, so that a hang fails the test instead of stalling it.
fn get_token_within(auth: tpauth::Auth, limit: Duration) -> (tpauth::Result<tpauth::Token>, Duration) {
    let (tx, rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(auth.get_token());
    });
    let result = rx.recv_timeout(limit).unwrap_or_else(|_| panic!("get_token did not return within {limit:?}"));
    (result, start.elapsed())
}

#[test]
fn fifo_at_the_cache_path_returns_promptly_with_timeout_ms_1000() {
    let mock = MockServer::start().unwrap();
    let (dir, cache) = private_cache("fifo");
    mkfifo(&cache);
    let auth = password_client(&mock, &[("token_cache", cache.to_str().unwrap()), ("timeout_ms", "1000")]);
    let (result, took) = get_token_within(auth, Duration::from_secs(10));
    let err = result.unwrap_err();
    assert_eq!(err.status(), Status::Store, "{err}");
    assert!(err.message().contains("named pipe"), "{err}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(mock.stats().token_requests, 0);
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&std::fs::symlink_metadata(&cache).unwrap().file_type()), "the FIFO is left as it was");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn fifo_at_the_lock_path_returns_promptly_with_timeout_ms_1000() {
    let mock = MockServer::start().unwrap();
    let (dir, cache) = private_cache("fifo-lock");
    mkfifo(&dir.join("token.json.lock"));
    let auth = password_client(&mock, &[("token_cache", cache.to_str().unwrap()), ("timeout_ms", "1000")]);
    let (result, took) = get_token_within(auth, Duration::from_secs(10));
    let err = result.unwrap_err();
    assert_eq!(err.status(), Status::Store, "{err}");
    assert!(err.message().contains("token.json.lock") && err.message().contains("named pipe"), "{err}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Another user planted a cache (with a token of their choosing) at the path: refused, not served.
#[test]
fn cache_file_owned_by_another_user_is_refused_not_served() {
    let mock = MockServer::start().unwrap();
    let (dir, cache) = private_cache("foreign-owner");
    let planter = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
    let planted = planter.get_token().unwrap();
    assert_eq!(mock.stats().token_requests, 1);
    if !is_root() {
        // Only root can give a file away; the suite runs as root in CI and here.
        eprintln!("not root: cannot chown the planted file to another user; checked the rest only");
        return;
    }
    let c = std::ffi::CString::new(cache.to_str().unwrap()).unwrap();
    // SAFETY: a valid path; 65534 is `nobody`.
    assert_eq!(unsafe { libc::chown(c.as_ptr(), 65534, 65534) }, 0);
    let before = std::fs::read(&cache).unwrap();
    let victim = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
    let err = victim.get_token().unwrap_err();
    assert_eq!(err.status(), Status::Store, "{err}");
    assert!(err.message().contains("belongs to another user (uid 65534)"), "{err}");
    assert!(!err.message().contains(planted.access_token()));
    assert_eq!(std::fs::read(&cache).unwrap(), before, "the planted file is left untouched");
    assert_eq!(std::fs::metadata(&cache).unwrap().uid(), 65534);
    assert_eq!(mock.stats().token_requests, 1, "no token request either");
    // The same for a lock file another user owns.
    std::fs::remove_file(&cache).unwrap();
    let lock = dir.join("token.json.lock");
    let c = std::ffi::CString::new(lock.to_str().unwrap()).unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { libc::chown(c.as_ptr(), 65534, 65534) }, 0);
    let err = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]).get_token().unwrap_err();
    assert_eq!(err.status(), Status::Store, "{err}");
    assert!(err.message().contains("token.json.lock") && err.message().contains("another user"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

/// `flock PATH.lock sleep 15`, in a process group of its own (the `sleep` holds the lock too).
fn flock_sleep_15(lock: &Path) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    std::process::Command::new("flock").arg(lock).arg("sleep").arg("15").process_group(0).spawn().expect("flock(1) from util-linux")
}

fn kill_group(child: &mut std::process::Child) {
    // SAFETY: signals the process group this test started.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
    let _ = child.wait();
}

/// `flock PATH.lock sleep 15` beside a call with timeout_ms=1000: the call returns after about a
/// second with Timeout, and sends no token request.
#[test]
fn held_lock_flock_sleep_15_returns_within_timeout_ms() {
    let mock = MockServer::start().unwrap();
    let (dir, cache) = private_cache("held-lock");
    let lock = dir.join("token.json.lock");
    std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock).unwrap();
    chmod(&lock, 0o600);
    let mut holder = flock_sleep_15(&lock);
    // Wait until flock(1) holds it: our own non-blocking attempt fails.
    let probe = std::fs::File::open(&lock).unwrap();
    let held = (0..500).any(|_| {
        // SAFETY: flock on an open descriptor.
        let rc = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&probe), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            // SAFETY: as above.
            unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&probe), libc::LOCK_UN) };
            std::thread::sleep(Duration::from_millis(10));
            false
        } else {
            true
        }
    });
    assert!(held, "flock(1) never took the lock");
    let auth = password_client(&mock, &[("token_cache", cache.to_str().unwrap()), ("timeout_ms", "1000")]);
    let (result, took) = get_token_within(auth, Duration::from_secs(14));
    kill_group(&mut holder);
    let err = result.unwrap_err();
    assert_eq!(err.status(), Status::Timeout, "{err}");
    assert!(err.message().contains("lock") && err.message().contains("timeout_ms"), "{err}");
    assert!(took >= Duration::from_millis(1000) && took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(mock.stats().token_requests, 0);
    // cache_lock_ttl_ms bounds it too, when shorter.
    let mut holder = flock_sleep_15(&lock);
    std::thread::sleep(Duration::from_millis(300));
    let auth = password_client(&mock, &[("token_cache", cache.to_str().unwrap()), ("cache_lock_ttl_ms", "1000")]);
    let (result, took) = get_token_within(auth, Duration::from_secs(14));
    kill_group(&mut holder);
    assert_eq!(result.unwrap_err().status(), Status::Timeout);
    assert!(took < Duration::from_secs(4), "took {took:?}");
    // Once the holder is gone, the lock is free again.
    let auth = password_client(&mock, &[("token_cache", cache.to_str().unwrap()), ("timeout_ms", "1000")]);
    auth.get_token().unwrap();
    assert_eq!(mock.stats().token_requests, 1);
    let _ = std::fs::remove_dir_all(dir);
}

/// A foreign file at the path (a 0644 settings.json, the same at 0600, a file over 4 MiB) is
/// refused with Store and left byte for byte as it was, mode included.
#[test]
fn foreign_settings_json_at_the_cache_path_is_left_untouched() {
    let mock = MockServer::start().unwrap();
    let (dir, _) = private_cache("foreign-file");
    let settings = dir.join("settings.json");
    let content = b"{\"theme\": \"dark\", \"font\": 12}\n".to_vec();
    let big = dir.join("big.bin");
    let big_content = vec![b'x'; (4 << 20) + 1];
    for (path, bytes, mode, why) in [
        (&settings, &content, 0o644, "mode is 0644"),
        (&settings, &content, 0o600, "not a tpauth token cache"),
        (&big, &big_content, 0o600, "larger than 4 MiB"),
    ] {
        std::fs::write(path, bytes).unwrap();
        chmod(path, mode);
        let auth = password_client(&mock, &[("token_cache", path.to_str().unwrap())]);
        let err = auth.get_token().unwrap_err();
        assert_eq!(err.status(), Status::Store, "{err}");
        assert!(err.message().contains(why), "{why}: {err}");
        // An explicit grant still succeeds (the token is not lost), but the file is not written.
        auth.password_grant(USER, PASSWORD).unwrap();
        assert_eq!(&std::fs::read(path).unwrap(), bytes, "{} was changed", path.display());
        assert_eq!(std::fs::metadata(path).unwrap().mode() & 0o7777, mode);
    }
    assert_eq!(mock.stats().token_requests, 3, "only the explicit grants");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn world_writable_non_sticky_folder_is_refused() {
    let mock = MockServer::start().unwrap();
    let (dir, cache) = private_cache("open-folder");
    for mode in [0o777, 0o775] {
        chmod(&dir, mode);
        let err = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]).get_token().unwrap_err();
        assert_eq!(err.status(), Status::Store, "{err}");
        assert!(err.message().contains("writable by other users") && err.message().contains("not sticky"), "{err}");
    }
    assert!(!cache.exists() && !dir.join("token.json.lock").exists(), "nothing is created there");
    assert_eq!(mock.stats().token_requests, 0);
    let _ = std::fs::remove_dir_all(dir);
}

/// A /tmp-like folder (1777) with our own file works as a shared cache.
#[test]
fn sticky_tmp_like_folder_with_own_file_is_accepted() {
    let mock = MockServer::start().unwrap();
    let (dir, cache) = private_cache("sticky");
    chmod(&dir, 0o1777);
    let a = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
    let t = a.get_token().unwrap();
    assert_eq!(std::fs::metadata(&cache).unwrap().mode() & 0o777, 0o600);
    let b = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
    assert_eq!(b.get_token().unwrap().access_token(), t.access_token());
    assert_eq!(mock.stats().token_requests, 1, "the second process used the cache");
    let _ = std::fs::remove_dir_all(dir);
}

/// An entry whose received_at_ms is negative or in the future would never expire: it is refused
/// as corrupt (not served; a new token is requested and overwrites it).
#[test]
fn cache_entry_with_negative_or_future_received_at_ms_is_refused_as_corrupt() {
    let mock = MockServer::start().unwrap();
    let (dir, cache) = private_cache("received-at");
    let first = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]).get_token().unwrap();
    let mut requests = 1;
    for bad in [-1_i64, i64::MIN, 4_102_444_800_000 /* 2100 */, i64::MAX] {
        let mut doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
        let entries = doc["entries"].as_object_mut().unwrap();
        assert_eq!(entries.len(), 1);
        for v in entries.values_mut() {
            let mut tok: serde_json::Value = serde_json::from_str(v.as_str().unwrap()).unwrap();
            tok["raw"] = serde_json::Value::String(r#"{"access_token":"planted","expires_in":"3600","refresh_token":"planted-rt"}"#.into());
            tok["received_at_ms"] = bad.into();
            *v = serde_json::Value::String(tok.to_string());
        }
        std::fs::write(&cache, doc.to_string()).unwrap();
        let auth = password_client(&mock, &[("token_cache", cache.to_str().unwrap())]);
        let got = auth.get_token().unwrap();
        requests += 1;
        assert_ne!(got.access_token(), "planted", "received_at_ms={bad} was served");
        assert_ne!(got.access_token(), first.access_token());
        assert_eq!(mock.stats().token_requests, requests, "received_at_ms={bad}: a new token was requested");
        assert_eq!(mock.stats().grants.password, requests, "one password grant; the corrupt entry's refresh token was not tried");
        assert!(!std::fs::read_to_string(&cache).unwrap().contains("planted"), "the corrupt entry was overwritten");
    }
    let _ = std::fs::remove_dir_all(dir);
}
