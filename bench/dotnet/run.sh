#!/usr/bin/env bash
# The .NET benchmark: bench/dotnet/Bench.cs built with mcs against the binding's sources (as
# bindings/dotnet/test.sh builds them for mono) and run against the mock. Prints one JSON object.
# Usage: bench/dotnet/run.sh BASE_URL
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source scripts/ensure-apt.sh
ensure_apt mcs mono-devel
out=$ROOT/target/dotnet-bench
rm -rf "$out"
mkdir -p "$out/src"
# mcs builds C# 7.2: the nullable annotations of the sources go, as bindings/dotnet/test.sh does.
for f in bindings/dotnet/src/*.cs bench/dotnet/Bench.cs; do
  sed -E 's/\b(string|object|LogCallback|ErrorHandle|Token|Response|Auth|Exception|Process|HttpClient)\?([] ,;)>])/\1\2/g; s/([]>])\?([ ,;)])/\1\2/g' \
    "$f" >"$out/src/$(basename "$f")"
done
mcs -langversion:7.2 -optimize+ -nologo -nowarn:618 -r:System.Net.Http.dll -out:"$out/bench.exe" "$out"/src/*.cs
cat >"$out/bench.exe.config" <<XML
<configuration>
  <dllmap dll="tpauth" target="${TPAUTH_LIB:-$ROOT/target/release/libtpauth.so}" />
</configuration>
XML
mono "$out/bench.exe" "$1"
