#!/usr/bin/env bash
# The release workflow's smoke test (.github/workflows/release.yml), run on each package's own
# platform (macOS arm64 and x86_64, Windows, Linux arm64, Alpine): installs the packages that
# scripts/dist.sh made (the dist/ folder, downloaded from the build job) as a user of this platform
# does, with no Rust, and runs a password grant + API call against the mock, which comes from the
# C package of this platform (bin/tpauth). Usage: tests/dist/smoke.sh DIST_DIR LANG...
# (LANG: c python node go php dotnet; each needs its toolchain on PATH, which the workflow sets up).
# Prints "smoke: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dist=$(cd "${1:?usage: smoke.sh DIST_DIR LANG...}" && pwd); shift
version=$(sed -n '/^\[package\]/,/^\[/{s/^version = "\([^"]*\)".*/\1/p}' "$here/../../Cargo.toml" | head -n1)
work=$(mktemp -d "${TMPDIR:-/tmp}/tpauth-smoke.XXXXXX")
passed=0; failed=0
os=$(uname -s); arch=$(uname -m)
case "$os/$arch" in
  Darwin/arm64) triple=aarch64-apple-darwin ;;
  Darwin/x86_64) triple=x86_64-apple-darwin ;;
  Linux/x86_64) triple=x86_64-unknown-linux-$([ -e /lib/ld-musl-x86_64.so.1 ] && echo musl || echo gnu) ;;
  Linux/aarch64) triple=aarch64-unknown-linux-$([ -e /lib/ld-musl-aarch64.so.1 ] && echo musl || echo gnu) ;;
  MINGW*/* | MSYS*/*) triple=x86_64-pc-windows-gnu ;;
  *) echo "smoke: no package for $os/$arch"; exit 1 ;;
esac
echo "smoke: $triple, tpauth $version, in $work"

# The C package: unpacked; its bin/tpauth runs the mock.
if [ "$triple" = x86_64-pc-windows-gnu ]; then
  (cd "$work" && unzip -q "$dist/c/tpauth-$version-$triple.zip")
else
  tar -C "$work" -xzf "$dist/c/tpauth-$version-$triple.tar.gz"
fi
prefix=$work/tpauth-$version-$triple
mock_log=$work/mock.out
"$prefix/bin/tpauth" mock --port 0 >"$mock_log" 2>"$work/mock.err" &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$mock_log" ] && break; sleep 0.1; done
port=$(head -n1 "$mock_log" | tr -d '\r')
[ -n "$port" ] || { echo "smoke: the mock did not start"; cat "$work/mock.err"; exit 1; }
export MOCK_URL=http://127.0.0.1:$port TRUSTPILOT_API_BASE_URL=http://127.0.0.1:$port TRUSTPILOT_ALLOW_INSECURE_HTTP=true
export TRUSTPILOT_API_KEY=mock-api-key TRUSTPILOT_API_SECRET=mock-api-secret
export TRUSTPILOT_USERNAME=user@example.com TRUSTPILOT_PASSWORD=mock-password

# run LABEL CMD...: the program must print "version V", a grant and the API call's 200.
run() {
  local label=$1 out; shift
  if out=$("$@" 2>&1) && grep -q "^version $version" <<<"$(tr -d '\r' <<<"$out")" && grep -q '^api 200 ' <<<"$(tr -d '\r' <<<"$out")"; then
    passed=$((passed + 1)); echo "ok      $label"
  else
    failed=$((failed + 1)); echo "FAILED  $label"; sed 's/^/        /' <<<"$out" | tail -20
  fi
}

for lang in "$@"; do
  case $lang in
    c)
      cc=${CC:-cc}
      if [ "$triple" = x86_64-pc-windows-gnu ]; then
        cp "$prefix/bin/tpauth.dll" "$work/"
        run "c: check.c against the DLL" bash -c "$cc -o '$work/check-c.exe' '$here/programs/check.c' -I'$prefix/include' '$prefix/lib/libtpauth.dll.a' && cp '$prefix/bin/tpauth.dll' '$work/' && '$work/check-c.exe'"
      else
        run "c: check.c with pkg-config (shared)" bash -c "PKG_CONFIG_PATH='$prefix/lib/pkgconfig' && export PKG_CONFIG_PATH &&
          $cc -o '$work/check-c' '$here/programs/check.c' \$(pkg-config --cflags --libs tpauth) && '$work/check-c'"
      fi ;;
    python)
      py=$(command -v python3 || command -v python)
      "$py" -m venv "$work/venv"
      vpy=$work/venv/bin/python; [ -x "$vpy" ] || vpy=$work/venv/Scripts/python.exe
      run "python: pip install the wheel for this platform (no index), check.py" bash -c \
        "'$vpy' -m pip install -q --no-index --find-links '$dist/python' trustpilot-auth==$version && '$vpy' '$here/programs/check.py'" ;;
    node)
      mkdir -p "$work/node" && (cd "$work/node" && npm init -y >/dev/null)
      plat=$(node -p "const {platform: p, arch: a} = process; p === 'linux' ? 'linux-' + a + '-' + ('$triple'.endsWith('musl') ? 'musl' : 'gnu') : p === 'win32' ? 'win32-' + a + '-gnu' : p + '-' + a")
      run "node: npm install trustpilot-auth + trustpilot-auth-$plat (tarballs), check.js" bash -c \
        "cd '$work/node' && npm install -s --no-audit --no-fund '$dist/node/trustpilot-auth-$plat-$version.tgz' '$dist/node/trustpilot-auth-$version.tgz' &&
         cp '$here/programs/check.js' . && node check.js trustpilot-auth-$plat" ;;
    go)
      cp -r "$dist/go" "$work/gomod" && mkdir -p "$work/goapp" && cp "$here/programs/main.go" "$work/goapp/"
      mod=$(sed -n 's/^module //p' "$work/gomod/go.mod")
      printf 'module smoke\n\ngo 1.21\n\nrequire %s v%s\n\nreplace %s => ../gomod\n' "$mod" "$version" "$mod" >"$work/goapp/go.mod"
      tags=; case $triple in *-musl) tags="-tags tpauth_musl" ;; esac
      go=$(command -v go || echo /usr/local/go/bin/go)
      run "go: build against the module, run" bash -c "cd '$work/goapp' && CGO_ENABLED=1 GOFLAGS=-mod=mod GOPROXY=off '$go' build $tags -o check-go . && ./check-go" ;;
    php)
      cp -r "$dist/php" "$work/tpauth-php" && mkdir -p "$work/phpapp" && cp "$here/programs/check.php" "$work/phpapp/"
      printf '{"repositories": [{"type": "path", "url": "../tpauth-php", "options": {"symlink": false, "versions": {"tpauth/tpauth": "%s"}}}, {"packagist.org": false}], "require": {"tpauth/tpauth": "%s"}}\n' \
        "$version" "$version" >"$work/phpapp/composer.json"
      run "php: composer install, check.php" bash -c "cd '$work/phpapp' && composer install -q --no-progress && php -d ffi.enable=true check.php" ;;
    dotnet)
      mkdir -p "$work/feed" "$work/dn" && cp "$dist/dotnet/Tpauth.$version.nupkg" "$work/feed/"
      cp "$here/programs/Check.cs" "$work/dn/"
      printf '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net8.0</TargetFramework></PropertyGroup><ItemGroup><PackageReference Include="Tpauth" Version="%s" /></ItemGroup></Project>\n' \
        "$version" >"$work/dn/smoke.csproj"
      run "dotnet: PackageReference Tpauth from the nupkg, dotnet run (.NET 8)" bash -c \
        "cd '$work/dn' && dotnet nuget add source '$work/feed' -n smoke >/dev/null && dotnet run -v q" ;;
    *) echo "smoke: unknown language $lang"; failed=$((failed + 1)) ;;
  esac
done
echo "smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
