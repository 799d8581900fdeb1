"""A client for the number-record API: callrec's own, or any server speaking the contract.

    from callrec.client import Client

    with Client(base_url="http://127.0.0.1:8080") as client:  # key/secret from the environment
        for record in client.iter_records("2024-01-01T00:00:00+08:00", "2024-04-01T00:00:00+08:00"):
            print(record.callid, record.start_time, record.pay)

Everything public is importable from here; the underscored modules are private.
"""

from callrec.client._async import AsyncClient
from callrec.client._config import (
    API_KEY_VARIABLE,
    API_SECRET_VARIABLE,
    BASE_URL_VARIABLE,
    LOCAL_BASE_URL,
    VENDOR_BASE_URL,
    BaseUrlMissing,
    CredentialsMissing,
)
from callrec.client._errors import (
    ERRORS_BY_STATUS,
    ApiError,
    AuthenticationError,
    DataExistsError,
    DataNotFoundError,
    IpNotWhitelistedError,
    IpRestrictedError,
    KeyDisabledError,
    ParameterError,
    RateLimitedError,
    ServerSystemError,
    TimeRangeError,
    TimestampExpiredError,
    TransportError,
    UnexpectedResponseError,
    WorkspaceDisabledError,
)
from callrec.client._models import Page, Record
from callrec.client._numbers import NumberInfo, NumberPage
from callrec.client._retry import NO_RETRIES, RetryPolicy, is_retryable
from callrec.client._seen import Checkpoint
from callrec.client._summary import GROUPINGS, Grouping, Summary, SummaryLine, Totals, summarize
from callrec.client._sync import Client
from callrec.client._windows import Window, wire_time

__all__ = [
    "API_KEY_VARIABLE",
    "API_SECRET_VARIABLE",
    "BASE_URL_VARIABLE",
    "ERRORS_BY_STATUS",
    "GROUPINGS",
    "LOCAL_BASE_URL",
    "NO_RETRIES",
    "VENDOR_BASE_URL",
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "BaseUrlMissing",
    "Checkpoint",
    "Client",
    "CredentialsMissing",
    "DataExistsError",
    "DataNotFoundError",
    "Grouping",
    "IpNotWhitelistedError",
    "IpRestrictedError",
    "KeyDisabledError",
    "NumberInfo",
    "NumberPage",
    "Page",
    "ParameterError",
    "RateLimitedError",
    "Record",
    "RetryPolicy",
    "ServerSystemError",
    "Summary",
    "SummaryLine",
    "TimeRangeError",
    "TimestampExpiredError",
    "Totals",
    "TransportError",
    "UnexpectedResponseError",
    "Window",
    "WorkspaceDisabledError",
    "is_retryable",
    "summarize",
    "wire_time",
]
