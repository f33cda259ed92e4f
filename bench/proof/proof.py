"""tpauth next to its peers, in one run: the official Python client `trustpilot` 10.0.1,
`requests-oauthlib` and `curl`, against the tpauth mock and against a minimal fixed-response token
server (bench/proof/fixed_server.c, so that the server is not what is measured).

  1. one grant over keep-alive: median, p99, requests/s (sequential, one client);
  2. cold start to the first token: process start -> token printed;
  3. a stampede: 64 threads, then 16 processes, all needing a token at once: token requests the
     server saw, and the wall time until all had one (on the mock: one API call each, then again
     after every token was expired);
  4. the cost per call of a cached token, from C and from Python.

Prints a table of figures and ratios, writes bench/results/latest.json, latest.md and latest.png.
Figures, not a test: run on a quiet machine and compare within one run. Run through bench/run.sh,
which builds what this needs and passes: --bin DIR (the compiled C programs), --quick (fewer
iterations, for a smoke run)."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import clients  # noqa: E402
from clients import KEY, PASSWORD, SECRET, TOKEN_PATH, USER  # noqa: E402

PY = sys.executable
RESULTS: dict[str, Any] = {}


# ---- servers -----------------------------------------------------------------------------------


class Server:
    def __init__(self, name: str, argv: list[str]) -> None:
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"
        self.is_mock = name == "mock"

    def _call(self, path: str, body: bytes | None = None) -> Any:
        req = urllib.request.Request(self.url + path, data=body, method="GET" if body is None else "POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return json.loads(raw) if raw.strip() else {}

    def reset(self) -> None:
        self._call("/_mock/reset" if self.is_mock else "/_reset", b"{}")

    def token_requests(self) -> int:
        return int(self._call("/_mock/stats" if self.is_mock else "/_count")["token_requests"])

    def expire(self) -> None:
        self._call("/_mock/expire", b"{}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


# ---- helpers -----------------------------------------------------------------------------------


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * q))]


def timed_loop(fn: Callable[[], Any], n: int) -> dict[str, float]:
    fn()  # connect, warm up
    lat = []
    t0 = time.perf_counter()
    for _ in range(n):
        s = time.perf_counter()
        fn()
        lat.append(time.perf_counter() - s)
    wall = time.perf_counter() - t0
    return {"median_us": statistics.median(lat) * 1e6, "p99_us": pct(lat, 0.99) * 1e6, "rps": n / wall, "n": n}


def curl_grants(base: str, n: int) -> dict[str, float]:
    """curl: one process, n URLs (so it reuses its connection), each with the same headers and body."""
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
        for i in range(n + 1):
            if i:
                f.write("next\n")
            f.write(f'url = "{base}{TOKEN_PATH}"\nuser = "{KEY}:{SECRET}"\nheader = "Expect:"\n'
                    'data = "grant_type=password&username=user%40example.com&password=mock-password"\n'
                    'output = "/dev/null"\nwrite-out = "%{http_code} %{time_total}\\n"\n')
    try:
        t0 = time.perf_counter()
        out = subprocess.run(["curl", "-s", "-K", f.name], check=True, capture_output=True, text=True).stdout
        wall = time.perf_counter() - t0
    finally:
        os.unlink(f.name)
    rows = [line.split() for line in out.splitlines()]
    bad = [r for r in rows if r[0] != "200"]
    if bad:
        raise RuntimeError(f"curl got {len(bad)} non-200 answers")
    lat = [float(r[1]) for r in rows[1:]]  # the first one connects
    return {"median_us": statistics.median(lat) * 1e6, "p99_us": pct(lat, 0.99) * 1e6, "rps": (n + 1) / wall, "n": n}


def c_grants(binary: Path, base: str, n: int) -> dict[str, float]:
    out = subprocess.run([str(binary), base, str(n)], check=True, capture_output=True, text=True).stdout.split()
    return {"median_us": float(out[0]), "p99_us": float(out[1]), "rps": float(out[2]), "n": n}


# ---- 1. one grant over keep-alive ----------------------------------------------------------------


def bench_grants(srv: Server, bindir: Path, quick: bool) -> dict[str, Any]:
    k = 10 if quick else 1
    res: dict[str, Any] = {}
    res["tpauth (C)"] = c_grants(bindir / "tp_grants", srv.url, 2000 // k)
    res["tpauth (Python)"] = timed_loop(clients.Tpauth(srv.url).grant, 1000 // k)
    res["requests-oauthlib"] = timed_loop(clients.OAuthlib(srv.url).grant, 500 // k)
    res["trustpilot 10.0.1 (official)"] = timed_loop(clients.Official(srv.url).grant, 300 // k)
    res["curl"] = curl_grants(srv.url, 1000 // k)
    return res


# ---- 2. cold start -----------------------------------------------------------------------------


def bench_cold(srv: Server, bindir: Path, quick: bool) -> dict[str, Any]:
    code = {
        "tpauth (Python)": "import tpauth; print(tpauth.Auth({k!r}, {s!r}, api_base_url={u!r}, username={n!r}, password={p!r},"
                           " allow_insecure_http=True).get_token().access_token)",
        "trustpilot 10.0.1 (official)": "from trustpilot.client import TrustpilotSession as S;"
                                        " s = S(api_host={u!r}, api_key={k!r}, api_secret={s!r}, username={n!r}, password={p!r});"
                                        " s.get_request_auth_headers(); print(s.access_token)",
        "requests-oauthlib": "import os; os.environ['OAUTHLIB_INSECURE_TRANSPORT'] = '1'; os.environ['OAUTHLIB_RELAX_TOKEN_SCOPE'] = '1';"
                             " from oauthlib.oauth2 import LegacyApplicationClient as L; from requests_oauthlib import OAuth2Session as O;"
                             " print(O(client=L(client_id={k!r})).fetch_token({u!r} + {t!r}, username={n!r}, password={p!r},"
                             " auth=({k!r}, {s!r}), include_client_id=False)['access_token'])",
    }
    fmt = {"k": KEY, "s": SECRET, "u": srv.url, "n": USER, "p": PASSWORD, "t": TOKEN_PATH}
    cmds: dict[str, list[str]] = {"tpauth (C)": [str(bindir / "cold"), srv.url]}
    for name, c in code.items():
        cmds[name] = [PY, "-c", c.format(**fmt)]
    cmds["curl"] = ["curl", "-s", "-u", f"{KEY}:{SECRET}", "-d", "grant_type=password&username=user%40example.com&password=mock-password",
                    srv.url + TOKEN_PATH]
    runs = 3 if quick else 15
    res: dict[str, Any] = {}
    for name, argv in cmds.items():
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
            times.append(time.perf_counter() - t0)
            if "fixedAccessToken" not in out and len(out.strip()) < 8:
                raise RuntimeError(f"{name}: no token printed: {out!r}")
        res[name] = {"median_ms": statistics.median(times) * 1e3, "min_ms": min(times) * 1e3, "runs": runs}
    return res


# ---- 3. stampede -------------------------------------------------------------------------------


def thread_stampede(srv: Server, make: Callable[[], Any], threads: int, mode: str) -> dict[str, Any]:
    """`threads` threads share one client and start at once; returns token requests and wall ms."""
    client = make()
    errors: list[BaseException] = []

    def one_round() -> tuple[int, float]:
        barrier = threading.Barrier(threads + 1)
        before = srv.token_requests()

        def run() -> None:
            barrier.wait()
            try:
                if mode == "api":
                    status = client.api_call()
                    if status != 200:
                        raise RuntimeError(f"status {status}")
                else:
                    assert client.need_token()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        ts = [threading.Thread(target=run) for _ in range(threads)]
        for t in ts:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in ts:
            t.join()
        return srv.token_requests() - before, (time.perf_counter() - t0) * 1e3

    srv.reset()
    cold, wall = one_round()
    out: dict[str, Any] = {"token_requests": cold, "wall_ms": wall}
    if srv.is_mock:
        srv.expire()
        out["token_requests_after_expiry"], out["wall_ms_after_expiry"] = one_round()
    out["errors"] = len(errors)
    if errors:
        out["first_error"] = repr(errors[0])[:200]
    return out


def curl_stampede(srv: Server, n: int) -> dict[str, Any]:
    """curl has no token to share: each of n parallel transfers asks for its own."""
    srv.reset()
    args = ["curl", "-s", "--no-progress-meter", "--parallel", "--parallel-immediate", "--parallel-max", str(n)]
    for _ in range(n):
        args += ["-u", f"{KEY}:{SECRET}", "-d", "grant_type=password&username=user%40example.com&password=mock-password",
                 "-o", "/dev/null", srv.url + TOKEN_PATH]
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"token_requests": srv.token_requests(), "wall_ms": (time.perf_counter() - t0) * 1e3, "errors": 0}


def process_stampede(srv: Server, client: str, procs: int, mode: str) -> dict[str, Any]:
    """`procs` processes start at once (a shared start time), one need each; tpauth's share a
    token cache file, as its docs say to."""
    with tempfile.TemporaryDirectory() as d:
        cache = os.path.join(d, "token.json")

        def one_round() -> tuple[int, float, int]:
            before = srv.token_requests()
            start_at = time.time() + 3.0
            argv = [PY, str(HERE / "clients.py"), client, srv.url, f"{start_at:.6f}", mode]
            if client == "tpauth":
                argv.append(cache)
            ps = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(procs)]
            ends, failed = [], 0
            for p in ps:
                out, _ = p.communicate()
                if p.returncode == 0:
                    ends.append(float(out.strip()))
                else:
                    failed += 1
            wall = (max(ends) - start_at) * 1e3 if ends else float("nan")
            return srv.token_requests() - before, wall, failed

        srv.reset()
        n, wall, failed = one_round()
        out: dict[str, Any] = {"token_requests": n, "wall_ms": wall, "errors": failed}
        if srv.is_mock:
            srv.expire()
            n2, wall2, failed2 = one_round()
            out.update(token_requests_after_expiry=n2, wall_ms_after_expiry=wall2)
            out["errors"] += failed2
    return out


def curl_process_stampede(srv: Server, procs: int) -> dict[str, Any]:
    srv.reset()
    argv = ["curl", "-s", "-o", "/dev/null", "-u", f"{KEY}:{SECRET}", "-d",
            "grant_type=password&username=user%40example.com&password=mock-password", srv.url + TOKEN_PATH]
    t0 = time.perf_counter()
    ps = [subprocess.Popen(argv) for _ in range(procs)]
    for p in ps:
        p.wait()
    return {"token_requests": srv.token_requests(), "wall_ms": (time.perf_counter() - t0) * 1e3, "errors": 0}


def bench_stampede(srv: Server, quick: bool) -> dict[str, Any]:
    mode = "api" if srv.is_mock else "token"
    res: dict[str, Any] = {"threads_64": {}, "processes_16": {}}
    for key, cls in (("tpauth", clients.Tpauth), ("official", clients.Official), ("oauthlib", clients.OAuthlib)):
        res["threads_64"][cls.name] = thread_stampede(srv, lambda cls=cls: cls(srv.url), 64, mode)
        res["processes_16"][cls.name] = process_stampede(srv, key, 4 if quick else 16, mode)
    res["threads_64"]["curl"] = curl_stampede(srv, 64)
    res["processes_16"]["curl"] = curl_process_stampede(srv, 4 if quick else 16)
    return res


# ---- 4. cached token ---------------------------------------------------------------------------


def per_call(fn: Callable[[], Any], n: int, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def bench_cached(mock: Server, bindir: Path, quick: bool) -> dict[str, Any]:
    k = 20 if quick else 1
    res: dict[str, Any] = {}
    env = dict(os.environ, TPAUTH_MOCK_PORT=mock.url.rsplit(":", 1)[1])
    out = subprocess.run([str(bindir / "cached_token"), "--json"], env=env, check=True, capture_output=True, text=True).stdout
    threads = json.loads(out.strip().splitlines()[-1])
    res["tpauth (C) tp_get_token + tp_token_free"] = {"ns": threads["threads_1"]}
    tp = clients.Tpauth(mock.url)
    tp.cached()
    res["tpauth (Python) auth.get_token()"] = {"ns": per_call(tp.cached, 200_000 // k) * 1e9}
    hdr = lambda: {"Authorization": "Bearer " + tp.auth.get_token().access_token, "apikey": KEY}  # noqa: E731
    res["tpauth (Python) headers dict"] = {"ns": per_call(hdr, 200_000 // k) * 1e9}
    oa = clients.OAuthlib(mock.url)
    oa.grant()
    res["requests-oauthlib add_token()"] = {"ns": per_call(oa.cached, 50_000 // k) * 1e9}
    off = clients.Official(mock.url)
    mock.reset()
    res["trustpilot 10.0.1 get_request_auth_headers()"] = {"ns": per_call(off.cached, max(10, 300 // k), rounds=3) * 1e9,
                                                           "note": "no cache: a token request per call"}
    return res


# ---- report ------------------------------------------------------------------------------------


def fmt_ns(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def table(r: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    add(f"tpauth {r['meta']['tpauth']} · {r['meta']['machine']} · {r['meta']['date']}")
    add("")
    for srv in ("mock", "fixed"):
        g = r["grant"][srv]
        base = g["tpauth (C)"]["median_us"]
        add(f"**One password grant, sequential, one client ({srv} server)**")
        add("")
        add("| client | median | p99 | requests/s | median vs tpauth (C) |")
        add("|---|---:|---:|---:|---:|")
        for name, v in g.items():
            add(f"| {name} | {fmt_ns(v['median_us'] * 1e3)} | {fmt_ns(v['p99_us'] * 1e3)} | {v['rps']:,.0f} | {v['median_us'] / base:.2f}× |")
        add("")
    c = r["cold"]
    base = c["tpauth (C)"]["median_ms"]
    add("**Cold start to the first token (process start → token printed; mock)**")
    add("")
    add("| program | median | fastest | vs tpauth (C) |")
    add("|---|---:|---:|---:|")
    for name, v in c.items():
        add(f"| {name} | {v['median_ms']:.1f} ms | {v['min_ms']:.1f} ms | {v['median_ms'] / base:.1f}× |")
    add("")
    for srv, what in (("mock", "one API call each (then again after every token was expired)"), ("fixed", "one token each")):
        s = r["stampede"][srv]
        add(f"**Stampede, {what} ({srv} server): token requests · wall time**")
        add("")
        add("| client | 64 threads | 16 processes |")
        add("|---|---:|---:|")
        for name in s["threads_64"]:
            cells = []
            for kind in ("threads_64", "processes_16"):
                v = s[kind][name]
                cell = f"{v['token_requests']} · {v['wall_ms']:.0f} ms"
                if "token_requests_after_expiry" in v:
                    cell += f" (expiry: {v['token_requests_after_expiry']} · {v['wall_ms_after_expiry']:.0f} ms)"
                if v.get("errors"):
                    cell += f" [{v['errors']} failed]"
                cells.append(cell)
            add(f"| {name} | {cells[0]} | {cells[1]} |")
        add("")
    k = r["cached"]
    base = k["tpauth (Python) auth.get_token()"]["ns"]
    add("**A cached token, per call**")
    add("")
    add("| call | per call | vs tpauth (Python) |")
    add("|---|---:|---:|")
    for name, v in k.items():
        add(f"| {name} | {fmt_ns(v['ns'])} | {v['ns'] / base:,.2f}× |")
    return "\n".join(lines)


def chart(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    colors = {"mock": "#4c72b0", "fixed": "#dd8452"}
    ax = axes[0][0]
    names = list(r["grant"]["mock"])
    for i, srv in enumerate(("mock", "fixed")):
        vals = [r["grant"][srv][n]["median_us"] for n in names]
        bars = ax.barh([y + i * 0.4 for y in range(len(names))], vals, height=0.4, label=f"{srv} server", color=colors[srv])
        ax.bar_label(bars, fmt="%.0f", fontsize=8, padding=2)
    ax.set_yticks([y + 0.2 for y in range(len(names))], names)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("µs per grant (median, log scale; lower is better)")
    ax.set_title("One password grant over keep-alive")
    ax.legend()
    ax.invert_yaxis()

    ax = axes[0][1]
    names = list(r["cold"])
    bars = ax.barh(names, [r["cold"][n]["median_ms"] for n in names], color="#55a868")
    ax.bar_label(bars, fmt="%.1f", fontsize=8, padding=2)
    ax.set_xlabel("ms (median; lower is better)")
    ax.set_title("Cold start: process start → token printed")
    ax.invert_yaxis()

    ax = axes[1][0]
    s = r["stampede"]["mock"]
    names = list(s["threads_64"])
    for i, (kind, label) in enumerate((("threads_64", "64 threads"), ("processes_16", "16 processes"))):
        vals = [s[kind][n]["token_requests"] for n in names]
        bars = ax.barh([y + i * 0.4 for y in range(len(names))], vals, height=0.4, label=label)
        ax.bar_label(bars, fontsize=8, padding=2)
    ax.set_yticks([y + 0.2 for y in range(len(names))], names)
    ax.set_xlabel("token requests the server saw (cold start; lower is better)")
    ax.set_title("Stampede: all callers need a token at once (mock)")
    ax.legend()
    ax.invert_yaxis()

    ax = axes[1][1]
    names = list(r["cached"])
    bars = ax.barh(names, [r["cached"][n]["ns"] for n in names], color="#c44e52")
    ax.bar_label(bars, labels=[fmt_ns(r["cached"][n]["ns"]) for n in names], fontsize=8, padding=2)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("ns per call (log scale; lower is better)")
    ax.set_title("A cached token, per call")
    ax.invert_yaxis()

    fig.suptitle(f"tpauth {r['meta']['tpauth']} vs trustpilot 10.0.1, requests-oauthlib and curl · {r['meta']['date']}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=REPO / "target" / "bench", type=Path, help="folder of the compiled C programs")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    ap.add_argument("--redraw", action="store_true", help="only redo the table and chart from latest.json")
    a = ap.parse_args()
    if a.redraw:
        r0 = json.loads((a.out / "latest.json").read_text())
        (a.out / "latest.md").write_text(table(r0) + "\n")
        chart(r0, a.out / "latest.png")
        return
    import tpauth
    import trustpilot

    tp_bin = os.environ.get("TPAUTH_BIN", str(REPO / "target" / "release" / "tpauth"))
    mock = Server("mock", [tp_bin, "mock", "--port", "0", "--exit-on-stdin-eof"])
    fixed = Server("fixed", [str(a.bin / "fixed_server")])
    curl_version = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()[1]
    import requests_oauthlib

    r: dict[str, Any] = {"meta": {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "tpauth": tpauth.__version__, "trustpilot": trustpilot.VERSION, "requests-oauthlib": requests_oauthlib.__version__,
        "curl": curl_version, "python": platform.python_version(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, load {os.getloadavg()[0]:.1f}", "quick": a.quick}}
    try:
        for name, fn in (("grant", lambda: {s.name: bench_grants(s, a.bin, a.quick) for s in (mock, fixed)}),
                         ("cold", lambda: bench_cold(mock, a.bin, a.quick)),
                         ("stampede", lambda: {s.name: bench_stampede(s, a.quick) for s in (mock, fixed)}),
                         ("cached", lambda: bench_cached(mock, a.bin, a.quick))):
            t0 = time.perf_counter()
            print(f"[{name}] ...", file=sys.stderr, flush=True)
            r[name] = fn()
            print(f"[{name}] {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    finally:
        mock.stop()
        fixed.stop()
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "latest.json").write_text(json.dumps(r, indent=1) + "\n")
    md = table(r)
    (a.out / "latest.md").write_text(md + "\n")
    chart(r, a.out / "latest.png")
    print(md)
    print(f"\nwritten: {a.out / 'latest.json'}, latest.md, latest.png")


if __name__ == "__main__":
    main()
