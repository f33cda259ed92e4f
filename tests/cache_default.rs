//! `token_cache=default`: the file cache under `$XDG_CACHE_HOME/tpauth/` (else `~/.cache/tpauth/`),
//! its folder created owner-only; and a relative path, in the working directory. One test in its
//! own process: it sets the environment and the working directory.
#![cfg(unix)]

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn token_cache_default_lands_under_xdg_cache_home_else_home_and_a_relative_path_in_the_working_directory() {
    let mock = MockServer::start().unwrap();
    let root = temp_dir("default-cache");
    let xdg = root.join("xdg");
    let home = root.join("home");
    std::env::set_var("XDG_CACHE_HOME", &xdg);
    std::env::set_var("HOME", &home);
    let t = password_client(&mock, &[("token_cache", "default")]).get_token().unwrap();
    let file = xdg.join("tpauth").join("token-cache.json");
    assert!(std::fs::read_to_string(&file).unwrap().contains(t.access_token()), "{}", file.display());
    assert_eq!(std::fs::metadata(xdg.join("tpauth")).unwrap().permissions().mode() & 0o777, 0o700);
    // An empty XDG_CACHE_HOME is no folder: ~/.cache is.
    std::env::set_var("XDG_CACHE_HOME", "");
    let t = password_client(&mock, &[("token_cache", "default")]).get_token().unwrap();
    let file = home.join(".cache").join("tpauth").join("token-cache.json");
    assert!(std::fs::read_to_string(&file).unwrap().contains(t.access_token()), "{}", file.display());
    // A file name alone: the working directory is its folder.
    let cwd = root.join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    std::env::set_current_dir(&cwd).unwrap();
    let t = password_client(&mock, &[("token_cache", "relative.json")]).get_token().unwrap();
    assert!(std::fs::read_to_string(cwd.join("relative.json")).unwrap().contains(t.access_token()));
    let _ = std::fs::remove_dir_all(root);
}
