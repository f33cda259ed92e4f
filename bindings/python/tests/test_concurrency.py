"""The GIL is released during I/O; one Auth serves many threads; tpauth.aio never blocks the loop."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Tuple

import pytest

import tpauth
import tpauth.aio
from conftest import KEY, SECRET, USER, PASSWORD, Mock, make_auth


def ticks_during(call: Callable[[], object]) -> Tuple[int, float]:
    """Run `call` while another thread records a timestamp every 5 ms; return how many it recorded
    in the middle of the call (0.1 s in from either end) and how long the call took. A call that
    held the GIL throughout would leave the middle empty."""
    ticks: List[float] = []
    stop = threading.Event()

    def tick() -> None:
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    t = threading.Thread(target=tick)
    t.start()
    try:
        time.sleep(0.05)
        started = time.monotonic()
        call()
        ended = time.monotonic()
    finally:
        stop.set()
        t.join()
    return len([x for x in ticks if started + 0.1 < x < ended - 0.1]), ended - started


def test_gil_is_released_while_a_call_waits(mock: Mock, auth: tpauth.Auth) -> None:
    auth.get_token()
    mock.fault("slow", target="api", delay_ms=800)
    middle, elapsed = ticks_during(lambda: auth.request("GET", "/v1/slow"))
    assert elapsed >= 0.7
    assert middle >= 20, middle  # ~120 expected; 0 if the GIL were held


def test_gil_is_released_during_a_token_request(mock: Mock, auth: tpauth.Auth) -> None:
    mock.fault("slow", delay_ms=800)
    middle, elapsed = ticks_during(auth.get_token)
    assert elapsed >= 0.7 and middle >= 20, (middle, elapsed)


def test_many_threads_one_token_request(mock: Mock, auth: tpauth.Auth) -> None:
    mock.fault("slow", delay_ms=300)
    with ThreadPoolExecutor(16) as pool:
        tokens = list(pool.map(lambda _: auth.get_token().access_token, range(32)))
    assert len(set(tokens)) == 1
    assert mock.stats()["token_requests"] == 1
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: auth.request("GET", f"/v1/x/{i}").status, range(40)))
    assert statuses == [200] * 40
    assert mock.stats()["token_requests"] == 1


def test_concurrent_401s_renew_once(mock: Mock, auth: tpauth.Auth) -> None:
    auth.get_token()
    mock.expire()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: auth.request("GET", f"/v1/x/{i}").status, range(8)))
    assert statuses == [200] * 8
    assert mock.stats()["token_requests"] == 2


def test_aio_same_methods_as_coroutines(mock: Mock) -> None:
    async def main() -> None:
        a = tpauth.aio.Auth(KEY, SECRET, api_base_url=mock.base, authorize_url=mock.base + "/authenticate",
                            allow_insecure_http=True, username=USER, password=PASSWORD)
        assert "mock-api-key" in repr(a) and a.api_key == KEY
        tok = await a.password_grant(USER, PASSWORD)
        assert (await a.get_token()).access_token == tok.access_token
        resp = await a.request("POST", "/v1/x", body=b"hi", content_type="text/plain")
        assert resp.status == 200 and resp.json()["body"] == "hi"
        t2 = await a.refresh()
        await a.invalidate_token(t2.access_token)
        t3 = await a.get_token()
        assert t3.access_token != t2.access_token
        await a.set_token(t3)
        await a.revoke()
        url = a.authorize_url("https://app.example.com/cb", "code", "st")
        code = tpauth.aio.parse_code_redirect(mock.browse(url), "st")
        await a.authorization_code_grant(code, "https://app.example.com/cb")
        cc = tpauth.aio.Auth.wrap(make_auth(mock, username=None, password=None))
        assert (await cc.client_credentials_grant()).refresh_token is None
        with pytest.raises(tpauth.InvalidGrant):
            await a.password_grant(USER, "wrong")

    asyncio.run(main())


def test_aio_does_not_block_the_event_loop(mock: Mock) -> None:
    async def main() -> None:
        a = tpauth.aio.Auth.wrap(make_auth(mock))
        mock.fault("slow", delay_ms=600)
        ticks = 0
        done = False

        async def ticker() -> None:
            nonlocal ticks
            while not done:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        tokens = await asyncio.gather(*(a.get_token() for _ in range(10)))
        done = True
        await task
        assert len({t.access_token for t in tokens}) == 1
        assert ticks >= 20, ticks
        assert mock.stats()["token_requests"] == 1

    asyncio.run(main())


def test_aio_from_env(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPILOT_API_KEY", KEY)
    monkeypatch.setenv("TRUSTPILOT_API_SECRET", SECRET)
    monkeypatch.setenv("TRUSTPILOT_API_HOST", mock.base)
    a = tpauth.aio.Auth.from_env(allow_insecure_http=True, business_user_id="mock-business-user-id")
    assert a.business_user_id == "mock-business-user-id"
    resp = asyncio.run(a.request("GET", "/v1/x"))
    assert resp.status == 200 and mock.stats()["grants"]["client_credentials"] == 1
