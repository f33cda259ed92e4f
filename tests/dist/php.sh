#!/usr/bin/env bash
# dist/php: a fresh Composer project with a path repository to a copy of dist/php (installed as a
# copy under vendor/, Packagist off), `composer install`, then a password grant + API call against
# the mock; the loader must pick vendor/tpauth/tpauth/lib/linux-x86_64/libtpauth.so by itself (no
# TPAUTH_LIB) and the header shipped in the package.
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
        {"type": "path", "url": "../tpauth-php", "options": {"symlink": false}},
        {"packagist.org": false}
    ],
    "require": {"tpauth/tpauth": "$VERSION"}
}
JSON
cp "$DIST_ROOT/tests/dist/programs/check.php" "$WORK/app/"
export COMPOSER_HOME=$WORK/composer-home COMPOSER_NO_INTERACTION=1 COMPOSER_ALLOW_SUPERUSER=1
check "composer validate of the package (composer.json with version $VERSION)" \
  bash -c "cd '$WORK/tpauth-php' && composer validate --no-check-publish --no-check-lock && grep -q '\"version\": \"$VERSION\"' composer.json"
check "composer install (path repository, copied into vendor/)" bash -c "cd '$WORK/app' && composer install --no-progress"
check "vendor/tpauth/tpauth holds tpauth_ffi.h and lib/<os>-<arch>[-musl]/libtpauth.so" \
  bash -c "cd '$WORK/app/vendor/tpauth/tpauth' && test -f tpauth_ffi.h && ls lib/linux-x86_64/libtpauth.so lib/linux-aarch64/libtpauth.so lib/linux-x86_64-musl/libtpauth.so lib/linux-aarch64-musl/libtpauth.so && test ! -L src"
check_run "php: password grant + API call from vendor/" bash -c "cd '$WORK/app' && php -d ffi.enable=true check.php"
check "the loader picked vendor/tpauth/tpauth/lib/linux-x86_64/libtpauth.so with no environment variable" \
  grep -qx "library $WORK/app/vendor/tpauth/tpauth/lib/linux-x86_64/libtpauth.so" "$WORK/run.log"
dist_end
