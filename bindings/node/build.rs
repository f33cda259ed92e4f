fn main() {
    // On Windows napi-sys looks every N-API function up in the host process at load time
    // (libloading on node.exe), so the addon links against no Node library. napi-build 2.6's
    // windows-gnu setup insists on linking MSYS2's libnode.dll, which the official Node for Windows
    // does not have: it is skipped for that target (the rest of its setup is cfg declarations and
    // rerun hints this crate does not use). tests/dist/node.sh checks the DLL's imports.
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "windows" && target_env == "gnu" {
        return;
    }
    napi_build::setup();
}
