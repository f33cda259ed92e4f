"""tpauth.RequestsAuth and tpauth.HttpxAuth with the real requests and httpx."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
from typing import Any, Callable, List

import httpx
import pytest
import requests

import tpauth
import tpauth.aio
from conftest import KEY, Mock, header, make_auth


def check_api_headers(mock: Mock, auth: tpauth.Auth) -> None:
    api = mock.last_api_request()
    assert header(api, "authorization") == f"Bearer {auth.get_token().access_token}"
    assert header(api, "apikey") == KEY


def test_requests_adds_the_token(mock: Mock, auth: tpauth.Auth) -> None:
    r = requests.get(mock.base + "/v1/private/reviews", params={"page": 2}, auth=tpauth.RequestsAuth(auth), timeout=10)
    assert r.status_code == 200 and r.json()["path"] == "/v1/private/reviews"
    check_api_headers(mock, auth)
    with requests.Session() as s:
        s.auth = tpauth.RequestsAuth(auth)
        for _ in range(3):
            assert s.post(mock.base + "/v1/x", json={"a": 1}, timeout=10).json()["body"] == '{"a": 1}'
    assert mock.stats()["token_requests"] == 1


def test_requests_renews_and_resends_once_on_401(mock: Mock, auth: tpauth.Auth) -> None:
    ra = tpauth.RequestsAuth(auth)
    old = auth.get_token()
    mock.expire()
    r = requests.post(mock.base + "/v1/x", data=b"payload", auth=ra, timeout=10)
    assert r.status_code == 200 and r.json()["body"] == "payload"
    assert [h.status_code for h in r.history] == [401]
    assert auth.get_token().access_token != old.access_token
    st = mock.stats()
    assert st["token_requests"] == 2 and st["api_401"] == 1
    # a streamed body is rewound for the resend
    mock.expire()
    r = requests.post(mock.base + "/v1/x", data=io.BytesIO(b"streamed"), auth=ra, timeout=10)
    assert r.status_code == 200 and r.json()["body"] == "streamed"
    # a second 401 goes to the caller: one resend only
    mock.fault("401", target="api", count=2)
    r = requests.get(mock.base + "/v1/x", auth=ra, timeout=10)
    assert r.status_code == 401
    assert mock.stats()["token_requests"] == 4


def test_requests_business_user_id(mock: Mock) -> None:
    auth = make_auth(mock, username=None, password=None, business_user_id="mock-business-user-id")
    r = requests.get(mock.base + "/v1/x", auth=tpauth.RequestsAuth(auth), timeout=10)
    assert r.status_code == 200 and r.json()["business_user_id"] == "mock-business-user-id"


def test_requests_auth_refuses_other_types() -> None:
    with pytest.raises(TypeError):
        tpauth.RequestsAuth("not an auth")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tpauth.HttpxAuth(None)  # type: ignore[arg-type]


def test_requests_token_errors_propagate(mock: Mock) -> None:
    auth = make_auth(mock, password="wrong")
    with pytest.raises(tpauth.InvalidGrant):
        requests.get(mock.base + "/v1/x", auth=tpauth.RequestsAuth(auth), timeout=10)


def test_httpx_sync(mock: Mock, auth: tpauth.Auth) -> None:
    with httpx.Client(auth=tpauth.HttpxAuth(auth), base_url=mock.base) as client:
        r = client.get("/v1/private/reviews")
        assert r.status_code == 200 and r.json()["path"] == "/v1/private/reviews"
        check_api_headers(mock, auth)
        mock.expire()
        r = client.put("/v1/x", content=b"again")
        assert r.status_code == 200 and r.json()["body"] == "again"
        assert [h.status_code for h in r.history] == [401]
        mock.fault("401", target="api", count=2)
        assert client.get("/v1/x").status_code == 401
    assert mock.stats()["token_requests"] == 3


def test_httpx_async(mock: Mock, auth: tpauth.Auth) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(auth=tpauth.HttpxAuth(tpauth.aio.Auth.wrap(auth)), base_url=mock.base) as client:
            rs = await asyncio.gather(*(client.get(f"/v1/x/{i}") for i in range(5)))
            assert [r.status_code for r in rs] == [200] * 5
            check_api_headers(mock, auth)
            mock.expire()
            r = await client.post("/v1/x", json={"k": "v"})
            assert r.status_code == 200 and r.json()["body"] == '{"k":"v"}'
        assert mock.stats()["token_requests"] == 2

    asyncio.run(main())


def test_adapters_send_no_token_to_a_foreign_host(mock: Mock, auth: tpauth.Auth) -> None:
    # The same mock under another host name: not the API's host, so the core refuses it before
    # any token request and the request is never sent (no token leaves the process).
    foreign = mock.base.replace("127.0.0.1", "localhost") + "/v1/steal"
    with pytest.raises(tpauth.InvalidArgument, match="localhost"):
        requests.get(foreign, auth=tpauth.RequestsAuth(auth), timeout=10)
    with pytest.raises(tpauth.InvalidArgument, match="localhost"):
        httpx.get(foreign, auth=tpauth.HttpxAuth(auth), timeout=10)

    async def via_async() -> None:
        async with httpx.AsyncClient(auth=tpauth.HttpxAuth(auth)) as client:
            await client.get(foreign)

    with pytest.raises(tpauth.InvalidArgument, match="localhost"):
        asyncio.run(via_async())
    stats = mock.stats()
    assert stats["token_requests"] == 0 and stats["api_requests"] == 0


def test_api_headers_are_the_cores(mock: Mock) -> None:
    auth = make_auth(mock, business_user_id="bu-9")
    names = [n for n, _ in auth.api_headers("GET", "/v1/x")]
    assert names == ["Authorization", "apikey", "x-business-user-id"]
    # tp_api_headers' merge rule, in every binding: a caller's own x-business-user-id is kept (a
    # call for another business user); the token headers replace the caller's.
    r = requests.get(mock.base + "/v1/x", headers={"x-business-user-id": "other", "apikey": "mine"}, auth=tpauth.RequestsAuth(auth), timeout=10)
    assert r.json()["business_user_id"] == "other"
    assert requests.get(mock.base + "/v1/x", auth=tpauth.RequestsAuth(auth), timeout=10).json()["business_user_id"] == "bu-9"
    with httpx.Client(auth=tpauth.HttpxAuth(auth)) as client:
        assert client.get(mock.base + "/v1/x", headers={"X-Business-User-Id": "other"}).json()["business_user_id"] == "other"
    with pytest.raises(tpauth.InvalidArgument):
        auth.api_headers("GET", "https://evil.example/v1/x")
    with pytest.raises(tpauth.InvalidArgument):
        auth.api_headers("BAD METHOD", "/v1/x")


class _Evil:
    """A server on loopback that must never be reached: it counts every connection, HTTP or not."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.hp = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def _foreign_forms(hp: str) -> List[str]:
    """Every spelling that names the evil server to some reader (fetch reads http:H:P/x as http://H:P/x)."""
    return [f"http:{hp}/x", f"http:/{hp}/x", f"HTTP:{hp}/x", f"https:{hp}/x", f"https:/{hp}/x",
            f"//{hp}/x", f"/\\{hp}/x", f"\\\\{hp}\\x", f"http://evil.example\\@{hp}/x"]


def test_adapters_send_nothing_to_a_host_named_by_any_spelling(mock: Mock, auth: tpauth.Auth) -> None:
    evil = _Evil()
    try:
        forms = _foreign_forms(evil.hp)
        # The core refuses each spelling itself, whatever an HTTP stack would make of it.
        for form in forms:
            with pytest.raises(tpauth.InvalidArgument, match="url_or_path"):
                auth._prepare_api_call("GET", form, [])
        # requests and httpx refuse some of them first (no host, no scheme), or make a path of them
        # (httpx: "http:H:P/x" without a host becomes "H:P/x"), which the core joins to the API
        # host; the adapter refuses the rest. Nothing ever reaches the other host.
        refused = (tpauth.InvalidArgument, requests.RequestException, httpx.HTTPError, httpx.InvalidURL, ValueError)

        def sent_to_the_api_or_refused(send: Callable[[], Any]) -> None:
            try:
                r = send()
            except refused:
                return
            assert str(r.url).startswith(mock.base + "/"), r.url

        async def via_async(url: str) -> httpx.Response:
            async with httpx.AsyncClient(auth=tpauth.HttpxAuth(auth)) as client:
                return await client.get(url)

        for form in forms:
            sent_to_the_api_or_refused(lambda: requests.get(form, auth=tpauth.RequestsAuth(auth), timeout=10))
            sent_to_the_api_or_refused(lambda: httpx.get(form, auth=tpauth.HttpxAuth(auth), timeout=10))
            sent_to_the_api_or_refused(lambda: asyncio.run(via_async(form)))
        # With a base_url, httpx joins them to it: they reach the API host or are refused.
        with httpx.Client(auth=tpauth.HttpxAuth(auth), base_url=mock.base) as client:
            for form in forms:
                sent_to_the_api_or_refused(lambda: client.get(form))
        assert evil.connections == 0
    finally:
        evil.close()


def test_adapters_send_to_the_url_the_core_judged(mock: Mock, auth: tpauth.Auth) -> None:
    url, headers, access = auth._prepare_api_call("GET", "v1/relative", [])
    assert url == mock.base + "/v1/relative" and access == auth.get_token().access_token
    assert headers == [("Authorization", f"Bearer {access}"), ("apikey", KEY)]
    # Never renewing: a fresh token is answered without I/O, an invalidated one asks for renewal.
    assert auth._prepare_api_call("GET", "/v1/x", [], False)[1] is not None
    auth.invalidate_token(access)
    assert auth._prepare_api_call("GET", "/v1/x", [], False)[1:] == (None, None)
    assert mock.stats()["token_requests"] == 1
    r = requests.get(mock.base + "/v1/judged", auth=tpauth.RequestsAuth(auth), timeout=10)
    assert r.json()["path"] == "/v1/judged" and mock.stats()["token_requests"] == 2
