//! `tpauth-mock`: the same as `tpauth mock`, for when the CLI is not built.

fn main() {
    std::process::exit(tpauth_mock::cli::run(std::env::args().skip(1)));
}
