#!/usr/bin/env bash
# Benchmark: token requests under a thread stampede, tpauth next to the official Python client.
# Needs the venv the Python suite builds (bindings/python/test.sh creates target/venv with tpauth
# and trustpilot 10.0.1). Figures, not a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
py=target/venv/bin/python
if ! "$py" -c 'import tpauth, trustpilot' 2>/dev/null; then
  echo "run bindings/python/test.sh first (it builds target/venv with tpauth and trustpilot)" >&2; exit 1
fi
scripts/build-native.sh
out=$(mktemp); trap 'kill $mock_pid 2>/dev/null; rm -f "$out"' EXIT
target/release/tpauth mock --port 0 > "$out" 2>/dev/null & mock_pid=$!
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
"$py" bench/stampede/stampede.py "http://127.0.0.1:$(head -1 "$out")"
