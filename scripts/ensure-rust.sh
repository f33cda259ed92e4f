# shellcheck shell=bash
# Sourced: puts a Rust toolchain on PATH, installing one with rustup when it is missing.
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "installing Rust with rustup" >&2
    if command -v apt-get >/dev/null 2>&1 && ! command -v curl >/dev/null 2>&1; then apt-get install -y -qq curl >/dev/null; fi
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >/dev/null
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi
# rustfmt and clippy: the rust suite checks formatting and lints (rustup's minimal profile lacks them).
if ! { cargo fmt --version && cargo clippy --version; } >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || echo "warning: could not add rustfmt/clippy" >&2
fi
