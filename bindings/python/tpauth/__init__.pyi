"""tpauth: a client for Trustpilot's OAuth2 business API, on a Rust core.

Every grant, refresh and revoke; a managed token renewed once for all threads (and, with
``token_cache``, for all processes); API calls that renew the token and retry once on 401; adapters
for requests (:class:`RequestsAuth`) and httpx (:class:`HttpxAuth`); coroutines in :mod:`tpauth.aio`.
"""

from __future__ import annotations

from ._errors import (
    AccessDenied,
    Error,
    HttpError,
    InternalError,
    InvalidArgument,
    InvalidGrant,
    NetworkError,
    NoToken,
    ProtocolError,
    RateLimited,
    StateMismatch,
    Status,
    StoreError,
    Timeout,
    Unauthorized,
)
from ._headers import Headers
from ._tpauth import (
    OPTION_KEYS,
    Auth,
    Response,
    Token,
    __version__,
    new_pkce,
    new_state,
    parse_code_redirect,
    parse_implicit_redirect,
)

__all__ = [
    "OPTION_KEYS",
    "AccessDenied",
    "Auth",
    "Error",
    "Headers",
    "HttpError",
    "HttpxAuth",
    "InternalError",
    "InvalidArgument",
    "InvalidGrant",
    "NetworkError",
    "NoToken",
    "ProtocolError",
    "RateLimited",
    "RequestsAuth",
    "Response",
    "StateMismatch",
    "Status",
    "StoreError",
    "Timeout",
    "Token",
    "Unauthorized",
    "__version__",
    "aio",
    "new_pkce",
    "new_state",
    "parse_code_redirect",
    "parse_implicit_redirect",
]

from . import aio as aio
from ._httpx import HttpxAuth as HttpxAuth
from ._requests import RequestsAuth as RequestsAuth
