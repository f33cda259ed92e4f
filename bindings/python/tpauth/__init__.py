"""tpauth: a client for Trustpilot's OAuth2 business API, on a Rust core.

Every grant, refresh and revoke; a managed token renewed once for all threads (and, with
``token_cache``, for all processes); API calls that renew the token and retry once on 401; adapters
for requests (:class:`RequestsAuth`) and httpx (:class:`HttpxAuth`); coroutines in :mod:`tpauth.aio`.
"""

from __future__ import annotations

from typing import Any

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
from ._version import installed_version as _installed_version
from ._version import mismatch as _mismatch

_problem = _mismatch(__version__, _installed_version())
if _problem is not None:
    raise ImportError(_problem)

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


def __getattr__(name: str) -> Any:
    if name == "aio":
        # `import tpauth` then `tpauth.aio.Auth` (as the README writes it): the submodule loads on
        # first use, keeping asyncio out of `import tpauth`.
        import importlib

        module = importlib.import_module(".aio", __name__)
        globals()[name] = module
        return module
    # The adapters import requests / httpx: load them on first use so that `import tpauth` stays
    # fast and neither library is a dependency.
    if name == "RequestsAuth":
        from ._requests import RequestsAuth

        globals()[name] = RequestsAuth
        return RequestsAuth
    if name == "HttpxAuth":
        from ._httpx import HttpxAuth

        globals()[name] = HttpxAuth
        return HttpxAuth
    raise AttributeError(f"module 'tpauth' has no attribute {name!r}")
