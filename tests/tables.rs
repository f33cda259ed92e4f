//! One source of truth, checked: every binding's copy of a table the C ABI defines must match
//! `include/tpauth.h` (itself checked against the Rust core by `tests/header.rs`). Adding a status
//! or a C function fails here until it is carried over to every binding that lists it:
//!
//! - statuses: Python `_errors.py`, Go `error.go`, PHP `Status.php` (+ one exception class each),
//!   .NET `Status.cs` and `TpauthException.cs`; Java `Status.java` and `TpauthException.java`;
//! - functions: .NET `Native.cs` declares each C function with the header's parameter count (or
//!   the function is listed in `NOT_IN_DOTNET`, with why); Java's `Lib.java` likewise
//!   (`NOT_IN_JAVA`); Go (cgo) and PHP (FFI) read the header itself, Python uses the Rust core;
//! - options: the options table of `docs/options.md` documents every key of `tpauth::OPTION_KEYS`, and no
//!   binding lists option keys of its own.

use std::collections::BTreeMap;
use std::path::Path;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The header's statuses: C name → number.
fn header_statuses() -> BTreeMap<String, i64> {
    let h = read("include/tpauth.h");
    let body = &h[h.find("typedef enum tp_status {").expect("tp_status enum in the header")..];
    let body = &body[..body.find('}').unwrap()];
    let mut out = BTreeMap::new();
    for line in body.lines() {
        let line = line.trim().trim_end_matches(',');
        if let Some((name, num)) = line.split_once(" = ") {
            if name.starts_with("TP_") {
                out.insert(name.to_owned(), num.trim().parse().unwrap());
            }
        }
    }
    assert!(out.len() >= 14, "parsed {} statuses from the header", out.len());
    out
}

/// The header's functions: name → number of parameters.
fn header_functions() -> BTreeMap<String, usize> {
    let h = read("include/tpauth.h");
    let mut out = BTreeMap::new();
    let mut in_comment = false;
    let lines: Vec<&str> = h.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("/*") {
            in_comment = !t.contains("*/");
            continue;
        }
        if in_comment {
            in_comment = !t.contains("*/");
            continue;
        }
        if t.starts_with("typedef") || t.starts_with('#') || t.starts_with("//") {
            continue;
        }
        // The identifier right before the first '(' is the function's name.
        let Some(paren) = t.find('(') else { continue };
        let start = t[..paren].rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        let name = &t[start..paren];
        if !name.starts_with("tp_") {
            continue;
        }
        let mut decl = t[paren + 1..].to_owned();
        let mut j = i;
        while !decl.contains(");") {
            j += 1;
            decl.push(' ');
            decl.push_str(lines[j].trim());
        }
        let params = decl[..decl.find(");").unwrap()].trim();
        let n = if params == "void" || params.is_empty() { 0 } else { params.split(',').count() };
        out.insert(name.to_owned(), n);
    }
    assert!(out.contains_key("tp_config_new") && out.contains_key("tp_request"), "header parse failed: {out:?}");
    out
}

/// `TP_ERR_RATE_LIMITED` → `RATE_LIMITED` (`TP_OK` → `OK`).
fn short(c_name: &str) -> &str {
    c_name.strip_prefix("TP_ERR_").or_else(|| c_name.strip_prefix("TP_")).unwrap()
}

/// `RATE_LIMITED` → `RateLimited`.
fn camel(short: &str) -> String {
    short.split('_').map(|w| w[..1].to_owned() + &w[1..].to_ascii_lowercase()).collect()
}

/// Go's spelling: initialisms stay upper case (`StatusHTTP`).
fn go_camel(short: &str) -> String {
    short
        .split('_')
        .map(|w| if w == "HTTP" || w == "OK" { w.to_owned() } else { w[..1].to_owned() + &w[1..].to_ascii_lowercase() })
        .collect()
}

/// Lines of `text` that, trimmed and with runs of spaces collapsed, start with `prefix`.
fn has_line(text: &str, prefix: &str) -> bool {
    text.lines().any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ").starts_with(prefix))
}

fn count_lines(text: &str, pred: impl Fn(&str) -> bool) -> usize {
    text.lines().filter(|l| pred(l.trim())).count()
}

#[test]
fn the_core_and_the_header_list_the_same_statuses() {
    let header = header_statuses();
    let core: BTreeMap<String, i64> = tpauth::Status::ALL.iter().map(|s| (s.name().to_owned(), i64::from(s.code()))).collect();
    assert_eq!(header, core);
}

/// Python and Node build their status tables at run time from the core's (`tpauth::Status::ALL`
/// through pyo3 and napi): no hand-written copy may come back, and the typed declarations are the
/// ones generated from the core (tests/header.rs). Their own suites check the tables at run time
/// against the header.
#[test]
fn python_and_node_take_the_status_table_from_the_core() {
    let py_status = read("bindings/python/tpauth/_status.py");
    assert!(py_status.contains("from ._tpauth import STATUSES"), "_status.py: Status must be built from the native STATUSES");
    let py_errors = read("bindings/python/tpauth/_errors.py");
    assert!(
        py_errors.contains("from ._status import Status") && !py_errors.contains("class Status("),
        "_errors.py: a Status table of its own"
    );
    assert!(read("bindings/python/src/lib.rs").contains("tpauth::Status::ALL"), "the pyo3 module must export the core's table");
    let js = read("bindings/node/index.js");
    assert!(js.contains("native.__statuses()"), "index.js: Status must be built from the native __statuses()");
    assert!(read("bindings/node/src/lib.rs").contains("tpauth::Status::ALL"), "the napi module must export the core's table");
    let header = header_statuses();
    for (name, code) in &header {
        let s = short(name);
        for (file, text) in [("index.js", &js), ("_errors.py", &py_errors), ("_status.py", &py_status)] {
            assert!(!has_line(text, &format!("{s}: {code}")) && !has_line(text, &format!("{s} = {code}")), "{file}: a hand-written {s}");
            let mut code_lines = text.lines().map(str::trim_start).filter(|l| !l.starts_with(['/', '*', '#']));
            assert!(!code_lines.any(|l| l.contains(name.as_str())), "{file}: names {name} itself (the core's table has the C names)");
        }
    }
}

#[test]
fn go_status_table_matches_the_header() {
    let go = read("bindings/go/error.go");
    let header = header_statuses();
    let names_block = &go[go.find("var statusNames = [...]string{").expect("statusNames in error.go")..];
    let names_block = &names_block[..names_block.find('}').unwrap()];
    let names: Vec<&str> =
        names_block.lines().skip(1).map(|l| l.trim().trim_end_matches(',').trim_matches('"')).filter(|l| !l.is_empty()).collect();
    for (name, code) in &header {
        let c = go_camel(short(name));
        assert!(has_line(&go, &format!("Status{c} Status = {code}")), "error.go: Status{c} Status = {code} missing");
        assert_eq!(names.get(usize::try_from(*code).unwrap()).copied(), Some(name.as_str()), "error.go: statusNames[{code}]");
        if *code != 0 {
            assert!(has_line(&go, &format!("Err{c} error = &sentinel{{Status{c}}}")), "error.go: sentinel Err{c} missing");
        }
    }
    assert_eq!(names.len(), header.len(), "error.go: statusNames has extra entries");
}

#[test]
fn php_status_table_matches_the_header() {
    let php = read("bindings/php/src/Status.php");
    let header = header_statuses();
    for (name, code) in &header {
        let s = short(name);
        assert!(has_line(&php, &format!("public const {s} = {code};")), "Status.php: const {s} = {code} missing");
        if *code == 0 {
            continue;
        }
        let prefix = format!("self::{s} => ['{name}', ");
        let line = php
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("Status.php: TABLE entry for {name} missing"));
        let class = line[prefix.len()..].split("::class").next().unwrap();
        let file = read(&format!("bindings/php/src/{class}.php"));
        assert!(file.contains(&format!("class {class} extends Exception")), "{class}.php must extend Tpauth\\Exception");
    }
    assert_eq!(count_lines(&php, |l| l.starts_with("public const ")), header.len(), "Status.php has extra constants");
}

#[test]
fn dotnet_status_table_matches_the_header() {
    let cs = read("bindings/dotnet/src/Status.cs");
    let exc = read("bindings/dotnet/src/TpauthException.cs");
    let header = header_statuses();
    let block = &cs[cs.find("public enum Status").unwrap()..];
    let block = &block[..block.find('}').unwrap()];
    for (name, code) in &header {
        let c = camel(short(name));
        assert!(has_line(block, &format!("{c} = {code},")), "Status.cs: {c} = {code} missing");
        assert!(has_line(&exc, &format!("case Status.{c}: return \"{name}\";")), "TpauthException.cs: StatusNames lacks {name}");
        if *code != 0 {
            assert!(has_line(&exc, &format!(": base(Status.{c}, ")), "TpauthException.cs: no exception class for Status.{c}");
        }
    }
    assert_eq!(count_lines(block, |l| l.contains(" = ") && l.ends_with(',')), header.len(), "Status.cs has extra members");
}

/// C functions the .NET binding does not declare, and why. Everything else must be in Native.cs.
const NOT_IN_DOTNET: &[(&str, &str)] = &[
    ("tp_config_from_env", "FromEnv uses tp_config_from_lookup, so that Environment's in-process values count"),
    ("tp_token_received_at", "Token exposes ExpiresAt, which the library computes from it"),
    ("tp_auth_api_key", "for bindings that set API headers without a token (Go); .NET uses tp_api_headers"),
    ("tp_auth_business_user_id", "as tp_auth_api_key"),
    ("tp_token_renew_at_ms", "Go's no-cgo fast path; .NET asks tp_get_token, which answers without I/O"),
];

#[test]
fn dotnet_dllimports_match_the_header() {
    let native = read("bindings/dotnet/src/Native.cs");
    let header = header_functions();
    let mut declared = BTreeMap::new();
    let flat = native.split_whitespace().collect::<Vec<_>>().join(" ");
    for part in flat.split("static extern ").skip(1) {
        let open = part.find('(').unwrap();
        let name = part[..open].split(' ').next_back().unwrap().to_owned();
        let params = &part[open + 1..part.find(");").unwrap()];
        let n = if params.trim().is_empty() { 0 } else { params.split(',').count() };
        assert!(declared.insert(name.clone(), n).is_none(), "Native.cs declares {name} twice");
    }
    for (name, n) in &declared {
        let h = header.get(name).unwrap_or_else(|| panic!("Native.cs declares {name}, which include/tpauth.h does not have"));
        assert_eq!(n, h, "Native.cs: {name} has {n} parameters, the header {h}");
    }
    for name in header.keys() {
        if !declared.contains_key(name) && !NOT_IN_DOTNET.iter().any(|(n, _)| n == name) {
            panic!(
                "{name} is in include/tpauth.h but not in bindings/dotnet/src/Native.cs: declare it (or list it in NOT_IN_DOTNET with why)"
            );
        }
    }
}

#[test]
fn java_status_table_matches_the_header() {
    let java = read("bindings/java/tpauth/src/main/java/io/github/tpauth/Status.java");
    let exc = read("bindings/java/tpauth/src/main/java/io/github/tpauth/TpauthException.java");
    let header = header_statuses();
    for (name, code) in &header {
        let s = short(name);
        assert!(has_line(&java, &format!("{s}({code}),")) || has_line(&java, &format!("{s}({code});")), "Status.java: {s}({code}) missing");
        if *code != 0 {
            let class = format!("{}Exception", camel(s));
            assert!(has_line(&exc, &format!("case {s}: return new {class}(")), "TpauthException.of lacks {s}");
            let file = read(&format!("bindings/java/tpauth/src/main/java/io/github/tpauth/{class}.java"));
            assert!(file.contains(&format!("public class {class} extends TpauthException")), "{class}.java must extend TpauthException");
            assert!(file.contains(&format!("super(Status.{s}, ")), "{class}.java must carry Status.{s}");
        }
    }
    let block = &java[java.find("public enum Status").unwrap()..];
    let block = &block[..block.find("private final int code;").unwrap()];
    let members = count_lines(block, |l| !l.starts_with("/**") && l.contains('(') && (l.ends_with("),") || l.ends_with(");")));
    assert_eq!(members, header.len(), "Status.java has extra members");
}

/// C functions the Java binding does not bind, and why. Everything else must be in Lib.java.
const NOT_IN_JAVA: &[(&str, &str)] = &[
    ("tp_config_from_env", "Auth.fromEnv uses tp_config_from_lookup over System.getenv (and any lookup a caller gives)"),
    (
        "tp_caller_header_kept",
        "for adapters that keep one token's header lines and merge them without calling in (Go's Transport); Java's interceptors call tp_prepare_api_call, which merges, per request",
    ),
    ("tp_option_shown", "for bindings that print a configuration they hold themselves (Go's Config); Java keeps none: its options go straight into the C config"),
];

#[test]
fn java_natives_match_the_header() {
    let lib = read("bindings/java/tpauth/src/main/java/io/github/tpauth/Lib.java");
    let header = header_functions();
    let mut declared = BTreeMap::new();
    let flat = lib.split_whitespace().collect::<Vec<_>>().join(" ");
    for part in flat.split("static native ").skip(1) {
        let open = part.find('(').unwrap();
        let name = part[..open].split(' ').next_back().unwrap().to_owned();
        let params = &part[open + 1..part.find(");").unwrap()];
        let n = if params.trim().is_empty() { 0 } else { params.split(',').count() };
        assert!(declared.insert(name.clone(), n).is_none(), "Lib.java declares {name} twice");
    }
    for (name, n) in &declared {
        let h = header.get(name).unwrap_or_else(|| panic!("Lib.java declares {name}, which include/tpauth.h does not have"));
        assert_eq!(n, h, "Lib.java: {name} has {n} parameters, the header {h}");
    }
    for name in header.keys() {
        if !declared.contains_key(name) && !NOT_IN_JAVA.iter().any(|(n, _)| n == name) {
            panic!("{name} is in include/tpauth.h but not in bindings/java/.../Lib.java: bind it (or list it in NOT_IN_JAVA with why)");
        }
    }
}

#[test]
fn docs_document_every_option_and_no_binding_lists_them() {
    let page = read("docs/options.md");
    for key in tpauth::OPTION_KEYS {
        assert!(
            page.lines().any(|l| l.starts_with('|') && l.contains(&format!("`{key}`"))),
            "docs/options.md's table does not document `{key}`"
        );
    }
    // A binding that spells out option keys or environment names drifts from the core: they ask
    // the core (tp_option_name, tp_config_from_lookup, the Rust API) instead.
    let sources = [
        "bindings/dotnet/src/Auth.cs",
        "bindings/php/src/Auth.php",
        "bindings/go/client.go",
        "bindings/go/config.go",
        "bindings/python/src/lib.rs",
        "bindings/python/tpauth/__init__.py",
        "bindings/java/tpauth/src/main/java/io/github/tpauth/Auth.java",
    ];
    for f in sources {
        let text = read(f);
        for key in ["cache_lock_ttl_ms", "max_response_bytes", "allow_loopback_redirect_uri"] {
            let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//") && !l.trim_start().starts_with('*')).collect();
            assert!(!code.contains(&format!("\"{key}\"")) && !code.contains(&format!("'{key}'")), "{f} lists option {key}");
        }
        for l in text.lines() {
            let t = l.trim_start();
            let comment = t.starts_with("//") || t.starts_with('*') || t.starts_with("///") || t.starts_with('#');
            assert!(comment || !t.contains("\"TRUSTPILOT_") && !t.contains("'TRUSTPILOT_"), "{f} names an environment variable: {t}");
        }
    }
}

#[test]
fn every_binding_checks_the_librarys_version_against_its_own() {
    // One version (Cargo.toml); each binding carries it and refuses a library of another release.
    let v = env!("CARGO_PKG_VERSION");
    assert!(read("bindings/go/version.go").contains(&format!("const BindingVersion = \"{v}\"")), "bindings/go/version.go");
    assert!(read("bindings/php/src/Auth.php").contains(&format!("public const VERSION = '{v}';")), "bindings/php/src/Auth.php");
    assert!(read("bindings/dotnet/src/Native.cs").contains(&format!("internal const string BindingVersion = \"{v}\";")), "Native.cs");
    assert!(read("bindings/php/src/Internal/Native.php").contains("checkVersion(self::load())"));
    assert!(read("bindings/python/tpauth/__init__.py").contains("raise ImportError(_problem)"));
    assert!(read("bindings/java/pom.xml").contains(&format!("<revision>{v}</revision>")), "bindings/java/pom.xml");
    assert!(
        read("bindings/java/tpauth/src/main/java/io/github/tpauth/Library.java").contains("versionMismatch(Marshal.read(Lib.tp_version())")
    );
}
