"""``tpauth.HttpxAuth``: the managed token for httpx, sync and async."""

from __future__ import annotations

import inspect
from typing import AsyncGenerator, Callable, Generator, List, Tuple, TypeVar, Union

import anyio.to_thread
import httpx

from . import aio
from ._headers import merge_api_headers
from ._tpauth import Auth

_T = TypeVar("_T")
# A cancelled request stops waiting at once; the core call finishes in its thread (a renewal goes
# on for the other tasks). anyio >= 4.1 names the flag abandon_on_cancel, older ones cancellable.
_ABANDON = "abandon_on_cancel" if "abandon_on_cancel" in inspect.signature(anyio.to_thread.run_sync).parameters else "cancellable"


async def _in_thread(func: Callable[..., _T], *args: object) -> _T:
    return await anyio.to_thread.run_sync(func, *args, **{_ABANDON: True})  # type: ignore[arg-type]


class HttpxAuth(httpx.Auth):
    """``httpx.Client(auth=tpauth.HttpxAuth(auth))`` (or ``httpx.AsyncClient``): adds
    ``Authorization: Bearer``, ``apikey`` (and ``x-business-user-id`` when configured); on a 401 it
    invalidates that token, gets a new one and resends the request once. In an async client the
    blocking token work (a renewal, a token-cache read) runs in a worker thread, never on the event
    loop. A request to a host that may not see the token (:meth:`Auth.check_token_url`) raises
    :class:`tpauth.InvalidArgument` and is not sent."""

    requires_request_body = True

    def __init__(self, auth: Union[Auth, aio.Auth]) -> None:
        if isinstance(auth, aio.Auth):
            auth = auth.sync
        if not isinstance(auth, Auth):
            raise TypeError(f"HttpxAuth() expects a tpauth.Auth, not {type(auth).__name__}")
        self.auth = auth

    def __repr__(self) -> str:
        return f"tpauth.HttpxAuth({self.auth!r})"

    @staticmethod
    def _set(request: httpx.Request, headers: List[Tuple[str, str]]) -> str:
        """Sets the headers the core gave (Auth.api_headers); returns the access token sent."""
        merge_api_headers(request.headers, headers)
        access = ""
        for name, value in headers:
            if name.lower() == "authorization" and value.startswith("Bearer "):
                access = value[len("Bearer "):]
        return access

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        method, url = request.method, str(request.url)
        access = self._set(request, self.auth.api_headers(method, url))
        response = yield request
        if response.status_code == 401:
            self.auth.invalidate_token(access)
            self._set(request, self.auth.api_headers(method, url))
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        method, url = request.method, str(request.url)
        self.auth.check_token_url(url)  # no I/O: refused on the loop, before any thread
        access = self._set(request, await _in_thread(self.auth.api_headers, method, url))
        response = yield request
        if response.status_code == 401:
            await _in_thread(self.auth.invalidate_token, access)
            self._set(request, await _in_thread(self.auth.api_headers, method, url))
            yield request
