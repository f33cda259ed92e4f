#!/usr/bin/env bash
# dist/php: `composer validate --strict` of the package (no warning); a fresh Composer project with
# a path repository to a copy of dist/php (installed as a copy under vendor/, Packagist off, the
# version given as Packagist takes it from the tag), `composer install`, then a password grant +
# API call against the mock; the loader must pick vendor/tpauth/tpauth/lib/linux-x86_64/libtpauth.so
# by itself (no TPAUTH_LIB) and the header shipped in the package; the package holds the macOS
# (lib/osx-arm64, lib/osx-x64) and Windows libraries too (checked as Mach-O by macos.sh); the
# README's own paths are vendor/tpauth/tpauth/..., and it says ffi.enable first.
source "$(dirname "$0")/lib.sh"
ensure_apt php php-cli
ensure_apt composer composer
dist_begin php
cp -r "$DIST_OUT/php" "$WORK/tpauth-php"
mkdir -p "$WORK/app"
cat > "$WORK/app/composer.json" <<JSON
{
    "name": "example/distcheck",
    "repositories": [
        {"type": "path", "url": "../tpauth-php", "options": {"symlink": false, "versions": {"tpauth/tpauth": "$VERSION"}}},
        {"packagist.org": false}
    ],
    "require": {"tpauth/tpauth": "$VERSION"}
}
JSON
cp "$DIST_ROOT/tests/dist/programs/check.php" "$WORK/app/"
export COMPOSER_HOME=$WORK/composer-home COMPOSER_NO_INTERACTION=1 COMPOSER_ALLOW_SUPERUSER=1
check "composer validate --strict of the package: valid, no warning" bash -c "cd '$WORK/tpauth-php' && composer validate --strict --no-check-lock"
check "composer install (path repository, copied into vendor/)" bash -c "cd '$WORK/app' && composer install --no-progress"
check "vendor/tpauth/tpauth holds tpauth_ffi.h, preload.php and lib/<platform>/ for Linux (glibc, musl), macOS and Windows" \
  bash -c "cd '$WORK/app/vendor/tpauth/tpauth' && test -f tpauth_ffi.h -a -f preload.php && ls lib/linux-x86_64/libtpauth.so lib/linux-aarch64/libtpauth.so lib/linux-x86_64-musl/libtpauth.so lib/linux-aarch64-musl/libtpauth.so lib/osx-arm64/libtpauth.dylib lib/osx-x64/libtpauth.dylib && test ! -L src"
readme() {
  local r=$WORK/app/vendor/tpauth/tpauth/README.md
  # ffi.enable comes before any example; the paths are a Composer user's.
  awk '/ffi.enable/ { print NR; exit }' "$r" | grep -q . && [ "$(awk '/ffi.enable/ { print NR; exit }' "$r")" -lt "$(awk '/^```php/ { print NR; exit }' "$r")" ] &&
  grep -q 'vendor/tpauth/tpauth/preload.php' "$r" && ! grep -q 'bindings/php/preload.php' "$r" &&
  ! grep -qi '7\.4' "$r" && grep -q '8\.1' "$r"
}
check "README: ffi.enable (the web-server requirement) first, vendor/tpauth/tpauth/ paths, PHP 8.1+ as composer.json says" readme
check_run "php: password grant + API call from vendor/" bash -c "cd '$WORK/app' && php -d ffi.enable=true check.php"
check "the loader picked vendor/tpauth/tpauth/lib/linux-x86_64/libtpauth.so with no environment variable" \
  grep -qx "library $WORK/app/vendor/tpauth/tpauth/lib/linux-x86_64/libtpauth.so" "$WORK/run.log"
dist_end
