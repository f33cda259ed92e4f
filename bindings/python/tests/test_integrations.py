"""`tpauth.aio` after a plain import, httpx's async adapter off the event loop (a slow
renewal, a ticking coroutine), cancellation, the host rule in both adapters, PKCE and scope."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import requests

import tpauth
from conftest import Mock, header, make_auth


def test_plain_import_reaches_aio(tmp_path: Path) -> None:
    # A fresh interpreter (outside bindings/python, whose tpauth/ folder would shadow the installed
    # package): nothing imported tpauth.aio before.
    code = "import sys, tpauth; assert 'tpauth.aio' not in sys.modules; print(tpauth.aio.Auth.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert out.strip() == "Auth"
    assert tpauth.aio is sys.modules["tpauth.aio"]


def test_httpx_async_renewal_does_not_block_the_loop(mock: Mock) -> None:
    auth = make_auth(mock)  # no token yet: the first request renews
    mock.fault("slow", delay_ms=1500, count=1)

    async def main() -> tuple[int, int]:
        ticks = 0
        done = False

        async def ticker() -> None:
            nonlocal ticks
            while not done:
                await asyncio.sleep(0.01)
                ticks += 1

        t = asyncio.create_task(ticker())
        async with httpx.AsyncClient(auth=tpauth.HttpxAuth(auth), base_url=mock.base) as client:
            r = await client.get("/v1/private/x")
        during = ticks
        done = True
        await t
        return r.status_code, during

    start = time.monotonic()
    status, ticks = asyncio.run(main())
    assert status == 200
    assert time.monotonic() - start >= 1.4  # the renewal really was slow
    # A blocked loop would tick once at most; 1.5 s of 10 ms sleeps is 150 ticks unloaded.
    assert ticks >= 20, f"the event loop ticked only {ticks} times during a 1.5 s renewal"
    assert mock.stats()["token_requests"] == 1


def test_httpx_async_cancelled_while_renewing(mock: Mock) -> None:
    auth = make_auth(mock)
    mock.fault("slow", delay_ms=3000, count=1)

    async def main() -> None:
        async with httpx.AsyncClient(auth=tpauth.HttpxAuth(auth), base_url=mock.base) as client:
            task = asyncio.create_task(client.get("/v1/private/x"))
            while (await asyncio.to_thread(mock.stats))["token_requests"] == 0:
                await asyncio.sleep(0.01)
            task.cancel()
            t0 = time.monotonic()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert time.monotonic() - t0 < 1.0, "the cancelled request waited for the renewal"

    asyncio.run(main())
    # The renewal went on: the next caller gets its token without a second request.
    assert auth.get_token().access_token
    s = mock.stats()
    assert (s["token_requests"], s["api_requests"]) == (1, 0)


def test_httpx_async_headers_and_one_resend(mock: Mock, auth: tpauth.Auth) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(auth=tpauth.HttpxAuth(auth), base_url=mock.base) as client:
            mock.expire()
            r = await client.post("/v1/private/x", content=b"hi")
            assert r.status_code == 200 and r.json()["body"] == "hi"
            assert [h.status_code for h in r.history] == [401]

    auth.get_token()
    asyncio.run(main())
    req = mock.last_api_request()
    assert header(req, "authorization") == f"Bearer {auth.get_token().access_token}"
    assert header(req, "apikey") == auth.api_key
    s = mock.stats()
    assert (s["token_requests"], s["api_requests"], s["api_401"]) == (2, 2, 1)


def test_foreign_host_is_refused_by_every_adapter(mock: Mock, auth: tpauth.Auth) -> None:
    # `localhost` reaches the mock too, but is not the configured API host: nothing may leave.
    foreign = f"http://localhost:{mock.port}/v1/private/x"
    before = mock.stats()["requests"]
    with pytest.raises(tpauth.InvalidArgument, match="token_hosts"):
        requests.get(foreign, auth=tpauth.RequestsAuth(auth), timeout=10)
    with pytest.raises(tpauth.InvalidArgument, match="token_hosts"):
        httpx.get(foreign, auth=tpauth.HttpxAuth(auth))

    async def main() -> None:
        async with httpx.AsyncClient(auth=tpauth.HttpxAuth(auth)) as client:
            with pytest.raises(tpauth.InvalidArgument, match="token_hosts"):
                await client.get(foreign)

    asyncio.run(main())
    assert mock.stats()["requests"] == before
    auth.check_token_url("/v1/private/x")
    auth.check_token_url(mock.base + "/v1/private/x")


def test_pkce_and_scope(mock: Mock) -> None:
    auth = make_auth(mock, scope="read")
    verifier, challenge = tpauth.new_pkce()
    assert len(verifier) == 43 and len(challenge) == 43 and tpauth.new_pkce()[0] != verifier
    redirect = "https://app.example.com/cb"
    url = auth.authorize_url(redirect, state="st", code_challenge=challenge)
    assert url.endswith(f"&state=st&scope=read&code_challenge={challenge}&code_challenge_method=S256")
    code = tpauth.parse_code_redirect(mock.browse(url), "st")
    with pytest.raises(tpauth.InvalidGrant):
        auth.authorization_code_grant(code, redirect, code_verifier=tpauth.new_pkce()[0])
    code = tpauth.parse_code_redirect(mock.browse(url), "st")
    tok = asyncio.run(tpauth.aio.Auth.wrap(auth).authorization_code_grant(code, redirect, code_verifier=verifier))
    assert tok.access_token
    assert mock.last_token_request()["body"].endswith(f"&code_verifier={verifier}")
    with pytest.raises(tpauth.InvalidArgument, match="code_verifier"):
        auth.authorization_code_grant("c", redirect, code_verifier="short")
    auth.password_grant("user@example.com", "mock-password")
    assert "&scope=read" in mock.last_token_request()["body"]
