#!/usr/bin/env bash
# The Go binding's suite: gofmt (must list nothing), go vet, and `go test -race` against the mock,
# once with the default static link (libtpauth.a) and once with -tags tpauth_dynamic
# (libtpauth.so); checks what each test binary links; runs the example program against the mock;
# and builds and runs the x/oauth2 comparison (bench/go) briefly. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
source scripts/ensure-apt.sh

# Go >= 1.21 (the machines ship it in /usr/local/go); cgo needs a C compiler.
export PATH=$PATH:/usr/local/go/bin:$HOME/go/bin
ensure_apt go golang-go
ensure_apt gcc gcc
if ! go version | grep -Eq 'go1\.(2[1-9]|[3-9][0-9])'; then
  echo "go: $(go version) is older than the go 1.21 this package needs" >&2
  exit 1
fi
export CGO_ENABLED=1 GOTOOLCHAIN=local GOFLAGS=-mod=readonly

scripts/build-native.sh
export TPAUTH_BIN=${TPAUTH_BIN:-$REPO/target/release/tpauth}

echo "go: gofmt -l"
unformatted=$(gofmt -l bindings/go bench/go)  # (bindings/go/oauth2adapter included)
if [ -n "$unformatted" ]; then
  echo "gofmt: these files need gofmt -w:"; echo "$unformatted"; exit 1
fi

cd bindings/go
echo "go: go vet (static, dynamic)"
go vet ./...
go vet -tags tpauth_dynamic ./...

# Each link mode's test binary: static must not need libtpauth.so, dynamic must.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -race -c -o "$tmp/static.test" .
go test -race -c -tags tpauth_dynamic -o "$tmp/dynamic.test" .
if ldd "$tmp/static.test" | grep -q libtpauth; then echo "static build links libtpauth.so"; exit 1; fi
loaded=$(ldd "$tmp/dynamic.test" | awk '/libtpauth\.so[.0-9]* =>/ {print $3}')
if [ -z "$loaded" ] || [ "$(readlink -f "$loaded")" != "$(readlink -f "$REPO/target/release/libtpauth.so")" ]; then
  echo "dynamic build does not load target/release/libtpauth.so:"; ldd "$tmp/dynamic.test"; exit 1
fi

echo "go: go test -race (static libtpauth.a)"
go test -race -count=1 ./...
echo "go: go test -race -tags tpauth_dynamic (libtpauth.so)"
go test -race -count=1 -tags tpauth_dynamic ./...

# The x/oauth2 adapter (a module of its own, the only one that needs golang.org/x/oauth2).
echo "go: oauth2adapter (vet, go test -race)"
(cd oauth2adapter && go vet ./... && go test -race -count=1 ./...)

# The example program, against a mock of its own.
echo "go: examples/quickstart against the mock"
coproc MOCK { exec "$TPAUTH_BIN" mock --port 0 --exit-on-stdin-eof 2>/dev/null; }
read -r port <&"${MOCK[0]}"
out=$(TRUSTPILOT_API_KEY=mock-api-key TRUSTPILOT_API_SECRET=mock-api-secret \
  TRUSTPILOT_USERNAME=user@example.com TRUSTPILOT_PASSWORD=mock-password \
  TRUSTPILOT_API_HOST=http://127.0.0.1:$port TRUSTPILOT_AUTHORIZE_URL=http://127.0.0.1:$port/authenticate \
  TRUSTPILOT_ALLOW_INSECURE_HTTP=true go run ./examples/quickstart /v1/private/business-units/demo) || { echo "$out"; exit 1; }
# shellcheck disable=SC1083,SC2093 # closes the coprocess's stdin (bash's {var}>&- form)
exec {MOCK[1]}>&-
echo "$out" | sed 's/^/  /'
echo "$out" | grep -q '^Request: 200 ' && echo "$out" | grep -q '^Transport: 200 ' || { echo "example failed"; exit 1; }
if echo "$out" | grep -q 'mock-password\|mock-api-secret'; then echo "example printed a secret"; exit 1; fi

# The comparison with golang.org/x/oauth2 (its own module): vet, and one short run.
echo "go: bench/go (x/oauth2 comparison, short run)"
cd "$REPO/bench/go"
go vet ./...
go test -run '^$' -bench . -benchtime 2000x -benchmem .
