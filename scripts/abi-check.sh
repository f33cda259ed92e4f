#!/usr/bin/env bash
# The ABI baseline: abi/ holds the last release's header (tpauth-VERSION.h) and the symbols its
# libtpauth.so exported (libtpauth-VERSION.symbols). This fails when include/tpauth.h drops or
# changes a declaration of the baseline (function, typedef, enum value) or when
# target/release/libtpauth.so no longer exports one of its symbols; additions pass.
# Usage: scripts/abi-check.sh            check against the newest baseline in abi/
#        scripts/abi-check.sh --update   record the current header and symbols as this version's
set -euo pipefail
cd "$(dirname "$0")/.."
lib=target/release/libtpauth.so
[ -f "$lib" ] || { echo "abi-check: $lib is missing: run scripts/build-native.sh first" >&2; exit 1; }
command -v nm >/dev/null || { echo "abi-check: nm (binutils) is missing" >&2; exit 1; }

exports() { nm -D --defined-only "$1" | awk '$2 == "T" && $3 ~ /^tp_/ { print $3 }' | sort -u; }

# One line per declaration of a header: comments and preprocessor lines removed, whitespace
# collapsed; enum values as "enum NAME = N".
decls() {
  perl -0777 -ne '
    my $h = $_;
    $h =~ s{/\*.*?\*/}{}gs; $h =~ s{//[^\n]*}{}g; $h =~ s{^\s*#[^\n]*}{}gm;
    $h =~ s{extern "C" \{}{}g; $h =~ s{^\s*\}\s*$}{}gm; $h =~ s/\s+/ /g;
    while ($h =~ /\b(TP_\w+) = (-?\d+)/g) { print "enum $1 = $2\n" }
    for my $s (split /;/, $h) {
      $s =~ s/^ +| +$//g; $s =~ s/\( /(/g; $s =~ s/ \)/)/g;
      print "$s\n" if $s =~ /\btp_/ && $s !~ /\{/;
    }' "$1" | sort -u
}

version=$(awk -F'"' '/^version *=/ { print $2; exit }' Cargo.toml)
if [ "${1:-}" = --update ]; then
  mkdir -p abi
  cp include/tpauth.h "abi/tpauth-$version.h"
  exports "$lib" >"abi/libtpauth-$version.symbols"
  echo "abi-check: recorded abi/tpauth-$version.h and abi/libtpauth-$version.symbols"
  exit 0
fi

base=$(ls abi/tpauth-*.h 2>/dev/null | sort -V | tail -1)
[ -n "$base" ] || { echo "abi-check: no baseline in abi/" >&2; exit 1; }
base_version=${base#abi/tpauth-}; base_version=${base_version%.h}
symbols=abi/libtpauth-$base_version.symbols
[ -f "$symbols" ] || { echo "abi-check: $symbols is missing" >&2; exit 1; }

status=0
missing=$(comm -23 "$symbols" <(exports "$lib"))
if [ -n "$missing" ]; then
  echo "abi-check: $lib no longer exports these symbols of release $base_version:"; echo "$missing" | sed 's/^/  /'
  status=1
fi
changed=$(comm -23 <(decls "$base") <(decls include/tpauth.h))
if [ -n "$changed" ]; then
  echo "abi-check: include/tpauth.h removed or changed these declarations of release $base_version:"
  echo "$changed" | sed 's/^/  /'
  status=1
fi
[ $status -eq 0 ] && echo "abi-check: the ABI of release $base_version is intact ($(wc -l <"$symbols") symbols)"
exit $status
