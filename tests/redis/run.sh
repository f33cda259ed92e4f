#!/usr/bin/env bash
# The Redis token cache suite: installs redis-server (Debian's, built with TLS) and openssl when
# missing, builds through scripts/build-native.sh, starts two redis-servers on 127.0.0.1 on free
# ports (plain, and TLS with a test CA made here), both with a password and no persistence, runs
# `cargo test --test redis` against them and the mock, then stops them. Exits non-zero on failure.
# The tests start the topologies they damage themselves (TPAUTH_TEST_REDIS_SERVER, _CLI and the
# TLS files below): a private server they stop and restart, Redis Clusters of three masters with a
# replica each (redis-cli --cluster create), a master with a replica and three Sentinels.
# Arguments go to the test binary (a test name to run only it).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ensure-rust.sh
source scripts/ensure-apt.sh
ensure_apt redis-server redis-server
ensure_apt redis-cli redis-tools
ensure_apt openssl openssl
scripts/build-native.sh

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

PASS="tpauth-redis-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

# A test CA and a certificate for 127.0.0.1 (EC P-256: fast to make), for servers and, on the
# TLS cluster bus (which always checks client certificates), nodes as clients.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -keyout "$WORK/ca.key" -out "$WORK/ca.crt" -subj "/CN=tpauth redis test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$WORK/server.key" -out "$WORK/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' >"$WORK/ext.cnf"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
  -days 2 -extfile "$WORK/ext.cnf" -out "$WORK/server.crt" 2>/dev/null

# start_redis NAME EXTRA-ARGS...: on a free port (tries random ones); sets PORT.
start_redis() {
  local name=$1; shift
  for _ in $(seq 30); do
    local port=$((20000 + RANDOM % 40000))
    local portargs=(--port "$port")
    if [ "$name" = tls ]; then
      portargs=(--port 0 --tls-port "$port" --tls-cert-file "$WORK/server.crt" --tls-key-file "$WORK/server.key"
        --tls-ca-cert-file "$WORK/ca.crt" --tls-auth-clients no)
    fi
    redis-server --bind 127.0.0.1 "${portargs[@]}" --save '' --appendonly no --requirepass "$PASS" \
      --dir "$WORK" --logfile "$WORK/redis-$name.log" "$@" &
    local pid=$!
    for _ in $(seq 50); do
      local cli=(redis-cli -h 127.0.0.1 -p "$port" --no-auth-warning -a "$PASS")
      [ "$name" = tls ] && cli+=(--tls --cacert "$WORK/ca.crt")
      if [ "$("${cli[@]}" ping 2>/dev/null)" = PONG ]; then PIDS+=("$pid"); PORT=$port; return 0; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  echo "could not start redis-server ($name)" >&2; cat "$WORK/redis-$name.log" >&2 || true
  return 1
}

start_redis plain
export TPAUTH_TEST_REDIS_URL="redis://:$PASS@127.0.0.1:$PORT/0"
if start_redis tls; then
  export TPAUTH_TEST_REDISS_URL="rediss://:$PASS@127.0.0.1:$PORT/0"
  export TPAUTH_TEST_REDIS_CA="$WORK/ca.crt"
else
  echo "Debian's redis-server did not start with TLS: the rediss:// test fails" >&2
fi
export TPAUTH_TEST_REDIS_SERVER TPAUTH_TEST_REDIS_CLI
TPAUTH_TEST_REDIS_SERVER=$(command -v redis-server)
TPAUTH_TEST_REDIS_CLI=$(command -v redis-cli)
export TPAUTH_TEST_REDIS_CERT="$WORK/server.crt" TPAUTH_TEST_REDIS_KEY="$WORK/server.key"
export TPAUTH_TEST_REDIS_CA="$WORK/ca.crt"

# `run.sh --run COMMAND...` runs that command against these servers instead (scripts/mutants.sh).
if [ "${1:-}" = --run ]; then
  shift
  "$@"
  exit
fi

# One test at a time: the multi-host tests count token requests per token lifetime (1-2 s windows)
# on a shared 2-core machine. They use databases 0-15 of the plain server.
cargo test --quiet -p tpauth --test redis -- --test-threads=1 "$@"
