"""The exception hierarchy: ``tpauth.Error`` and one subclass per status of the C ABI."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Type

from ._status import Status as Status  # re-exported: tpauth.Status


class Error(Exception):
    """Base of every tpauth error.

    Attributes: ``status`` (a :class:`Status`), ``message`` (no secrets), ``http_status`` (the HTTP
    status of the answer, or None when there was none), ``oauth_code`` (``"invalid_grant"`` etc., or
    None), ``retry_after`` (seconds the server asked to wait, as a float, or None).
    """

    #: The status of this class; instances carry theirs in ``status``.
    default_status: Status = Status.INTERNAL

    status: Status
    message: str
    http_status: Optional[int]
    oauth_code: Optional[str]
    retry_after: Optional[float]

    def __init__(
        self,
        message: str = "",
        *,
        status: Optional[int] = None,
        http_status: Optional[int] = None,
        oauth_code: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = Status(self.default_status if status is None else status)
        self.http_status = http_status
        self.oauth_code = oauth_code
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        extra = "".join(
            f", {k}={v!r}"
            for k, v in (("http_status", self.http_status), ("oauth_code", self.oauth_code), ("retry_after", self.retry_after))
            if v is not None
        )
        return f"{type(self).__name__}({self.message!r}, status={self.status.name}{extra})"

    def __reduce__(self) -> Tuple[Any, ...]:
        kwargs: Dict[str, Any] = {
            "status": int(self.status),
            "http_status": self.http_status,
            "oauth_code": self.oauth_code,
            "retry_after": self.retry_after,
        }
        return (_rebuild, (type(self), self.message, kwargs))


def _rebuild(cls: Type[Error], message: str, kwargs: Dict[str, Any]) -> Error:
    return cls(message, **kwargs)


class InvalidArgument(Error, ValueError):
    """A bad argument: unknown option, malformed URL, non-https redirect_uri, ..."""

    default_status = Status.INVALID_ARGUMENT


class NetworkError(Error, ConnectionError):
    """DNS, connect, TLS, reset or truncated body."""

    default_status = Status.NETWORK


class Timeout(Error, TimeoutError):
    """The request took longer than ``timeout``."""

    default_status = Status.TIMEOUT


class Unauthorized(Error):
    """HTTP 401, or OAuth ``invalid_client`` (wrong API key or secret)."""

    default_status = Status.UNAUTHORIZED


class RateLimited(Error):
    """HTTP 429: authentication was asked for too often; see ``retry_after``."""

    default_status = Status.RATE_LIMITED


class InvalidGrant(Error):
    """OAuth ``invalid_grant``: wrong password, used code, revoked or rotated refresh token."""

    default_status = Status.INVALID_GRANT


class HttpError(Error):
    """Any other non-2xx answer; see ``http_status``."""

    default_status = Status.HTTP


class ProtocolError(Error):
    """A 2xx answer with an unusable body (not JSON, no access_token, too big)."""

    default_status = Status.PROTOCOL


class StateMismatch(Error):
    """The redirect's ``state`` differs from the expected one."""

    default_status = Status.STATE_MISMATCH


class AccessDenied(Error):
    """The redirect carries ``error=...`` (the user declined)."""

    default_status = Status.ACCESS_DENIED


class NoToken(Error):
    """Nothing to refresh or revoke, or no grant configured for ``get_token``."""

    default_status = Status.NO_TOKEN


class StoreError(Error):
    """The token cache is unreadable or unwritable."""

    default_status = Status.STORE


class InternalError(Error):
    """A bug in tpauth (a caught panic)."""

    default_status = Status.INTERNAL


_BY_STATUS: Dict[int, Type[Error]] = {
    cls.default_status.value: cls
    for cls in (
        InvalidArgument,
        NetworkError,
        Timeout,
        Unauthorized,
        RateLimited,
        InvalidGrant,
        HttpError,
        ProtocolError,
        StateMismatch,
        AccessDenied,
        NoToken,
        StoreError,
        InternalError,
    )
}
# A status the core has and this module names no class for (one added after these classes were
# written) still gets a class of its own, named after it: FOO_BAR -> FooBarError.
for _status in Status:
    if _status.value != 0 and _status.value not in _BY_STATUS:
        _name = "".join(word.capitalize() for word in _status.name.split("_")) + "Error"
        _BY_STATUS[_status.value] = type(_name, (Error,), {"default_status": _status, "__module__": "tpauth"})


def _from_native(
    status: int, message: str, http_status: Optional[int], oauth_code: Optional[str], retry_after: Optional[float]
) -> Error:
    """Called by the native module to build the exception it raises."""
    cls = _BY_STATUS.get(status, InternalError)
    return cls(message, status=status if status in _BY_STATUS else None, http_status=http_status,
               oauth_code=oauth_code, retry_after=retry_after)


class _UnknownOption(InvalidArgument, TypeError):
    """An unknown keyword option of ``Auth``/``Auth.from_env``: ``tpauth.InvalidArgument``, as the C
    ABI's unknown option is, and ``TypeError``, as Python's unexpected keyword argument is."""
