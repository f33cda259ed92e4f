#!/usr/bin/env bash
# Checks the GitHub workflows (.github/workflows/*.yml) with actionlint (its shellcheck pass included
# when shellcheck is installed). actionlint is the Go module github.com/rhysd/actionlint, installed
# once with `go install` into target/tools/bin (~50 s the first time; kept between runs). Part of
# the rust suite (scripts/test-all.sh rust).
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.7.12
bin=$PWD/target/tools/bin/actionlint
if [ ! -x "$bin" ] || ! "$bin" -version 2>/dev/null | grep -qx "${version#v}"; then
  go=$(command -v go || echo /usr/local/go/bin/go)
  [ -x "$go" ] || { echo "actionlint: Go is needed to install it (go install github.com/rhysd/actionlint/cmd/actionlint@$version)"; exit 1; }
  mkdir -p target/tools/bin
  GOBIN=$PWD/target/tools/bin GOFLAGS='' "$go" install "github.com/rhysd/actionlint/cmd/actionlint@$version"
fi
"$bin" .github/workflows/*.yml
echo "actionlint: $(ls .github/workflows/*.yml | wc -l) workflows ok"
