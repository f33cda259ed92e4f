#!/usr/bin/env bash
# Benchmark: N sequential password grants to the mock over one keep-alive connection, tpauth
# (from C) next to curl making the same N requests in one process (so it reuses its connection
# too). Prints median and p99 per request; figures, not a test. Usage: bench/grants/run.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000}
scripts/build-native.sh
out=$(mktemp -d); trap 'kill $mock_pid 2>/dev/null; rm -rf "$out"' EXIT
target/release/tpauth mock --port 0 > "$out/port" 2>/dev/null & mock_pid=$!
for _ in $(seq 50); do [ -s "$out/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(head -1 "$out/port")"
cc -O2 -Iinclude bench/grants/grants.c -Ltarget/release -ltpauth -Wl,-rpath,"$PWD/target/release" -o "$out/grants"

# curl: one process, N URLs, each with the same headers and form body; -w prints each time.
for i in $(seq "$N"); do
  [ "$i" -gt 1 ] && echo 'next'
  echo "url = \"$url/v1/oauth/oauth-business-users-for-applications/accesstoken\""
  echo 'user = "mock-api-key:mock-api-secret"'
  echo 'header = "Expect:"'
  echo 'data = "grant_type=password&username=user%40example.com&password=mock-password"'
  echo 'output = "/dev/null"'
  echo 'write-out = "%{http_code} %{time_total}\n"'
done > "$out/curl.cfg"
# Every answer must be a 200, else the comparison is void.
curl_stats() { awk '$1 != 200 {bad++} {print $2} END {if (bad) {print "curl got " bad " non-200 answers" > "/dev/stderr"; exit 1}}' | sort -n |
  awk '{a[NR]=$1*1e6} END {printf "%.1f %.1f\n", a[int(NR/2)+1], a[int(NR*0.99)]}'; }

read -r t_med t_p99 < <("$out/grants" "$url" "$N")
read -r c_med c_p99 < <(curl -s -K "$out/curl.cfg" | curl_stats)
conns=$(curl -s "$url/_mock/stats" | sed -n 's/.*"connections":\([0-9]*\).*/\1/p')
printf '%-28s %12s %12s\n' "$N sequential grants" "median µs" "p99 µs"
printf '%-28s %12s %12s\n' "tpauth (C ABI, keep-alive)" "$t_med" "$t_p99"
printf '%-28s %12s %12s\n' "curl (one process)" "$c_med" "$c_p99"
awk -v t="$t_med" -v c="$c_med" 'BEGIN {printf "ratio tpauth/curl (median): %.2f   (mock saw %s connections for both runs)\n", t / c, "'"$conns"'"}'
