//! The committed C headers must equal a fresh generation (build.rs runs cbindgen into OUT_DIR).
//! `scripts/gen-headers.sh` updates them (it runs this test with `TPAUTH_UPDATE_HEADERS=1`).

use std::path::Path;

fn check(name: &str) {
    let generated_path = Path::new(env!("OUT_DIR")).join(name);
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include").join(name);
    let generated = std::fs::read_to_string(&generated_path).unwrap_or_else(|e| {
        panic!("{} was not generated ({e}): cbindgen failed in build.rs, see the cargo warnings", generated_path.display())
    });
    if std::env::var_os("TPAUTH_UPDATE_HEADERS").is_some() {
        std::fs::write(&committed_path, &generated).unwrap();
        eprintln!("updated {}", committed_path.display());
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    if committed != generated {
        let line = committed.lines().zip(generated.lines()).position(|(a, b)| a != b).map_or_else(
            || format!("the files differ in length ({} vs {} lines)", committed.lines().count(), generated.lines().count()),
            |i| format!("first difference at line {}", i + 1),
        );
        panic!("include/{name} is stale ({line}): run scripts/gen-headers.sh and commit the result");
    }
}

#[test]
fn tpauth_h_is_fresh() {
    check("tpauth.h");
}

#[test]
fn tpauth_ffi_h_is_fresh_and_directive_free() {
    check("tpauth_ffi.h");
    let text = std::fs::read_to_string(Path::new(env!("OUT_DIR")).join("tpauth_ffi.h")).unwrap();
    assert!(!text.lines().any(|l| l.trim_start().starts_with('#')), "tpauth_ffi.h must not contain preprocessor directives");
    assert!(!text.contains("extern \"C\""));
    for f in ["tp_config_new", "tp_get_token", "tp_status_name", "tp_set_log_callback"] {
        assert!(text.contains(&format!("{f}(")), "{f} missing from tpauth_ffi.h");
    }
}
