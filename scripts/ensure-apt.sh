# shellcheck shell=bash
# Sourced: `ensure_apt CMD PKG...` installs Debian packages when CMD is missing.
ensure_apt() {
  local cmd=$1; shift
  if command -v "$cmd" >/dev/null 2>&1; then return 0; fi
  echo "installing $* (for $cmd)" >&2
  # Wait for dpkg's lock rather than fail: two suites (or two test commands) may install at once.
  local wait=(-o DPkg::Lock::Timeout=600)
  if [ -z "${TPAUTH_APT_UPDATED:-}" ]; then apt-get "${wait[@]}" update -qq >/dev/null; export TPAUTH_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" install -y -qq "$@" >/dev/null
}
