"""One table with every surface next to its peer (`bench/run.sh --all` runs this last).

Reads what the per-surface benchmarks of this run wrote (bench/results/latest.json from
bench/proof/proof.py, go.json, node.json, python.json), runs the ones that print a JSON object
(C: bench/c/cached_token, C++: bench/cpp, PHP: bench/php, .NET: bench/dotnet) against a mock of
their own, reads Java's bench/results/java.json (bench/java, JMH) when that benchmark exists, and puts in front of bench/results/latest.md one table:
per surface, the cached token, one authorized request, import or cold start, and the per-request
cost of the HTTP adapter, each with its peer, plus the machine and its load. Writes
bench/results/all.json too. Figures, not assertions: the machine is shared, compare within a run.

    python3 bench/all.py --bin target/bench    (after bench/run.sh has built the programs)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def load(name: str) -> Optional[Dict[str, Any]]:
    p = RESULTS / name
    return json.loads(p.read_text()) if p.exists() else None


def run_json(cmd: List[str], env: Optional[Dict[str, str]] = None, timeout: int = 900) -> Optional[Dict[str, Any]]:
    """The last JSON object a benchmark printed, or None (its failure goes to stderr, and the
    table shows the cells it would have filled as not measured)."""
    try:
        out = subprocess.run(cmd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"all.py: {' '.join(cmd)}: {e}", file=sys.stderr)
        return None
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)  # type: ignore[no-any-return]
    print(f"all.py: {' '.join(cmd)} printed no JSON (exit {out.returncode}): {out.stderr[-2000:]}", file=sys.stderr)
    return None


def ns(v: Optional[float]) -> str:
    if v is None:
        return "—"
    if v >= 1e6:
        return f"{v / 1e6:,.1f} ms"
    if v >= 1e3:
        return f"{v / 1e3:,.1f} µs"
    return f"{v:,.1f} ns" if v < 100 else f"{v:,.0f} ns"


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {platform.machine()}{', ' + model if model else ''}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="where bench/run.sh built the C programs")
    a = ap.parse_args()
    load_start = os.getloadavg()[0]
    binary = os.environ.get("TPAUTH_BIN", str(REPO / "target" / "release" / "tpauth"))
    mock = subprocess.Popen([binary, "mock", "--port", "0", "--exit-on-stdin-eof"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert mock.stdout is not None
    port = mock.stdout.readline().strip()
    base = f"http://127.0.0.1:{port}"
    env = {"TPAUTH_MOCK_PORT": port, "TPAUTH_LIB": str(REPO / "target" / "release" / "libtpauth.so")}
    try:
        c = run_json([str(Path(a.bin) / "cached_token"), "--json"], env)
        cpp = run_json([str(Path(a.bin) / "cached_token_cpp")], env)
        php = run_json(["php", "-d", "ffi.enable=true", "bench/php/bench.php", base], env)
        dotnet = run_json(["bench/dotnet/run.sh", base], env)
    finally:
        mock.stdin.close()  # type: ignore[union-attr]
        mock.wait(timeout=10)
    proof = load("latest.json") or {}
    go = load("go.json") or {}
    node = load("node.json") or {}
    py = load("python.json") or {}
    java = load("java.json") if (REPO / "bench" / "java" / "run.sh").exists() else None

    def go_ns(bench: str, client: str, key: str = "ns_per_op") -> Optional[float]:
        for r in go.get("results", []):
            if r["bench"] == bench and r["client"] == client:
                return float(r[key])
        return None

    def go_allocs(bench: str, client: str) -> str:
        v = go_ns(bench, client, "allocs_per_op")
        return "" if v is None else f", {v:.0f} allocs"

    cold = proof.get("cold", {})
    grant = proof.get("grant", {}).get("mock", {})
    cached = proof.get("cached", {})
    ms = lambda d, k: None if k not in d else d[k]["median_ms"] * 1e6  # noqa: E731
    us = lambda d, k: None if k not in d else d[k]["median_us"] * 1e3  # noqa: E731
    nodes = node.get("results", {})
    tp_node, peer_node = nodes.get("tpauth", {}), nodes.get("trustpilot", {})

    rows: List[List[str]] = []

    def row(surface: str, what: str, tp: Optional[float], peer: Optional[float], peer_name: str, note: str = "") -> None:
        ratio = "—" if not (tp and peer) else f"{peer / tp:,.1f}×" if peer >= tp else f"{peer / tp:.2f}×"
        rows.append([surface, what, ns(tp) + note, ns(peer), ratio, peer_name])

    c_note = ""
    if c:
        c_note = f" (2 threads {ns(c.get('threads_2'))}, 8 threads {ns(c.get('threads_8'))}; a client each: {ns(c.get('own_2'))}, {ns(c.get('own_8'))})"
    row("C", "cached token (`tp_get_token` + `tp_token_free`)", c and c.get("threads_1"), None, "— (no C OAuth2 client keeps a token)", c_note)
    row("C", "one password grant, keep-alive (mock)", us(grant, "tpauth (C)"), us(grant, "curl"), "curl, one process reusing its connection")
    row("C", "cold start to the first token", ms(cold, "tpauth (C)"), ms(cold, "curl"), "curl")
    row("C++", "cached token (`auth.get_token()`)", cpp and cpp.get("cpp_cached_ns"), cpp and cpp.get("c_cached_ns"), "the C call it wraps, same run")
    row("Python", "cached token (`auth.get_token()`)", py.get("tpauth_cached_ns"), py.get("peer_cached_ns"), "trustpilot 10.0.1 `get_request_auth_headers()` (a request each time)")
    row("Python", "per-request adapter (headers from the cached token)", py.get("headers_dict_ns"),
        None if "requests-oauthlib add_token()" not in cached else cached["requests-oauthlib add_token()"]["ns"], "requests-oauthlib `add_token()`")
    row("Python", "one password grant, keep-alive (mock)", us(grant, "tpauth (Python)"), us(grant, "trustpilot 10.0.1 (official)"), "trustpilot 10.0.1")
    row("Python", "`import`", None if "import_tpauth_ms" not in py else py["import_tpauth_ms"] * 1e6,
        None if "import_peer_ms" not in py else py["import_peer_ms"] * 1e6, "`import trustpilot.client`")
    row("Python", "cold start to the first token", ms(cold, "tpauth (Python)"), ms(cold, "trustpilot 10.0.1 (official)"), "trustpilot 10.0.1")
    row("Go", "cached token (`Client.Token()`)", go_ns("TokenCached", "tpauth"), go_ns("TokenCached", "x-oauth2-ReuseTokenSource"), "x/oauth2 `ReuseTokenSource`")
    row("Go", "authorized GET, keep-alive (mock)", go_ns("APICall", "tpauth-Transport"), go_ns("APICall", "x-oauth2-Transport"), "x/oauth2 `Transport`",
        go_allocs("APICall", "tpauth-Transport"))
    row("Go", "Transport's own cost per request", go_ns("TransportOverhead", "tpauth-Transport"), go_ns("TransportOverhead", "x-oauth2-Transport"),
        "x/oauth2 `Transport`" + go_allocs("TransportOverhead", "x-oauth2-Transport"), go_allocs("TransportOverhead", "tpauth-Transport"))
    row("PHP", "cached token (`getToken()`)", php and php.get("tpauth_cached_ns"), php and php.get("peer_cached_ns"), "Guzzle + the token in a variable")
    row("PHP", "authorized GET, keep-alive (mock)", php and php.get("tpauth_get_us", 0) * 1e3, php and php.get("peer_get_us", 0) * 1e3, "Guzzle")
    row("PHP", "cold start to the first token", php and php.get("tpauth_cold_ms", 0) * 1e6, php and php.get("peer_cold_ms", 0) * 1e6, "Guzzle")
    row(".NET", "cached token (`GetToken()`)", dotnet and dotnet.get("tpauth_cached_ns"), dotnet and dotnet.get("peer_cached_ns"), "HttpClient + the token in a field")
    row(".NET", "authorized GET, keep-alive (mock)", dotnet and dotnet.get("tpauth_get_us", 0) * 1e3, dotnet and dotnet.get("peer_get_us", 0) * 1e3, "HttpClient")
    row("Node", "cached token (`await getToken()`)", tp_node.get("cachedNs"), peer_node.get("cachedNs"), "npm trustpilot 4.0.1 `authenticate()`")
    row("Node", "cold start to the first token", None if "coldMs" not in tp_node else tp_node["coldMs"] * 1e6,
        None if "coldMs" not in peer_node else peer_node["coldMs"] * 1e6, "npm trustpilot 4.0.1")
    if java:
        jmh = {r["name"]: r["score"] * (1000 if r["unit"] == "us/op" else 1) for r in java.get("results", [])}
        row("Java", "cached token (`getToken()`)", jmh.get("getToken_1thread"), jmh.get("volatileReadPlusJnaCall_1thread"),
            "a volatile read plus one JNA call")
        row("Java", "authorized GET, keep-alive (mock)", jmh.get("get_mock_tpauthInterceptor"), jmh.get("get_mock_staticHeader"),
            "OkHttp with a static header")
        row("Java", "OkHttp interceptor's own cost per request (no I/O)", jmh.get("get_noIo_tpauthInterceptor"),
            jmh.get("get_noIo_staticHeader"), "OkHttp with a static header (the whole call, no I/O)")

    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip() or "tpauth"
    head = (f"{version} · {machine()} · load {load_start:.1f} at the start of this table's runs, "
            f"{os.getloadavg()[0]:.1f} at its end · {when} (`bench/run.sh --all`, one run)")
    md = ["<!-- every surface (bench/all.py) -->", f"**Every surface next to its peer** · {head}", "",
          "| surface | measurement | tpauth | peer | peer ÷ tpauth | peer |", "|---|---|---:|---:|---:|---|"]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    md += ["", "Peer ÷ tpauth above 1 means tpauth is faster. Details of each row: docs/benchmarks.md.",
           "<!-- /every surface -->", ""]
    latest = RESULTS / "latest.md"
    rest = latest.read_text() if latest.exists() else ""
    if "<!-- /every surface -->" in rest:  # this script ran before on the same proof.py table
        rest = rest.split("<!-- /every surface -->", 1)[1].lstrip("\n")
    latest.write_text("\n".join(md) + "\n" + rest)
    (RESULTS / "all.json").write_text(json.dumps({"meta": {"when": when, "machine": machine(), "load_start": load_start,
                                                           "load_end": os.getloadavg()[0]},
                                                  "rows": rows, "c": c, "cpp": cpp, "php": php, "dotnet": dotnet},
                                                 indent=1) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
