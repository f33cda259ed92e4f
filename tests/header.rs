//! The committed C headers must equal a fresh generation (build.rs runs cbindgen into OUT_DIR).
//! `scripts/gen-headers.sh` updates them (it runs this test with `TPAUTH_UPDATE_HEADERS=1`), and
//! the typed declarations the bindings generate from the core's status table: Python's
//! `_status.pyi` and the status block of Node's `index.d.ts`.

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

/// A status's name without its C prefix: `TP_ERR_INVALID_GRANT` -> `INVALID_GRANT`, `TP_OK` -> `OK`.
fn short(s: tpauth::Status) -> &'static str {
    s.name().strip_prefix("TP_ERR_").or_else(|| s.name().strip_prefix("TP_")).unwrap_or(s.name())
}

/// `INVALID_GRANT` -> `InvalidGrant`.
fn camel(short: &str) -> String {
    short.split('_').map(|w| w[..1].to_owned() + &w[1..].to_ascii_lowercase()).collect()
}

const GENERATED: &str = "Generated from tpauth::Status::ALL by scripts/gen-headers.sh (tests/header.rs). Do not edit by hand.";

/// Python's typing stub of `tpauth.Status` (the runtime enum is built from the native module's
/// `STATUSES`, the same table).
fn python_status_stub() -> String {
    let mut out = format!("# {GENERATED}\nimport enum\n\nclass Status(enum.IntEnum):\n");
    for s in tpauth::Status::ALL {
        out.push_str(&format!("    {} = {}\n", short(*s), s.code()));
    }
    out
}

/// The TypeScript declarations of Node's `Status` and its error classes (index.js builds both
/// from the native module's `STATUSES`, the same table).
fn node_status_declarations() -> String {
    let mut out = format!("// {GENERATED}\n/** The C ABI's tp_status numbers. */\nexport declare const Status: Readonly<{{\n");
    for s in tpauth::Status::ALL {
        out.push_str(&format!("  {}: {}\n", short(*s), s.code()));
    }
    out.push_str("}>\n\n");
    out.push_str(NODE_ERROR_BASE);
    for s in tpauth::Status::ALL.iter().filter(|s| s.code() != 0) {
        out.push_str(&format!("export declare class {}Error extends TpauthError {{}}\n", camel(short(*s))));
    }
    out
}

const NODE_ERROR_BASE: &str = "export interface TpauthErrorInit {
  status?: number
  httpStatus?: number | null
  oauthCode?: string | null
  retryAfter?: number | null
}

/** Base of every tpauth error. Messages never hold a secret. */
export declare class TpauthError extends Error {
  constructor(message?: string, init?: TpauthErrorInit)
  /** A `Status` number. */
  readonly status: number
  /** `\"TP_ERR_INVALID_GRANT\"` etc. */
  readonly code: string
  /** The HTTP status of the answer, or null when there was none. */
  readonly httpStatus: number | null
  /** `\"invalid_grant\"`, `\"invalid_client\"`, ... or null. */
  readonly oauthCode: string | null
  /** Seconds the server asked to wait (`Retry-After`), or null. */
  readonly retryAfter: number | null
}
";

const NODE_BEGIN: &str = "// ---- statuses: begin\n";
const NODE_END: &str = "// ---- statuses: end\n";

/// Compare (or, with `TPAUTH_UPDATE_HEADERS`, write) a committed file generated from the core.
fn check_generated(rel: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    if std::env::var_os("TPAUTH_UPDATE_HEADERS").is_some() {
        std::fs::write(&path, generated).unwrap();
        eprintln!("updated {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "{rel} is stale: run scripts/gen-headers.sh and commit the result");
}

#[test]
fn python_status_stub_is_the_cores_table() {
    check_generated("bindings/python/tpauth/_status.pyi", &python_status_stub());
}

#[test]
fn node_status_declarations_are_the_cores_table() {
    let rel = "bindings/node/index.d.ts";
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap();
    let begin = text.find(NODE_BEGIN).expect("index.d.ts: no '// ---- statuses: begin' line") + NODE_BEGIN.len();
    let end = text.find(NODE_END).expect("index.d.ts: no '// ---- statuses: end' line");
    let updated = format!("{}{}{}", &text[..begin], node_status_declarations(), &text[end..]);
    check_generated(rel, &updated);
}
