#!/usr/bin/env bash
# Every benchmark, each printing its figures side by side with a peer. Not tests: numbers on a
# shared machine vary; compare the ratios printed within one run.
set -uo pipefail
cd "$(dirname "$0")/.."
for b in bench/grants/run.sh bench/c/run.sh bench/stampede/run.sh bench/python/run.sh bench/go/run.sh; do
  [ -x "$b" ] || continue
  echo "=== $b ==="
  "$b" || echo "($b failed)"
  echo
done
