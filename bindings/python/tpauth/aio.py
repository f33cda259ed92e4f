"""``tpauth.aio``: the client's methods as coroutines.

Every method that may block (network, token cache) runs in a worker thread
(``asyncio.to_thread``), so the event loop never waits on it; the GIL is released meanwhile.
``authorize_url`` does no I/O and stays a plain method. One ``tpauth.aio.Auth`` serves many tasks
(and threads) at once: concurrent ``get_token()`` calls share one token request.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional, Union

from . import _tpauth
from ._errors import Error, Status
from ._tpauth import Response, Token, new_pkce, new_state, parse_code_redirect, parse_implicit_redirect

__all__ = ["Auth", "Error", "Response", "Status", "Token", "new_pkce", "new_state", "parse_code_redirect", "parse_implicit_redirect"]


class Auth:
    """``tpauth.Auth`` with coroutine methods. ``Auth(key, secret, ...)`` takes the same arguments
    as :class:`tpauth.Auth`; ``Auth.wrap(sync_auth)`` shares an existing client; ``.sync`` is the
    underlying blocking client."""

    __slots__ = ("sync",)

    sync: _tpauth.Auth

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        *,
        api_base_url: Optional[str] = None,
        authorize_url: Optional[str] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        grant: Optional[str] = None,
        business_user_id: Optional[str] = None,
        token_cache: Optional[str] = None,
        timeout: float = 30.0,
        allow_insecure_http: bool = False,
        **options: Any,
    ) -> None:
        self.sync = _tpauth.Auth(
            api_key,
            api_secret,
            api_base_url=api_base_url,
            authorize_url=authorize_url,
            username=username,
            password=password,
            grant=grant,
            business_user_id=business_user_id,
            token_cache=token_cache,
            timeout=timeout,
            allow_insecure_http=allow_insecure_http,
            **options,
        )

    @classmethod
    def wrap(cls, auth: _tpauth.Auth) -> Auth:
        """An async view of an existing blocking client (they share the token)."""
        if not isinstance(auth, _tpauth.Auth):
            raise TypeError(f"Auth.wrap() expects a tpauth.Auth, not {type(auth).__name__}")
        self = cls.__new__(cls)
        self.sync = auth
        return self

    @classmethod
    def from_env(cls, **options: Any) -> Auth:
        """As :meth:`tpauth.Auth.from_env`."""
        return cls.wrap(_tpauth.Auth.from_env(**options))

    @property
    def api_key(self) -> str:
        return self.sync.api_key

    @property
    def api_base_url(self) -> str:
        return self.sync.api_base_url

    @property
    def business_user_id(self) -> Optional[str]:
        return self.sync.business_user_id

    def __repr__(self) -> str:
        # The native repr shows api_base_url as the core redacts it (no userinfo, no query).
        return "tpauth.aio." + repr(self.sync)[len("tpauth."):]

    async def password_grant(self, username: str, password: str) -> Token:
        return await asyncio.to_thread(self.sync.password_grant, username, password)

    async def client_credentials_grant(self) -> Token:
        return await asyncio.to_thread(self.sync.client_credentials_grant)

    async def authorization_code_grant(self, code: str, redirect_uri: str, code_verifier: Optional[str] = None) -> Token:
        return await asyncio.to_thread(self.sync.authorization_code_grant, code, redirect_uri, code_verifier)

    async def refresh(self, refresh_token: Optional[str] = None) -> Token:
        return await asyncio.to_thread(self.sync.refresh, refresh_token)

    async def revoke(self, refresh_token: Optional[str] = None) -> None:
        await asyncio.to_thread(self.sync.revoke, refresh_token)

    async def get_token(self) -> Token:
        return await asyncio.to_thread(self.sync.get_token)

    async def invalidate_token(self, access_token: Union[str, Token]) -> None:
        await asyncio.to_thread(self.sync.invalidate_token, access_token)

    async def set_token(self, token: Token) -> None:
        await asyncio.to_thread(self.sync.set_token, token)

    def authorize_url(
        self, redirect_uri: str, response_type: str = "code", state: Optional[str] = None, code_challenge: Optional[str] = None
    ) -> str:
        return self.sync.authorize_url(redirect_uri, response_type, state, code_challenge)

    async def request(
        self,
        method: str,
        url_or_path: str,
        body: Union[bytes, bytearray, str, None] = None,
        content_type: Optional[str] = None,
    ) -> Response:
        return await asyncio.to_thread(self.sync.request, method, url_or_path, body, content_type)
