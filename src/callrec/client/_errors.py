"""One exception hierarchy for everything a query can end in, other than a page.

``ApiError`` carries the contract's ``status`` and ``reason``. Every status code of the contract
has its own subclass; a code the contract does not know is raised as ``ApiError`` itself.
Failures with no contract answer (no connection, a timeout, an HTTP error page) are subclasses
too, with ``status`` ``None``.
"""

from __future__ import annotations

from typing import ClassVar

import httpx

from callrec.wire.status import Status


class ApiError(Exception):
    """The server answered a non-zero status, or no usable answer came back."""

    status_code: ClassVar[Status | None] = None

    def __init__(
        self, status: str | None, reason: str, response: httpx.Response | None = None
    ) -> None:
        super().__init__(reason if status is None else f"{status}: {reason}")
        self.status = status
        self.reason = reason
        self.response = response
        # How many attempts the request took before this error was raised (see RetryPolicy).
        self.attempts = 1


class AuthenticationError(ApiError):
    """``-1``: missing or malformed headers, unknown key or wrong sign."""

    status_code = Status.AUTHENTICATION


class IpRestrictedError(ApiError):
    """``-2``: the caller's IP is on a deny list or locked out after failed signs."""

    status_code = Status.IP_RESTRICTED


class RateLimitedError(ApiError):
    """``-15``: the key sent requests faster than its rate limit; worth retrying after a pause."""

    status_code = Status.RATE_LIMITED


class TimestampExpiredError(ApiError):
    """``-16``: the request's Timestamp is too far from the server's clock."""

    status_code = Status.TIMESTAMP_EXPIRED


class ServerSystemError(ApiError):
    """``-18``: an unexpected failure on the server; worth retrying."""

    status_code = Status.SYSTEM_ERROR


class ParameterError(ApiError):
    """``-22``: the request's parameters are wrong; the reason names the field."""

    status_code = Status.PARAMETER_ERROR


class DataExistsError(ApiError):
    """``-20``: the data already exists (platform code; reserved by the number API)."""

    status_code = Status.DATA_EXISTS


class DataNotFoundError(ApiError):
    """``-24``: no such data for this key: a number not in the workspace, or a wrong appId."""

    status_code = Status.DATA_NOT_FOUND


class TimeRangeError(ApiError):
    """``-25``: the window is longer than the server allows, or reaches too far back."""

    status_code = Status.TIME_RANGE


class WorkspaceDisabledError(ApiError):
    """``-29``: the key's workspace is disabled."""

    status_code = Status.WORKSPACE_DISABLED


class KeyDisabledError(ApiError):
    """``-30``: the API key is disabled."""

    status_code = Status.KEY_DISABLED


class IpNotWhitelistedError(ApiError):
    """``-31``: the key only accepts some IPs and the caller's is not one of them."""

    status_code = Status.IP_NOT_WHITELISTED


class TransportError(ApiError):
    """No answer came back: the connection failed, broke or timed out."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(None, reason)
        # True for failures the same request may well get past: refused or dropped
        # connections, timeouts. False for a malformed URL or an unsupported scheme.
        self.transient = transient


class UnexpectedResponseError(ApiError):
    """An answer that is not a contract envelope: an HTTP error page, or a body not understood."""

    def __init__(self, reason: str, response: httpx.Response) -> None:
        super().__init__(None, reason, response)
        self.http_status = response.status_code


ERRORS_BY_STATUS: dict[str, type[ApiError]] = {
    cls.status_code.value: cls
    for cls in (
        AuthenticationError,
        IpRestrictedError,
        RateLimitedError,
        TimestampExpiredError,
        ServerSystemError,
        ParameterError,
        DataExistsError,
        DataNotFoundError,
        TimeRangeError,
        WorkspaceDisabledError,
        KeyDisabledError,
        IpNotWhitelistedError,
    )
    if cls.status_code is not None
}


def error_for_status(status: str, reason: str, response: httpx.Response | None = None) -> ApiError:
    """The exception for a non-zero status: its own subclass, or ``ApiError`` when unknown."""
    return ERRORS_BY_STATUS.get(status, ApiError)(status, reason, response)


# httpx failures after which the same request may well succeed.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def transport_error(exc: httpx.RequestError, base_url: str) -> TransportError:
    kind = type(exc).__name__
    detail = str(exc) or kind
    return TransportError(
        f"no answer from {base_url}: {kind}: {detail}",
        transient=isinstance(exc, _TRANSIENT),
    )
