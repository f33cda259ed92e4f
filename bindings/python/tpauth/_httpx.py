"""``tpauth.HttpxAuth``: the managed token for httpx, sync and async."""

from __future__ import annotations

import inspect
from typing import AsyncGenerator, Callable, Generator, List, Optional, Tuple, TypeVar, Union

import anyio.to_thread
import httpx

from . import aio
from ._tpauth import Auth

_T = TypeVar("_T")
# Auth._prepare_api_call's answer: the URL to send to, the headers (None: renewal needed), the token.
_Prepared = Tuple[str, Optional[List[Tuple[str, str]]], Optional[str]]
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
    def _set(request: httpx.Request, call: _Prepared) -> str:
        """Sends the request to the URL the core judged, with the headers it gave (each replacing
        the request's header of that name); returns the access token sent."""
        url, headers, access = call
        if url != str(request.url):
            request.url = httpx.URL(url)
            request.headers["Host"] = request.url.netloc.decode("ascii")
        for name, value in headers or ():
            request.headers[name] = value
        return access or ""

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        method, url, names = request.method, str(request.url), list(request.headers)
        access = self._set(request, self.auth._prepare_api_call(method, url, names))
        response = yield request
        if response.status_code == 401:
            self.auth.invalidate_token(access)
            self._set(request, self.auth._prepare_api_call(method, url, names))
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        method, url, names = request.method, str(request.url), list(request.headers)
        access = self._set(request, await self._prepare(method, url, names))
        response = yield request
        if response.status_code == 401:
            await _in_thread(self.auth.invalidate_token, access)
            self._set(request, await self._prepare(method, url, names))
            yield request

    async def _prepare(self, method: str, url: str, names: List[str]) -> _Prepared:
        # On the loop without I/O: a refused URL raises here, a fresh token needs no thread. Only a
        # renewal runs in a worker thread.
        call = self.auth._prepare_api_call(method, url, names, False)
        if call[1] is None:
            call = await _in_thread(self.auth._prepare_api_call, method, url, names, True)
        return call
