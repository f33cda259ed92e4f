"""Token requests under a stampede: N threads start at once (and again after the token expires),
each making one API call, with tpauth and with Trustpilot's official Python client
(`trustpilot` 10.0.1, its TrustpilotSession pointed at the mock). Prints the token requests the
mock saw for each. Figures, not a test. Usage: python stampede.py MOCK_URL"""

import json
import sys
import threading
import urllib.request

import tpauth
from trustpilot import client as official

KEY, SECRET, USER, PASSWORD = "mock-api-key", "mock-api-secret", "user@example.com", "mock-password"


def control(url: str, path: str, body: object = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method="GET" if data is None else "POST")
    with urllib.request.urlopen(req) as r:
        raw = r.read()
        return json.loads(raw) if raw else {}


def stampede(threads: int, call) -> None:
    barrier = threading.Barrier(threads)
    errors = []

    def run() -> None:
        barrier.wait()
        try:
            call()
        except Exception as e:  # noqa: BLE001 - counted, then reported
            errors.append(e)

    ts = [threading.Thread(target=run) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        print(f"  ({len(errors)} calls failed: {errors[0]!r})")


def measure(url: str, threads: int, make_call) -> tuple[int, int]:
    """Token requests at a cold start, then after every token was expired."""
    control(url, "/_mock/reset", {})
    call = make_call()
    stampede(threads, call)
    cold = control(url, "/_mock/stats")["token_requests"]
    control(url, "/_mock/expire", {})
    stampede(threads, call)
    return cold, control(url, "/_mock/stats")["token_requests"] - cold


def tpauth_call(url: str):
    def make():
        auth = tpauth.Auth(KEY, SECRET, api_base_url=url, username=USER, password=PASSWORD, allow_insecure_http=True)
        return lambda: auth.request("GET", "/v1/private/business-units/x/reviews")

    return make


def official_call(url: str):
    def make():
        session = official.TrustpilotSession(api_host=url, api_key=KEY, api_secret=SECRET, username=USER, password=PASSWORD)
        return lambda: session.get("/v1/private/business-units/x/reviews")

    return make


def main() -> None:
    url = sys.argv[1]
    print(f"{'threads':>8} {'client':<28} {'token requests: cold start':>27} {'after expiry':>13}")
    for threads in (8, 64):
        for name, make in (("tpauth", tpauth_call(url)), ("trustpilot 10.0.1 (official)", official_call(url))):
            cold, expiry = measure(url, threads, make)
            print(f"{threads:>8} {name:<28} {cold:>27} {expiry:>13}")


if __name__ == "__main__":
    main()
