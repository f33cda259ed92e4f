#!/usr/bin/env bash
# dist/dotnet/Tpauth.<version>.nupkg, built without the dotnet SDK (none here): Tpauth.dll compiled by
# Mono's mcs against the .NET Standard 2.0 reference assembly (lib.sh's netstandard_ref: -nostdlib,
# so the assembly references netstandard 2.0.0.0 alone and runs on .NET Framework 4.6.1+, .NET
# Core 2+/.NET 5+ and Mono), from the sources with their C# 8 nullable annotations stripped for
# C# 7.2 (as bindings/dotnet/test.sh does), and the package zipped by hand in the layout
# `nuget pack` writes and `dotnet restore` reads (Debian's nuget is 2.8, too old for
# <license type="expression">, <readme> and <repository>):
#   Tpauth.nuspec, [Content_Types].xml, _rels/.rels, package/services/metadata/core-properties/*.psmdcp
#   lib/netstandard2.0/Tpauth.dll (+ Tpauth.xml, and Tpauth.dll.config: Mono's dllmap to runtimes/)
#   runtimes/<rid>/native/libtpauth.so|.dylib   every target (linux-x64, linux-arm64, linux-musl-x64,
#                                                linux-musl-arm64, osx-arm64, osx-x64; win-x64 from
#                                                scripts/dist/windows.sh)
#   README.md, LICENSE-MIT, LICENSE-APACHE, CHANGELOG.md
# The package holds netstandard2.0 only: the release workflow (.github/workflows/release.yml) packs
# and tests the SDK-style project with the real SDK on .NET 8 as well.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$DIST_ROOT"
source scripts/ensure-apt.sh
ensure_apt mcs mono-devel
ensure_apt zip zip
ensure_apt npm npm
ensure_apt 7z p7zip-full
netstandard=$(netstandard_ref)
version=$(tpauth_version)
out="$DIST_OUT/dotnet"
work="$DIST_ROOT/target/dist-dotnet"
rm -rf "$out" "$work"; mkdir -p "$out" "$work/src" "$work/pkg/lib/netstandard2.0"

strip_nullable() {  # the same rewrite as bindings/dotnet/test.sh
  sed -E 's/\b(string|object|LogCallback|ErrorHandle|Token|Response|Auth|Exception|Process|HttpClient)\?([] ,;)>])/\1\2/g; s/([]>])\?([ ,;)])/\1\2/g' "$1" > "$2"
}
for f in bindings/dotnet/src/*.cs; do strip_nullable "$f" "$work/src/$(basename "$f")"; done
cat > "$work/src/Version.cs" <<EOF
using System.Reflection;
[assembly: AssemblyVersion("$version.0")]
[assembly: AssemblyFileVersion("$version.0")]
[assembly: AssemblyInformationalVersion("$version")]
[assembly: AssemblyProduct("tpauth")]
[assembly: System.Runtime.Versioning.TargetFramework(".NETStandard,Version=v2.0", FrameworkDisplayName = "")]
EOF
mcs -langversion:7.2 -target:library -optimize+ -warnaserror+ -nologo -nostdlib -noconfig "-r:$netstandard" \
  -out:"$work/pkg/lib/netstandard2.0/Tpauth.dll" -doc:"$work/pkg/lib/netstandard2.0/Tpauth.xml" "$work"/src/*.cs
# Mono never reads runtimes/: its dllmap sends DllImport("tpauth") to the package's library for the
# running OS and CPU, under the application's folder (NativeLoader.cs covers .NET Core and .NET
# Framework).
{
  echo '<configuration>'
  for t in "${DIST_TARGETS[@]}" x86_64-pc-windows-gnu; do
    rid=$(dotnet_rid "$t") || continue
    case $rid in linux-musl-*) continue ;; esac  # Mono's os="linux" cannot tell musl apart
    case $rid in linux-*) os=linux ;; osx-*) os=osx ;; win-*) os=windows ;; esac
    case $rid in *-x64) cpu=x86-64 ;; *-arm64) cpu=armv8 ;; esac  # Mono's names for the CPUs
    echo "  <dllmap dll=\"tpauth\" os=\"$os\" cpu=\"$cpu\" target=\"runtimes/$rid/native/$(native_shared_name "$t")\" />"
  done
  echo '</configuration>'
} >"$work/pkg/lib/netstandard2.0/Tpauth.dll.config"

for t in "${DIST_TARGETS[@]}"; do
  rid=$(dotnet_rid "$t") || continue
  so=$DIST_NATIVE/$t/$(native_shared_name "$t")
  [ -f "$so" ] || { echo "dist/dotnet: $so missing (scripts/dist/native.sh)" >&2; exit 1; }
  mkdir -p "$work/pkg/runtimes/$rid/native"
  cp "$so" "$work/pkg/runtimes/$rid/native/"
done
cp bindings/dotnet/README.md "$work/pkg/README.md"
dist_docs "$work/pkg"

description="Trustpilot OAuth2 business API client: every grant, one token request per expiry across threads and processes, on the native tpauth library (netstandard2.0; Linux x64/arm64 glibc and musl, macOS arm64/x64, Windows x64)."
cat > "$work/pkg/Tpauth.nuspec" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>Tpauth</id>
    <version>$version</version>
    <authors>The tpauth contributors</authors>
    <license type="expression">MIT OR Apache-2.0</license>
    <licenseUrl>https://licenses.nuget.org/MIT%20OR%20Apache-2.0</licenseUrl>
    <readme>README.md</readme>
    <projectUrl>https://github.com/tpauth/tpauth</projectUrl>
    <description>$description</description>
    <releaseNotes>https://github.com/tpauth/tpauth/blob/main/CHANGELOG.md</releaseNotes>
    <tags>trustpilot oauth2 authentication</tags>
    <repository type="git" url="https://github.com/tpauth/tpauth" />
    <dependencies>
      <group targetFramework=".NETStandard2.0" />
    </dependencies>
  </metadata>
</package>
EOF
mkdir -p "$work/pkg/_rels" "$work/pkg/package/services/metadata/core-properties"
psmdcp=$(python3 -c 'import uuid; print(uuid.uuid4().hex)').psmdcp
cat > "$work/pkg/_rels/.rels" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/Tpauth.nuspec" Id="R$(python3 -c 'import secrets; print(secrets.token_hex(8).upper())')" />
  <Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/package/services/metadata/core-properties/$psmdcp" Id="R$(python3 -c 'import secrets; print(secrets.token_hex(8).upper())')" />
</Relationships>
EOF
cat > "$work/pkg/package/services/metadata/core-properties/$psmdcp" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">
  <dc:creator>The tpauth contributors</dc:creator>
  <dc:description>$description</dc:description>
  <dc:identifier>Tpauth</dc:identifier>
  <version>$version</version>
  <keywords>trustpilot oauth2 authentication</keywords>
  <lastModifiedBy>scripts/dist/dotnet.sh</lastModifiedBy>
</coreProperties>
EOF
cat > "$work/pkg/[Content_Types].xml" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />
  <Default Extension="nuspec" ContentType="application/octet" />
  <Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />
  <Default Extension="dll" ContentType="application/octet" />
  <Default Extension="xml" ContentType="application/octet" />
  <Default Extension="so" ContentType="application/octet" />
  <Default Extension="dylib" ContentType="application/octet" />
  <Default Extension="config" ContentType="application/octet" />
  <Default Extension="md" ContentType="application/octet" />
  <Default Extension="" ContentType="application/octet" />
</Types>
EOF
nupkg="$out/Tpauth.$version.nupkg"
(cd "$work/pkg" && zip -q -X -r "$nupkg" Tpauth.nuspec '[Content_Types].xml' _rels package lib runtimes README.md LICENSE-MIT LICENSE-APACHE CHANGELOG.md)
echo "dist: $(basename "$nupkg") $(stat -c %s "$nupkg") B" >&2
