"""tpauth: a client for Trustpilot's OAuth2 business API, on a Rust core.

Every grant, refresh and revoke; a managed token renewed once for all threads (and, with
``token_cache``, for all processes); API calls that renew the token and retry once on 401; adapters
for requests (:class:`RequestsAuth`) and httpx (:class:`HttpxAuth`); coroutines in :mod:`tpauth.aio`.
"""

from __future__ import annotations

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

# Loaded on first use (PEP 562), so that `import tpauth` loads what a plain Auth needs and nothing
# more: the exception classes (with enum and typing) come with the first error or the first mention
# of one (`except tpauth.Error` looks the name up only when something was raised), Headers with
# the first response's headers, the adapters with requests or httpx, and tpauth.aio with asyncio.
_LAZY = {
    "AccessDenied": "._errors",
    "Error": "._errors",
    "HttpError": "._errors",
    "InternalError": "._errors",
    "InvalidArgument": "._errors",
    "InvalidGrant": "._errors",
    "NetworkError": "._errors",
    "NoToken": "._errors",
    "ProtocolError": "._errors",
    "RateLimited": "._errors",
    "StateMismatch": "._errors",
    "Status": "._errors",
    "StoreError": "._errors",
    "Timeout": "._errors",
    "Unauthorized": "._errors",
    "Headers": "._headers",
    "RequestsAuth": "._requests",
    "HttpxAuth": "._httpx",
}

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


def __getattr__(name: str) -> object:
    from importlib import import_module

    if name == "aio":
        # `import tpauth` then `tpauth.aio.Auth` (as the README writes it) loads the submodule here.
        value: object = import_module(".aio", __name__)
    elif name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
    else:
        raise AttributeError(f"module 'tpauth' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
