#!/usr/bin/env bash
# The Java benchmarks (JMH 1.37), one run, against the mock: a cached Auth.getToken() on one and
# eight threads beside a volatile read plus a JNA call; the library path getToken takes at a
# renewal through JNA's direct mapping beside an interface mapping; an authorized GET through
# OkHttp with TpauthInterceptor beside OkHttp with a static header (over loopback, and over an
# interceptor that answers without I/O). Writes bench/results/java.json and java.md.
# Usage: bench/java/run.sh [--quick]   Numbers on a shared machine vary: compare within one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source scripts/ensure-apt.sh
ensure_apt javac default-jdk-headless
ensure_apt mvn maven
scripts/build-native.sh
iters=(-wi 3 -w 1s -i 5 -r 1s)
[ "${1:-}" = --quick ] && iters=(-wi 1 -w 500ms -i 2 -r 500ms)
mvn -B -q --no-transfer-progress -f bindings/java/pom.xml -Dmaven.repo.local="$ROOT/target/m2/repository" -Pbench -DskipTests \
  -pl ../../bench/java -am package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >/dev/null
cp="$ROOT/bench/java/target/classes:$(cat bench/java/target/classpath.txt)"
out=$ROOT/target/bench-java.json
java -cp "$cp" org.openjdk.jmh.Main -f 1 "${iters[@]}" -rf json -rff "$out" \
  -jvmArgsAppend "-Dtpauth.library.path=$ROOT/target/release/libtpauth.so -Dtpauth.bin=$ROOT/target/release/tpauth" \
  'io.github.tpauth.(TokenBench|bench.OkHttpBench)'
# CPU time per call (the measuring thread's), which load does not inflate as it does wall time.
java -cp "$cp" -Dtpauth.library.path="$ROOT/target/release/libtpauth.so" -Dtpauth.bin="$ROOT/target/release/tpauth" \
  io.github.tpauth.CpuTime | tee "$ROOT/target/bench-java-cpu.txt"
python3 - "$out" "$ROOT/bench/results" "$ROOT/target/bench-java-cpu.txt" <<'PY'
import json, os, sys, time
rows = []
for r in json.load(open(sys.argv[1])):
    cls, _, name = r['benchmark'].rpartition('.')
    m = r['primaryMetric']
    rows.append({'bench': cls.rsplit('.', 1)[-1], 'name': name, 'threads': r['threads'], 'score': m['score'],
                 'error': m['scoreError'], 'unit': m['scoreUnit']})
meta = {'when': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), 'cores': os.cpu_count(), 'load': round(os.getloadavg()[0], 1),
        'java': os.popen('java -version 2>&1 | head -n1').read().strip()}
by = {r['name']: r for r in rows}
def ns(n):
    r = by[n]; return r['score'] * (1000 if r['unit'] == 'us/op' else 1)
def line(label, n):
    r = by[n]; e = r['error']
    err = f" ± {e:,.1f}" if isinstance(e, (int, float)) and e == e else ''
    return f"| {label} | {r['score']:,.1f}{err} {r['unit']} |"
md = [f"Java: tpauth {meta['java']} · {meta['cores']} cores, load {meta['load']} · {meta['when']} (bench/java/run.sh, JMH, one run)", '',
      '**A cached `getToken()` beside a volatile read plus a JNA call**', '', '| | time per call |', '|---|---:|',
      line('`getToken()`, 1 thread', 'getToken_1thread'), line('volatile read + JNA call, 1 thread', 'volatileReadPlusJnaCall_1thread'),
      line('`getToken()`, 8 threads', 'getToken_8threads'), line('volatile read + JNA call, 8 threads', 'volatileReadPlusJnaCall_8threads'), '',
      f"Ratio (goal: within 2×): {ns('getToken_1thread') / ns('volatileReadPlusJnaCall_1thread'):.2f}× on 1 thread, "
      f"{ns('getToken_8threads') / ns('volatileReadPlusJnaCall_8threads'):.2f}× on 8 threads.", '',
      '**JNA direct mapping (what the binding uses) beside an interface mapping**', '', '| | time per call |', '|---|---:|',
      line('one call (`tp_version`), direct', 'oneCall_directMapping'), line('one call, interface', 'oneCall_interfaceMapping'),
      line('the renewal-time path (tp_get_token, copy, free: 11 calls), direct', 'libraryPath_directMapping'),
      line('the same, interface', 'libraryPath_interfaceMapping'), '',
      '**An authorized GET through OkHttp**', '', '| | time per request |', '|---|---:|',
      line('mock over loopback: `TpauthInterceptor`', 'get_mock_tpauthInterceptor'), line('mock over loopback: static header', 'get_mock_staticHeader'),
      line('no I/O: `TpauthInterceptor`', 'get_noIo_tpauthInterceptor'), line('no I/O: static header', 'get_noIo_staticHeader'), '',
      f"The interceptor's own cost per request (no I/O, minus the static header; goal: under 5 µs): "
      f"{(ns('get_noIo_tpauthInterceptor') - ns('get_noIo_staticHeader')) / 1000:.2f} µs; over loopback "
      f"{ns('get_mock_tpauthInterceptor') / ns('get_mock_staticHeader'):.2f}× the static header.", '']
cpu = {k: float(v) for k, v in (l.split() for l in open(sys.argv[3]) if l.strip())}
md += ['**CPU time per call** (the calling thread\'s, the least of five rounds: load does not inflate it as it does the wall times above)', '',
       '| | CPU per call |', '|---|---:|',
       f"| `getToken()` | {cpu['getToken']:,.1f} ns |", f"| volatile read + JNA call | {cpu['volatileReadPlusJnaCall']:,.1f} ns |",
       f"| `prepareApiCall` (an absolute URL; tp_prepare_api_call) | {cpu['prepareApiCall'] / 1000:,.2f} µs |",
       f"| OkHttp call, no I/O: `TpauthInterceptor` | {cpu['okhttpNoIo_tpauthInterceptor'] / 1000:,.2f} µs |",
       f"| OkHttp call, no I/O: static header | {cpu['okhttpNoIo_staticHeader'] / 1000:,.2f} µs |", '',
       f"`getToken()` is {cpu['getToken'] / cpu['volatileReadPlusJnaCall']:.2f}× its peer (goal: within 2×); the interceptor's own cost "
       f"is {(cpu['okhttpNoIo_tpauthInterceptor'] - cpu['okhttpNoIo_staticHeader']) / 1000:.2f} µs of CPU per request (goal: under 5 µs).", '']
out = sys.argv[2]
json.dump({'meta': meta, 'results': rows, 'cpu_ns_per_call': cpu}, open(os.path.join(out, 'java.json'), 'w'), indent=1)
open(os.path.join(out, 'java.md'), 'w').write('\n'.join(md))
print('\n'.join(md))
PY
