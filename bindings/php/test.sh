#!/usr/bin/env bash
# The PHP binding's tests: phpunit against the mock (every method, every exception class, bad
# input, 20 php processes sharing one token cache, preload, a real php-fpm pool, valgrind smoke). Runs on a fresh
# Debian machine as root: installs what is missing, builds the native library, exits non-zero on
# any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
source scripts/ensure-apt.sh
ensure_apt php php-cli
ensure_apt phpunit phpunit
ensure_apt valgrind valgrind
# The Guzzle middleware and PSR-18 decorator tests (IntegrationsTest) use Debian's packages.
if [ ! -f /usr/share/php/GuzzleHttp/autoload.php ] || [ ! -f /usr/share/php/Psr/Http/Client/autoload.php ] || ! php -r "exit(extension_loaded(\"curl\") ? 0 : 1);"; then
  if [ -z "${TPAUTH_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; export TPAUTH_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-guzzlehttp-guzzle php-psr-http-client php-curl >/dev/null
fi
php_ver="$(php -r 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;')"
ensure_apt "php-fpm$php_ver" "php$php_ver-fpm"   # the PHP-FPM test (FpmTest)
if ! php -r 'exit(extension_loaded("ffi") ? 0 : 1);'; then
  echo "php has no FFI extension (Debian's php-cli ships it: check /etc/php/*/cli/conf.d/20-ffi.ini)" >&2
  exit 1
fi
scripts/build-native.sh
export TPAUTH_LIB="${TPAUTH_LIB:-$repo/target/release/libtpauth.so}"
export TPAUTH_BIN="${TPAUTH_BIN:-$repo/target/release/tpauth}"
cd "$here"
exec phpunit -d ffi.enable=true -d zend.exception_ignore_args=0 --configuration phpunit.xml "$@"
