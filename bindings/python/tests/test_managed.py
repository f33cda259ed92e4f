"""The managed token, API calls, faults and every exception class."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest

import tpauth
from conftest import PASSWORD, USER, Mock, header, make_auth


def test_get_token_is_cached(mock: Mock, auth: tpauth.Auth) -> None:
    a = auth.get_token()
    b = auth.get_token()
    assert a.access_token == b.access_token
    st = mock.stats()
    assert st["token_requests"] == 1 and st["grants"]["password"] == 1


def test_invalidate_then_renew(mock: Mock, auth: tpauth.Auth) -> None:
    a = auth.get_token()
    auth.invalidate_token("some-other-token")  # not the current one: ignored
    assert auth.get_token().access_token == a.access_token
    auth.invalidate_token(a.access_token)
    b = auth.get_token()
    assert b.access_token != a.access_token
    st = mock.stats()
    assert st["token_requests"] == 2 and st["grants"]["refresh_token"] == 1  # renewed with the refresh token
    auth.invalidate_token(b)  # a Token is accepted too
    assert auth.get_token().access_token != b.access_token


def test_set_token(mock: Mock, auth: tpauth.Auth) -> None:
    tok = auth.password_grant(USER, PASSWORD)
    other = make_auth(mock, grant="none")
    other.set_token(tok)
    assert other.get_token().access_token == tok.access_token
    assert mock.stats()["token_requests"] == 1
    with pytest.raises(TypeError):
        other.set_token(tok.access_token)  # type: ignore[arg-type]


def test_request_get_and_post(mock: Mock, auth: tpauth.Auth) -> None:
    resp = auth.request("GET", "/v1/private/business-units/123/reviews?page=2")
    assert isinstance(resp, tpauth.Response)
    assert resp.status == 200
    echo = resp.json()
    assert echo["method"] == "GET" and echo["path"] == "/v1/private/business-units/123/reviews" and "page=2" in echo["query"]
    assert isinstance(resp.body, bytes) and json.loads(resp.body) == echo and json.loads(resp.text) == echo
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["content-type"] == resp.header("CONTENT-TYPE")
    assert "CoNtEnT-TyPe" in resp.headers and "x-nope" not in resp.headers and resp.header("x-nope") is None
    api = mock.last_api_request()
    tok = auth.get_token()
    assert header(api, "authorization") == f"Bearer {tok.access_token}"
    assert header(api, "apikey") == "mock-api-key"
    assert tok.access_token not in repr(resp)

    resp = auth.request("POST", mock.base + "/v1/private/x", body='{"a": "ü"}', content_type="application/json")
    echo = resp.json()
    assert echo["method"] == "POST" and echo["content_type"] == "application/json" and echo["body"] == '{"a": "ü"}'
    resp = auth.request("PUT", "/v1/private/x", body=b"raw \x01 bytes", content_type="application/octet-stream")
    assert resp.json()["method"] == "PUT"
    assert mock.stats()["token_requests"] == 1


def test_request_renews_once_on_401(mock: Mock, auth: tpauth.Auth) -> None:
    first = auth.get_token()
    mock.expire()
    resp = auth.request("GET", "/v1/private/x")
    assert resp.status == 200
    st = mock.stats()
    assert st["api_401"] == 1 and st["token_requests"] == 2
    assert auth.get_token().access_token != first.access_token
    mock.fault("401", target="api", count=2)
    resp = auth.request("GET", "/v1/private/x")
    assert resp.status == 401  # the second 401 is the caller's
    assert mock.stats()["token_requests"] == 3


def test_non_2xx_api_answers_are_responses_not_errors(mock: Mock, auth: tpauth.Auth) -> None:
    auth.get_token()
    mock.fault("html_500", target="api")
    resp = auth.request("GET", "/v1/private/x")
    assert resp.status == 500 and "<" in resp.text
    with pytest.raises(ValueError):
        resp.json()


def test_token_errors(mock: Mock) -> None:
    auth = make_auth(mock, max_retries=0)
    cases = [
        ({"kind": "html_500"}, tpauth.HttpError, 500),
        ({"kind": "503"}, tpauth.HttpError, 503),
        ({"kind": "garbage"}, tpauth.ProtocolError, 200),
        ({"kind": "no_access_token"}, tpauth.ProtocolError, 200),
        # no answer: no HTTP status. The client's keep-alive connection is reused here, so the
        # reset request is sent once more on a new connection: reset that one too.
        ({"kind": "reset", "count": 2}, tpauth.NetworkError, None),
        ({"kind": "truncated"}, tpauth.NetworkError, 200),  # the status line came, the body did not
    ]
    for fault, cls, http in cases:
        mock.fault(**fault)
        with pytest.raises(cls) as ei:
            auth.password_grant(USER, PASSWORD)
        e = ei.value
        assert type(e) is cls and e.status == cls.default_status, fault
        assert e.http_status == http, (fault, e.http_status)
        assert PASSWORD not in str(e) and "mock-api-secret" not in str(e)


def test_rate_limited_carries_retry_after(mock: Mock) -> None:
    auth = make_auth(mock, max_retries=0)
    mock.fault("429", retry_after="7")
    with pytest.raises(tpauth.RateLimited) as ei:
        auth.password_grant(USER, PASSWORD)
    e = ei.value
    assert e.status == tpauth.Status.RATE_LIMITED == 5 and e.http_status == 429
    assert e.retry_after is not None and 6.0 <= e.retry_after <= 7.0


def test_retries_after_5xx(mock: Mock) -> None:
    auth = make_auth(mock, max_retries=2, max_retry_wait_ms=100)
    mock.fault("503", count=2)
    auth.password_grant(USER, PASSWORD)
    assert mock.stats()["token_requests"] == 3


def test_timeout(mock: Mock) -> None:
    auth = make_auth(mock, timeout=0.3, max_retries=0)
    mock.fault("slow", delay_ms=1500)
    with pytest.raises(tpauth.Timeout) as ei:
        auth.password_grant(USER, PASSWORD)
    assert isinstance(ei.value, TimeoutError) and ei.value.status == tpauth.Status.TIMEOUT


def test_connection_refused_is_network_error() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    auth = tpauth.Auth("k", "s", api_base_url=f"http://127.0.0.1:{port}", allow_insecure_http=True, max_retries=0)
    with pytest.raises(tpauth.NetworkError) as ei:
        auth.client_credentials_grant()
    assert isinstance(ei.value, ConnectionError) and ei.value.http_status is None


def test_token_cache_shares_one_token(mock: Mock, tmp_path: Path) -> None:
    cache = tmp_path / "token.json"
    a = make_auth(mock, token_cache=str(cache))
    b = make_auth(mock, token_cache=str(cache))
    ta = a.get_token()
    assert b.get_token().access_token == ta.access_token
    assert mock.stats()["token_requests"] == 1
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600


def test_unusable_token_cache_is_store_error(mock: Mock, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(tpauth.StoreError) as ei:
        auth = make_auth(mock, token_cache=str(blocker / "sub" / "token.json"))
        auth.get_token()
    assert ei.value.status == tpauth.Status.STORE


@pytest.mark.parametrize("url", ["redis+cluster://127.0.0.1:1", "redis+sentinel://127.0.0.1:1/mymaster"])
def test_every_redis_topology_is_built_in(mock: Mock, tmp_path: Path, url: str) -> None:
    # Nothing answers on port 1: the client works through its fallback file, as it does during a
    # Redis outage. A module built without the topology refuses the URL as InvalidArgument.
    auth = make_auth(mock, token_cache=url, cache_fallback_file=str(tmp_path / "fallback.json"), cache_timeout_ms="200")
    assert auth.get_token().access_token
    assert mock.stats()["token_requests"] == 1


def test_every_exception_class() -> None:
    names = [
        ("InvalidArgument", 1), ("NetworkError", 2), ("Timeout", 3), ("Unauthorized", 4), ("RateLimited", 5),
        ("InvalidGrant", 6), ("HttpError", 7), ("ProtocolError", 8), ("StateMismatch", 9), ("AccessDenied", 10),
        ("NoToken", 11), ("StoreError", 12), ("InternalError", 13),
    ]
    assert [s.name for s in tpauth.Status][:2] == ["OK", "INVALID_ARGUMENT"] and len(tpauth.Status) == 14
    for name, code in names:
        cls = getattr(tpauth, name)
        assert issubclass(cls, tpauth.Error) and issubclass(cls, Exception)
        assert cls.default_status == code
        e = cls("boom", http_status=418, oauth_code="x", retry_after=1.5)
        assert e.status == code and e.status is tpauth.Status(code) and str(e) == "boom"
        assert (e.http_status, e.oauth_code, e.retry_after) == (418, "x", 1.5)
        assert name in repr(e)
        from tpauth._errors import _from_native

        n = _from_native(code, "m", None, None, None)
        assert type(n) is cls and n.http_status is None and n.retry_after is None
        import pickle

        p = pickle.loads(pickle.dumps(e))
        assert type(p) is cls and p.status == code and p.http_status == 418
    assert issubclass(tpauth.InvalidArgument, ValueError)
