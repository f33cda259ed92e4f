"""Single flight under contention: 32 busy threads (no sleeps, no token cache; the GIL
is released in every call) make exactly one token request per lifetime. The lifetimes come from
the mock (expires_in_schedule: six tokens of 1 s, then one of an hour), so the exact count is
known in advance whatever the scheduler does: a loaded machine only makes the run longer."""

from __future__ import annotations

import threading
import time
from typing import List

from conftest import Mock, make_auth

THREADS = 32
SCHEDULE = [1, 1, 1, 1, 1, 1, 3600]
CALLS_AFTER = 200  # calls each thread still makes after it saw the hour-long token


def test_busy_threads_make_one_token_request_per_lifetime(mock: Mock) -> None:
    mock.config(expires_in_schedule=SCHEDULE)
    auth = make_auth(mock, refresh_leeway_s=1)
    start = threading.Barrier(THREADS)
    errors: List[str] = []
    calls = [0] * THREADS

    def busy(n: int) -> None:
        start.wait()
        after = i = 0
        while after < CALLS_AFTER:
            i += 1
            try:
                if (i + n) % 16 == 0:
                    status = auth.request("GET", "/v1/private/contention").status
                    if status != 200:
                        errors.append(f"thread {n}: API status {status}")
                        return
                    continue
                asked = int(time.time())
                tok = auth.get_token()
                if tok.expires_at is not None and tok.expires_at < asked:  # seconds resolution
                    errors.append(f"thread {n}: a token that had expired before it asked")
                    return
                if (tok.expires_in or 0) >= 3600:
                    after += 1
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(f"thread {n}: {e!r}")
                return
            finally:
                calls[n] += 1

    threads = [threading.Thread(target=busy, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = mock.stats()
    print(f"{THREADS} threads, {sum(calls)} calls, {s['token_requests']} token requests ({len(SCHEDULE)} due)")
    assert errors == []
    assert s["token_requests"] == len(SCHEDULE), s
    assert s["grants"]["password"] == 1 and s["grants"]["refresh_token"] == len(SCHEDULE) - 1, s


def test_threads_getting_401_for_one_token_cause_one_renewal(mock: Mock) -> None:
    n, rounds = 32, 3
    auth = make_auth(mock)
    auth.get_token()
    sync = threading.Barrier(n + 1)
    statuses: List[int] = []

    def caller() -> None:
        for _ in range(rounds):
            auth.get_token()
            sync.wait()  # everyone holds the token
            sync.wait()  # the mock expired it
            statuses.append(auth.request("GET", "/v1/private/refused").status)
            sync.wait()  # round over

    threads = [threading.Thread(target=caller) for _ in range(n)]
    for t in threads:
        t.start()
    for r in range(1, rounds + 1):
        sync.wait()
        mock.expire()
        sync.wait()
        sync.wait()
        s = mock.stats()
        assert s["token_requests"] == 1 + r, (r, s)
        assert s["api_401"] >= r, (r, s)
    for t in threads:
        t.join()
    assert statuses == [200] * (n * rounds)
