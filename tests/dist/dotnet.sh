#!/usr/bin/env bash
# dist/dotnet: the nupkg unpacked as NuGet lays it out; its layout and nuspec checked;
#   lib/netstandard2.0/Tpauth.dll is a genuine .NET Standard 2.0 assembly (it references
#   netstandard 2.0.0.0 and nothing else: no Mono mscorlib) with its TargetFramework attribute;
#   a C# program compiled (Mono's mcs, with Mono's netstandard facade as a .NET Framework project
#   gets it) against it, in an application folder laid out as a build leaves it (Tpauth.dll, its
#   .config, runtimes/linux-x64/native/libtpauth.so), run on Mono with no LD_LIBRARY_PATH: the
#   package's dllmap finds the library under runtimes/; a password grant + API call.
source "$(dirname "$0")/lib.sh"
ensure_apt mcs mono-devel
ensure_apt unzip unzip
dist_begin dotnet
nupkg=$DIST_OUT/dotnet/Tpauth.$VERSION.nupkg
check "dist/dotnet/Tpauth.$VERSION.nupkg exists" test -f "$nupkg"
check "unzip the nupkg" unzip -q "$nupkg" -d "$WORK/pkg"
layout() {
  local f
  for f in Tpauth.nuspec '[Content_Types].xml' _rels/.rels lib/netstandard2.0/Tpauth.dll lib/netstandard2.0/Tpauth.dll.config \
      README.md LICENSE-MIT LICENSE-APACHE CHANGELOG.md \
      runtimes/linux-x64/native/libtpauth.so runtimes/linux-arm64/native/libtpauth.so \
      runtimes/linux-musl-x64/native/libtpauth.so runtimes/linux-musl-arm64/native/libtpauth.so \
      runtimes/osx-arm64/native/libtpauth.dylib runtimes/osx-x64/native/libtpauth.dylib; do
    [ -f "$WORK/pkg/$f" ] || { echo "missing $f"; return 1; }
  done
  ls "$WORK"/pkg/package/services/metadata/core-properties/*.psmdcp
  # Only what the package holds: netstandard2.0 (no net8.0 folder, nor a claim of one).
  [ "$(ls "$WORK/pkg/lib")" = netstandard2.0 ] || { ls "$WORK/pkg/lib"; return 1; }
}
check "layout: nuspec, lib/netstandard2.0 (+ dllmap .config), runtimes/<6 rids>/native, readme, licences" layout
nuspec() {
  local n=$WORK/pkg/Tpauth.nuspec
  grep -q "<id>Tpauth</id>" "$n" && grep -q "<version>$VERSION</version>" "$n" &&
  grep -q '<license type="expression">MIT OR Apache-2.0</license>' "$n" && grep -q '<readme>README.md</readme>' "$n" &&
  grep -q '<repository type="git" url="https://' "$n" && grep -q '<group targetFramework=".NETStandard2.0" />' "$n" &&
  ! grep -qi 'net8' "$n" && python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])" "$n"
}
check "nuspec: id, version $VERSION, licence expression, readme, repository URL, .NETStandard2.0 only" nuspec
# What the assembly references, read through reflection-only loading (Mono resolves nothing).
cat > "$WORK/Refs.cs" <<'CS'
using System; using System.Reflection;
class Refs {
  static void Main(string[] a) {
    var asm = Assembly.ReflectionOnlyLoadFrom(a[0]);
    foreach (var r in asm.GetReferencedAssemblies()) Console.WriteLine("ref " + r.Name + " " + r.Version);
  }
}
CS
genuine() {
  mcs -nologo -out:"$WORK/refs.exe" "$WORK/Refs.cs" || return 1
  local refs; refs=$(mono "$WORK/refs.exe" "$WORK/pkg/lib/netstandard2.0/Tpauth.dll") || return 1
  echo "$refs"
  [ "$refs" = "ref netstandard 2.0.0.0" ] || return 1
  grep -aq '.NETStandard,Version=v2.0' "$WORK/pkg/lib/netstandard2.0/Tpauth.dll"
}
check "Tpauth.dll references netstandard 2.0.0.0 alone and says .NETStandard,Version=v2.0" genuine
app=$WORK/app
mkdir -p "$app/runtimes/linux-x64/native"
cp "$DIST_ROOT/tests/dist/programs/Check.cs" "$app/"
cp "$WORK/pkg/lib/netstandard2.0/Tpauth.dll" "$WORK/pkg/lib/netstandard2.0/Tpauth.dll.config" "$app/"
cp "$WORK/pkg/runtimes/linux-x64/native/libtpauth.so" "$app/runtimes/linux-x64/native/"
facade=$(ls /usr/lib/mono/4.5/Facades/netstandard.dll 2>/dev/null || ls /usr/lib/mono/*/Facades/netstandard.dll | head -n1)
check "mcs Check.cs -r:Tpauth.dll -r:netstandard.dll (Mono's facade)" bash -c "cd '$app' && mcs -nologo -langversion:7.2 -r:Tpauth.dll -r:'$facade' -out:Check.exe Check.cs"
check_run "dotnet (Mono): password grant + API call, no LD_LIBRARY_PATH" env -u LD_LIBRARY_PATH mono "$app/Check.exe"
check "Mono loaded runtimes/linux-x64/native/libtpauth.so beside Tpauth.dll (the package's dllmap)" bash -c \
  "mock_reset() { curl -fsS -X POST '$MOCK_URL/_mock/reset' >/dev/null; }; mock_reset && LD_DEBUG=libs mono '$app/Check.exe' 2>&1 | grep -q 'calling init: $app/runtimes/linux-x64/native/libtpauth.so'"
# The README's first program, as a user pastes it: it must compile with the C# the package supports
# (mcs, C# 7.2: no `using var`).
readme_example() {
  mkdir -p "$WORK/readme" && cp "$WORK/pkg/lib/netstandard2.0/Tpauth.dll" "$WORK/readme/" &&
  awk '/^```csharp$/ { on = 1; next } /^```$/ && on { exit } on' "$WORK/pkg/README.md" >"$WORK/readme/Program.cs" &&
  grep -q 'new Auth(' "$WORK/readme/Program.cs" &&
  (cd "$WORK/readme" && mcs -nologo -langversion:7.2 -r:Tpauth.dll -r:"$facade" -out:Program.exe Program.cs)
}
check "the package README's first C# program compiles (mcs, C# 7.2)" readme_example
dist_end
