#!/usr/bin/env bash
# dist/dotnet: the nupkg unpacked as NuGet lays it out; its layout and nuspec checked; a C# program
# compiled (Mono's mcs) against lib/netstandard2.0/Tpauth.dll and run on Mono with the native
# library resolved from the package's runtimes/linux-x64/native; a password grant + API call.
source "$(dirname "$0")/lib.sh"
ensure_apt mcs mono-devel
ensure_apt unzip unzip
dist_begin dotnet
nupkg=$DIST_OUT/dotnet/Tpauth.$VERSION.nupkg
check "dist/dotnet/Tpauth.$VERSION.nupkg exists" test -f "$nupkg"
check "unzip the nupkg" unzip -q "$nupkg" -d "$WORK/pkg"
layout() {
  local f
  for f in Tpauth.nuspec '[Content_Types].xml' _rels/.rels lib/netstandard2.0/Tpauth.dll README.md LICENSE-MIT LICENSE-APACHE CHANGELOG.md \
      runtimes/linux-x64/native/libtpauth.so runtimes/linux-arm64/native/libtpauth.so \
      runtimes/linux-musl-x64/native/libtpauth.so runtimes/linux-musl-arm64/native/libtpauth.so; do
    [ -f "$WORK/pkg/$f" ] || { echo "missing $f"; return 1; }
  done
  ls "$WORK"/pkg/package/services/metadata/core-properties/*.psmdcp
}
check "layout: nuspec, [Content_Types].xml, _rels, lib/netstandard2.0, runtimes/<4 rids>/native, readme, licences" layout
nuspec() {
  local n=$WORK/pkg/Tpauth.nuspec
  grep -q "<id>Tpauth</id>" "$n" && grep -q "<version>$VERSION</version>" "$n" &&
  grep -q '<license type="expression">MIT OR Apache-2.0</license>' "$n" && grep -q '<readme>README.md</readme>' "$n" &&
  grep -q '<repository type="git" url="https://' "$n" && python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])" "$n"
}
check "nuspec: id, version $VERSION, licence expression, readme, repository URL (well-formed XML)" nuspec
mkdir -p "$WORK/app"
cp "$DIST_ROOT/tests/dist/programs/Check.cs" "$WORK/app/"
cp "$WORK/pkg/lib/netstandard2.0/Tpauth.dll" "$WORK/app/"
check "mcs Check.cs -r:lib/netstandard2.0/Tpauth.dll" bash -c "cd '$WORK/app' && mcs -nologo -langversion:7.2 -r:Tpauth.dll -out:Check.exe Check.cs"
native=$WORK/pkg/runtimes/linux-x64/native
check_run "dotnet (Mono): password grant + API call, native library from runtimes/linux-x64/native" \
  env LD_LIBRARY_PATH="$native" mono "$WORK/app/Check.exe"
check "Mono loaded runtimes/linux-x64/native/libtpauth.so" bash -c \
  "curl -fsS -X POST '$MOCK_URL/_mock/reset' >/dev/null && LD_LIBRARY_PATH='$native' LD_DEBUG=libs mono '$WORK/app/Check.exe' 2>&1 | grep -q 'calling init: $native/libtpauth.so'"
dist_end
