"""``tpauth.HttpxAuth``: the managed token for httpx, sync and async."""

from __future__ import annotations

from typing import AsyncGenerator, Generator, List, Tuple, Union

import anyio.to_thread
import httpx

from . import aio
from ._tpauth import Auth


class HttpxAuth(httpx.Auth):
    """``httpx.Client(auth=tpauth.HttpxAuth(auth))`` (or ``httpx.AsyncClient``): sets the
    headers the core gives (``Authorization: Bearer``, ``apikey``, and ``x-business-user-id`` when
    configured) and refuses (``tpauth.InvalidArgument``) a host that may not see the token; on a 401 it
    invalidates that token, gets a new one and resends the request once. In an async client the
    blocking token work runs in a worker thread, never on the event loop."""

    requires_request_body = True

    def __init__(self, auth: Union[Auth, aio.Auth]) -> None:
        if isinstance(auth, aio.Auth):
            auth = auth.sync
        if not isinstance(auth, Auth):
            raise TypeError(f"HttpxAuth() expects a tpauth.Auth, not {type(auth).__name__}")
        self.auth = auth

    def __repr__(self) -> str:
        return f"tpauth.HttpxAuth({self.auth!r})"

    def _apply(self, request: httpx.Request) -> str:
        """Sets the headers the core gives (tpauth.Auth.api_headers); returns the access token sent."""
        return self._set(request, self.auth.api_headers(request.method, str(request.url)))

    @staticmethod
    def _set(request: httpx.Request, headers: List[Tuple[str, str]]) -> str:
        access = ""
        for name, value in headers:
            request.headers[name] = value
            if name == "authorization" and value.startswith("Bearer "):
                access = value[len("Bearer "):]
        return access

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        access = self._apply(request)
        response = yield request
        if response.status_code == 401:
            self.auth.invalidate_token(access)
            self._apply(request)
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        method, url = request.method, str(request.url)
        access = self._set(request, await anyio.to_thread.run_sync(self.auth.api_headers, method, url))
        response = yield request
        if response.status_code == 401:
            await anyio.to_thread.run_sync(self.auth.invalidate_token, access)
            self._set(request, await anyio.to_thread.run_sync(self.auth.api_headers, method, url))
            yield request
