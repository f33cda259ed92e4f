"""tpauth vs the official client (PyPI `trustpilot` 10.0.1), in one run against the local mock.

Prints, side by side: the per-call time of a cached `auth.get_token()` (a token already held) and of
the official `TrustpilotSession.get_request_auth_headers()` with a token already held, plus the token
requests each made (the mock's /_mock/stats), `import tpauth` time and the wheel size. Writes
bench/results/python.json (bench/all.py reads it).

    target/venv/bin/python bench/python/bench_get_token.py   # after bindings/python/test.sh
Not a test: numbers only, no assertions on time.
"""

from __future__ import annotations

import glob
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, List

REPO = Path(__file__).resolve().parents[2]


def per_call(fn: Callable[[], Any], n: int, rounds: int = 5) -> float:
    """Best-of-rounds mean seconds per call."""
    best = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best.append((time.perf_counter() - t0) / n)
    return min(best)


def stats(base: str) -> Any:
    with urllib.request.urlopen(base + "/_mock/stats", timeout=10) as r:
        return json.loads(r.read())


def reset(base: str) -> None:
    urllib.request.urlopen(urllib.request.Request(base + "/_mock/reset", data=b"{}", method="POST"), timeout=10).read()


def import_time(module: str, runs: int = 7) -> float:
    """Median seconds of `import module` in a fresh interpreter, timed inside it: the interpreter's
    own start is not in the figure (subtracting two whole-process timings could go negative)."""
    stmt = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times: List[float] = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", stmt], check=True, capture_output=True, text=True).stdout
        times.append(float(out.split()[-1]))
    return statistics.median(times)


def fmt(s: float) -> str:
    return f"{s * 1e6:10.2f} µs" if s >= 1e-6 else f"{s * 1e9:10.1f} ns"


def main() -> None:
    binary = os.environ.get("TPAUTH_BIN", str(REPO / "target" / "release" / "tpauth"))
    mock = subprocess.Popen([binary, "mock", "--port", "0", "--exit-on-stdin-eof"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert mock.stdout is not None
        base = f"http://127.0.0.1:{int(mock.stdout.readline())}"
        os.environ.pop("TRUSTPILOT_API_KEY", None)

        import tpauth
        import trustpilot
        from trustpilot.client import TrustpilotSession

        reset(base)
        auth = tpauth.Auth("mock-api-key", "mock-api-secret", api_base_url=base, allow_insecure_http=True,
                           username="user@example.com", password="mock-password")
        auth.get_token()  # the token is now held
        n_tp = 200_000
        tp = per_call(auth.get_token, n_tp)
        tp_headers = per_call(lambda: {"Authorization": "Bearer " + auth.get_token().access_token,
                                       "apikey": auth.api_key}, n_tp)
        tp_requests = stats(base)["token_requests"]

        reset(base)
        session = TrustpilotSession(api_host=base, api_key="mock-api-key", api_secret="mock-api-secret",
                                    username="user@example.com", password="mock-password")
        session.get_request_auth_headers()  # the token is now held (session.access_token)
        assert session.access_token
        n_off = 300
        off = per_call(session.get_request_auth_headers, n_off, rounds=3)
        off_requests = stats(base)["token_requests"]

        print(f"python {sys.version.split()[0]}, tpauth {tpauth.__version__}, trustpilot {trustpilot.VERSION}")
        print(f"{'call (a token already held)':58} {'per call':>13}   token requests made")
        print(f"{'tpauth  auth.get_token()':58} {fmt(tp)}   {tp_requests - 1} in {5 * n_tp} calls")
        print(f"{'tpauth  headers dict from auth.get_token()':58} {fmt(tp_headers)}")
        print(f"{'trustpilot  TrustpilotSession.get_request_auth_headers()':58} {fmt(off)}   "
              f"{off_requests - 1} in {3 * n_off} calls (it always asks for a new token)")
        print(f"ratio: {off / tp:,.0f}x")

        imp_tp = import_time("tpauth")
        imp_off = import_time("trustpilot.client")
        print(f"import tpauth: {imp_tp * 1e3:.1f} ms  (import trustpilot.client: {imp_off * 1e3:.1f} ms; "
              "each timed inside a fresh interpreter)")
        results = REPO / "bench" / "results"
        results.mkdir(parents=True, exist_ok=True)
        (results / "python.json").write_text(json.dumps({
            "python": sys.version.split()[0], "tpauth_cached_ns": tp * 1e9, "headers_dict_ns": tp_headers * 1e9,
            "peer_cached_ns": off * 1e9, "import_tpauth_ms": imp_tp * 1e3, "import_peer_ms": imp_off * 1e3,
        }, indent=1) + "\n")
        wheels = glob.glob(str(REPO / "target" / "wheels" / "python" / "tpauth-*.whl"))
        for w in wheels:
            print(f"wheel: {Path(w).name}: {os.path.getsize(w) / 1024:.0f} KiB")
    finally:
        mock.terminate()
        mock.wait()


if __name__ == "__main__":
    main()
