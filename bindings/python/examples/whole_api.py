"""Every part of tpauth's Python API, type-checked with `mypy --strict` and run against the mock.

    python examples/whole_api.py http://127.0.0.1:PORT
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Dict, List, Optional

import httpx
import requests

import tpauth
import tpauth.aio


def main(base: str) -> None:
    auth: tpauth.Auth = tpauth.Auth(
        "mock-api-key",
        "mock-api-secret",
        api_base_url=base,
        authorize_url=base + "/authenticate",
        username="user@example.com",
        password="mock-password",
        grant="password",
        business_user_id=None,
        token_cache=None,
        timeout=10.0,
        allow_insecure_http=True,
        max_retries=2,  # any other option key
    )
    tok: tpauth.Token = auth.password_grant("user@example.com", "mock-password")
    at: str = tok.access_token
    rt: Optional[str] = tok.refresh_token
    kind: Optional[str] = tok.token_type
    lifetime: Optional[int] = tok.expires_in
    expires_at: Optional[int] = tok.expires_at
    raw: Dict[str, Any] = tok.raw
    expired: bool = tok.is_expired(leeway=60)
    saved: str = tok.to_json()
    again: tpauth.Token = tpauth.Token.from_json(saved)
    print(repr(tok), kind, lifetime, expires_at, sorted(raw)[:2], expired, again.access_token == at, rt is not None)

    tok = auth.refresh()
    tok = auth.refresh(tok.refresh_token)
    auth.invalidate_token(tok.access_token)
    tok = auth.get_token()
    auth.set_token(tok)

    state: str = tpauth.new_state()
    url: str = auth.authorize_url("https://app.example.com/cb", response_type="code", state=state)
    with httpx.Client(follow_redirects=False) as browser:
        location: str = browser.get(url).headers["location"]
    code: str = tpauth.parse_code_redirect(location, expected_state=state)
    auth.authorization_code_grant(code, "https://app.example.com/cb")
    with httpx.Client(follow_redirects=False) as browser:
        fragment_url = browser.get(auth.authorize_url("https://app.example.com/cb", "token", state)).headers["location"]
    implicit: tpauth.Token = tpauth.parse_implicit_redirect(fragment_url, state)
    print("implicit token expires in", implicit.expires_in)

    resp: tpauth.Response = auth.request("GET", "/v1/private/business-units/123/reviews")
    status: int = resp.status
    body: bytes = resp.body
    text: str = resp.text
    ctype: Optional[str] = resp.header("content-type")
    headers: tpauth.Headers = resp.headers
    data: Any = resp.json()
    print(status, len(body), len(text), ctype, headers["Content-Type"], data["path"])
    auth.request("POST", "/v1/private/x", body='{"a": 1}', content_type="application/json")

    r = requests.get(base + "/v1/private/x", auth=tpauth.RequestsAuth(auth), timeout=10)
    print("requests:", r.status_code)
    with httpx.Client(auth=tpauth.HttpxAuth(auth)) as client:
        print("httpx:", client.get(base + "/v1/private/x").status_code)

    async def async_part() -> List[int]:
        aauth = tpauth.aio.Auth.wrap(auth)
        t: tpauth.Token = await aauth.get_token()
        await aauth.invalidate_token(t)
        r2: tpauth.Response = await aauth.request("GET", "/v1/private/x")
        async with httpx.AsyncClient(auth=tpauth.HttpxAuth(aauth)) as client:
            r3 = await client.get(base + "/v1/private/x")
        return [r2.status, r3.status_code]

    print("aio:", asyncio.run(async_part()))

    current = auth.get_token()
    auth.revoke()  # the current refresh token (and its access tokens)
    try:
        auth.refresh(current.refresh_token)
    except tpauth.InvalidGrant as e:
        st: tpauth.Status = e.status
        http_status: Optional[int] = e.http_status
        oauth: Optional[str] = e.oauth_code
        wait: Optional[float] = e.retry_after
        print("revoked:", st.name, http_status, oauth, wait)
    except tpauth.Error as e:
        raise SystemExit(f"unexpected {e!r}")
    errors: List[type[tpauth.Error]] = [
        tpauth.InvalidArgument, tpauth.NetworkError, tpauth.Timeout, tpauth.Unauthorized, tpauth.RateLimited,
        tpauth.InvalidGrant, tpauth.HttpError, tpauth.ProtocolError, tpauth.StateMismatch, tpauth.AccessDenied,
        tpauth.NoToken, tpauth.StoreError, tpauth.InternalError,
    ]
    print(len(errors), "error classes;", tpauth.__version__)
    try:
        tpauth.Auth.from_env()
    except tpauth.InvalidArgument as e:
        print("from_env:", e)


if __name__ == "__main__":
    main(sys.argv[1])
