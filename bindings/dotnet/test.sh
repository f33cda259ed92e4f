#!/usr/bin/env bash
# The .NET binding's tests, on Mono: builds libtpauth and the CLI (scripts/build-native.sh),
# compiles bindings/dotnet/src into Tpauth.dll and the NUnit tests with mcs, and runs them with
# nunit-console against the mock. Exits non-zero on any failure. Run as root on a fresh Debian:
# installs mono-devel, nunit-console and libnunit-cil-dev when missing.
#
# Mono's mcs speaks C# 7.2 at most, and the sources use C# 8's nullable reference annotations
# (`string?`), as Tpauth.csproj (Nullable=enable) wants. So the Mono build compiles a copy of the
# sources with those annotations stripped (see strip_nullable below); the sources themselves use
# no other feature newer than C# 7.2 (no `!` operator, no `#nullable`), which this build checks.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
source scripts/ensure-apt.sh
ensure_apt mcs mono-devel
ensure_apt nunit-console nunit-console libnunit-cil-dev
# The framework assembly the tests compile against (libnunit-cil-dev's pkg-config names it).
if ! ls /usr/lib/cli/nunit.framework-*/nunit.framework.dll >/dev/null 2>&1; then
  if [ -z "${TPAUTH_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; export TPAUTH_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnunit-cil-dev >/dev/null
fi
NUNIT_DLL="$(ls /usr/lib/cli/nunit.framework-*/nunit.framework.dll | head -n1)"

scripts/build-native.sh
export TPAUTH_LIB="${TPAUTH_LIB:-$root/target/release/libtpauth.so}"
export TPAUTH_BIN="${TPAUTH_BIN:-$root/target/release/tpauth}"
export TPAUTH_ROOT="$root"
[ -f "$TPAUTH_LIB" ] || { echo "test.sh: $TPAUTH_LIB not found" >&2; exit 1; }
[ -x "$TPAUTH_BIN" ] || { echo "test.sh: $TPAUTH_BIN not found" >&2; exit 1; }

out="$root/target/dotnet"
rm -rf "$out"
mkdir -p "$out/src" "$out/tests"

# C# 8 nullable annotations -> C# 7.2: `T?` for the reference types the sources use. Value types
# (`TimeSpan?`, `long?`, `DateTimeOffset?`) keep their `?`.
strip_nullable() {
  sed -E 's/\b(string|object|LogCallback|ErrorHandle|Token|Response|Auth|Exception|Process|HttpClient)\?([] ,;)>])/\1\2/g; s/([]>])\?([ ,;)])/\1\2/g' "$1" > "$2"
}
for f in "$here"/src/*.cs; do strip_nullable "$f" "$out/src/$(basename "$f")"; done
for f in "$here"/tests/*.cs; do strip_nullable "$f" "$out/tests/$(basename "$f")"; done
if grep -nE '#nullable|[A-Za-z0-9_)\]]![^=]' "$here"/src/*.cs; then
  echo "test.sh: C# 8 syntax (#nullable or the ! operator) in the sources: mcs cannot build it" >&2
  exit 1
fi

mcs -langversion:7.2 -target:library -optimize+ -warnaserror+ -nologo -r:System.Net.Http.dll \
  -out:"$out/Tpauth.dll" -doc:"$out/Tpauth.xml" "$out"/src/*.cs
mcs -langversion:7.2 -target:library -nologo -nowarn:618 \
  -r:"$out/Tpauth.dll" -r:"$NUNIT_DLL" -r:System.Net.Http.dll \
  -out:"$out/Tpauth.Tests.dll" "$out"/tests/*.cs
cp "$NUNIT_DLL" "$out/"
# DllImport("tpauth") resolves to exactly the library under test (Mono's dllmap; a dotnet build
# finds runtimes/linux-x64/native/libtpauth.so in the package instead).
cat > "$out/Tpauth.dll.config" <<XML
<configuration>
  <dllmap dll="tpauth" target="$TPAUTH_LIB" />
</configuration>
XML

cd "$out"
status=0
nunit-console -nologo -noshadow -labels Tpauth.Tests.dll -xml="$out/TestResult.xml" || status=$?
if [ "$status" -ne 0 ]; then
  echo "dotnet tests: FAILED (nunit-console exit $status)" >&2
  exit 1
fi
echo "dotnet tests: passed"
