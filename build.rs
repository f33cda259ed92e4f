//! Generates the C headers into OUT_DIR (never into the source tree): `tpauth.h` with cbindgen
//! from `src/ffi/`, and `tpauth_ffi.h`, the same declarations without preprocessor directives
//! for PHP's `FFI::cdef`. `scripts/gen-headers.sh` copies them into `include/`, and
//! `tests/header.rs` fails when the committed copies differ. A cbindgen failure never fails the
//! build: it is reported as a cargo warning (and the header test then fails).

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/ffi");
    soname();
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else { return };
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
    let header = out_dir.join("tpauth.h");
    let ffi_header = out_dir.join("tpauth_ffi.h");
    let _ = std::fs::remove_file(&header);
    let _ = std::fs::remove_file(&ffi_header);
    match generate(&manifest_dir) {
        Ok(text) => {
            if let Err(e) = std::fs::write(&header, &text).and_then(|()| std::fs::write(&ffi_header, ffi_only(&text))) {
                println!("cargo:warning=tpauth: could not write the generated headers: {e}");
            }
        }
        Err(e) => println!("cargo:warning=tpauth: cbindgen failed, headers not generated: {e}"),
    }
}

/// The shared library's SONAME, set at link time (no patchelf afterwards): `libtpauth.so.0.<minor>`
/// while below 1.0, as cargo-c and rustls-ffi do (a 0.x minor release may break the ABI), then
/// `libtpauth.so.<major>`, for ELF targets; it applies to this package's cdylib alone.
/// `scripts/lib/version.sh` states the same rule for the scripts and CMake (a build script cannot
/// count on a shell), and `scripts/build-native.sh` fails when the linked name differs from it.
///
/// On macOS the same rule names the dylib's install name, `@rpath/libtpauth.0.<minor>.dylib`
/// (`libtpauth.<major>.dylib` from 1.0), the name a program linked against it asks for at run time;
/// it overrides rustc's `@rpath/libtpauth.dylib` (the linker keeps the last `-install_name`).
fn soname() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let version = if major == "0" { format!("0.{minor}") } else { major };
    if matches!(os.as_str(), "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtpauth.so.{version}");
    } else if os == "macos" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libtpauth.{version}.dylib");
    }
}

fn generate(manifest_dir: &Path) -> Result<String, String> {
    let config = cbindgen::Config::from_file(manifest_dir.join("cbindgen.toml")).map_err(|e| e.to_string())?;
    let bindings =
        cbindgen::Builder::new().with_config(config).with_src(manifest_dir.join("src/ffi/mod.rs")).generate().map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    bindings.write(&mut buf);
    String::from_utf8(buf).map(|text| plain_type_names(&text)).map_err(|e| e.to_string())
}

/// cbindgen's `style = "both"` gives the typedefs the contract shows (`typedef struct tp_config
/// tp_config;`, `typedef enum tp_status {...} tp_status;`) but spells the types in declarations
/// `struct tp_config *` and `enum tp_status`; use the typedef names there, as docs/contract.md does.
fn plain_type_names(header: &str) -> String {
    let plain = |s: &str| s.replace("struct tp_", "tp_").replace("enum tp_", "tp_");
    let mut out = String::with_capacity(header.len());
    // How much shorter the current declaration's first line became, to keep its continuation
    // lines aligned under the first parameter.
    let mut shift = 0;
    for line in header.lines() {
        if line.trim_start().starts_with("typedef") {
            out.push_str(line);
            shift = 0;
        } else if shift > 0 && line.starts_with(' ') {
            let indent = line.len() - line.trim_start().len();
            out.push_str(&" ".repeat(indent.saturating_sub(shift)));
            out.push_str(&plain(line.trim_start()));
        } else {
            let new = plain(line);
            shift = match (line.find('('), new.find('(')) {
                (Some(a), Some(b)) if !line.trim_end().ends_with(';') => a - b,
                _ => 0,
            };
            out.push_str(&new);
        }
        out.push('\n');
    }
    out
}

/// The header without preprocessor directives, `#include`s and the C++ `extern "C"` wrapper:
/// what PHP's `FFI::cdef` can read (it knows bool, int64_t, size_t, uint8_t, ...). Comments are
/// kept except the file's leading banner (the contract is in `tpauth.h`).
fn ffi_only(header: &str) -> String {
    let mut out = String::from("/* tpauth: the declarations of tpauth.h without preprocessor directives, for PHP's FFI::cdef.\n   Generated from the same source (scripts/gen-headers.sh). Do not edit by hand. */\n");
    let mut in_cplusplus = false;
    let mut in_banner = false;
    let mut seen_code = false;
    let mut blank = true;
    for line in header.lines() {
        let t = line.trim_start();
        if !seen_code && t.starts_with("/*") {
            in_banner = !t.contains("*/");
            continue;
        }
        if in_banner {
            in_banner = !t.contains("*/");
            continue;
        }
        if t.starts_with("#ifdef __cplusplus") {
            in_cplusplus = true;
            continue;
        }
        if in_cplusplus {
            if t.starts_with("#endif") {
                in_cplusplus = false;
            }
            continue;
        }
        if t.starts_with('#') {
            continue;
        }
        if t.is_empty() {
            if !blank {
                out.push('\n');
            }
            blank = true;
            continue;
        }
        seen_code = true;
        blank = false;
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
