#!/usr/bin/env bash
# The benchmarks (`make bench`): tpauth next to the official Python client `trustpilot` 10.0.1,
# requests-oauthlib and curl, and (bench/node) the official Node client `trustpilot` 4.0.1, in one
# run, against the mock and a minimal fixed-response token server (bench/proof/). Prints a table of
# figures and ratios and writes bench/results/latest.json, latest.md and latest.png (and node.md,
# node.json). Not a test and not part of the test command: numbers on a shared machine vary;
# compare the ratios within one run. Takes a few minutes.
# Usage: bench/run.sh [--quick] [--all]   (--all: also every other surface (C++, Go, PHP, .NET, Java)
# and one table of every surface next to its peer in front of bench/results/latest.md: bench/all.py)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
quick=(); all=0
for a in "$@"; do
  case $a in --quick) quick=(--quick) ;; --all) all=1 ;; *) echo "usage: bench/run.sh [--quick] [--all]" >&2; exit 2 ;; esac
done
source scripts/ensure-apt.sh
ensure_apt gcc gcc libc6-dev
ensure_apt curl curl
scripts/build-native.sh
py=target/venv/bin/python
# The venv with tpauth and trustpilot 10.0.1 is the Python suite's (scripts/test-all.sh python).
if ! "$py" -c 'import tpauth, trustpilot' 2>/dev/null; then
  echo "building target/venv through bindings/python/test.sh" >&2
  bindings/python/test.sh >/dev/null
fi
if ! "$py" -c 'import requests_oauthlib, matplotlib' 2>/dev/null; then
  "$py" -m pip install -q 'requests-oauthlib==2.0.0' 'matplotlib>=3.8'
fi
BIN=$ROOT/target/bench
mkdir -p "$BIN"
LIB=$ROOT/target/release/libtpauth.so
CF=(-std=c11 -O2 -Wall -Wextra -Werror -I"$ROOT/include")
gcc "${CF[@]}" -o "$BIN/tp_grants" bench/proof/tp_grants.c "$LIB" -Wl,-rpath,"$ROOT/target/release"
gcc "${CF[@]}" -o "$BIN/cold" bench/proof/cold.c "$LIB" -Wl,-rpath,"$ROOT/target/release"
gcc "${CF[@]}" -o "$BIN/cached_token" bench/c/cached_token.c "$LIB" -Wl,-rpath,"$ROOT/target/release" -lpthread
gcc "${CF[@]}" -o "$BIN/fixed_server" bench/proof/fixed_server.c -lpthread
"$py" bench/proof/proof.py --bin "$BIN" "${quick[@]}"
# Node: trustpilot-auth next to npm trustpilot 4.0.1 (bench/results/node.md, node.json).
echo; echo "=== bench/node ==="
bench/node/run.sh "${quick[@]}"

if [ "$all" = 1 ]; then
  # Every surface next to its peer: the per-language benchmarks write bench/results/*.json, then
  # bench/all.py runs the C, C++, PHP, .NET (and Java, once bench/java exists) programs and puts one
  # table in front of bench/results/latest.md.
  ensure_apt g++ g++
  g++ -std=c++17 -O2 -Wall -Wextra -Werror -I"$ROOT/include" -o "$BIN/cached_token_cpp" bench/cpp/cached_token.cpp "$LIB" \
    -Wl,-rpath,"$ROOT/target/release"
  ensure_apt php php-cli
  for b in bench/c/run.sh bench/go/run.sh bench/java/run.sh; do
    [ -x "$b" ] || continue
    echo; echo "=== $b ==="
    if [ "$b" = bench/java/run.sh ]; then "$b" "${quick[@]}" || echo "($b failed)"; else "$b" || echo "($b failed)"; fi
  done
  echo; echo "=== bench/python/bench_get_token.py ==="
  "$py" bench/python/bench_get_token.py || echo "(bench_get_token.py failed)"
  echo; echo "=== bench/all.py: every surface ==="
  "$py" bench/all.py --bin "$BIN"
fi
