"""What the commands that ask a server share: where, as whom, which window; errors as one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from callrec.cli.common import fail
from callrec.client import (
    API_KEY_VARIABLE,
    API_SECRET_VARIABLE,
    BASE_URL_VARIABLE,
    LOCAL_BASE_URL,
    VENDOR_BASE_URL,
    ApiError,
    AuthenticationError,
    BaseUrlMissing,
    Client,
    CredentialsMissing,
    IpRestrictedError,
    TimeRangeError,
    TimestampExpiredError,
    Window,
)
from callrec.wire.times import TimeFormatError, parse_iso_instant

USAGE_ERROR = 2

_HINTS: dict[type[ApiError], str] = {
    AuthenticationError: f"check {API_KEY_VARIABLE} and {API_SECRET_VARIABLE}",
    IpRestrictedError: "this IP is on the server's deny list, or locked out for a while after "
    "failed signs",
    TimestampExpiredError: "this machine's clock is far from the server's; sync it (NTP)",
    TimeRangeError: "the window is longer, or reaches further back, than this server allows",
}


def base_url_option() -> Any:
    return typer.Option(
        None,
        "--base-url",
        envvar=BASE_URL_VARIABLE,
        show_envvar=True,
        help=f"The server to ask, required: {VENDOR_BASE_URL} (the vendor) or e.g. "
        f"{LOCAL_BASE_URL} (callrec on this machine).",
    )


def api_key_option() -> Any:
    return typer.Option(
        None,
        "--api-key",
        envvar=API_KEY_VARIABLE,
        show_envvar=True,
        help=f"The API key. The secret is read from {API_SECRET_VARIABLE}, never from a flag.",
    )


def from_option() -> Any:
    return typer.Option(
        ...,
        "--from",
        help="Window start, ISO 8601 with a UTC offset (2024-01-01T00:00:00+08:00). Record "
        "times are written in this offset.",
    )


def to_option() -> Any:
    return typer.Option(..., "--to", help="Window end (exclusive), ISO 8601 with a UTC offset.")


def window_from_options(start: str, end: str) -> Window:
    """The window of ``--from``/``--to``; a malformed time is a one-line usage error."""
    for flag, text in (("--from", start), ("--to", end)):
        try:
            parse_iso_instant(text)
        except TimeFormatError as exc:
            fail(f"{flag} {text!r}: {exc}", USAGE_ERROR)
    window = Window.of(start, end)
    if window.end <= window.start:
        fail("--to must be later than --from", USAGE_ERROR)
    return window


def describe(error: ApiError) -> str:
    tries = f" (after {error.attempts} attempts)" if error.attempts > 1 else ""
    if error.status is None:
        return f"{error}{tries}"
    hint = next((text for cls, text in _HINTS.items() if isinstance(error, cls)), None)
    answer = f"the server answered {error.status}: {error.reason}{tries}"
    return f"{answer} ({hint})" if hint else answer


@contextmanager
def client_errors_as_one_line() -> Iterator[None]:
    try:
        yield
    except ApiError as error:
        fail(describe(error))


@contextmanager
def connect(
    base_url: str | None, api_key: str | None, max_window_days: int = 31
) -> Iterator[Client]:
    """A client for the command; every client failure inside becomes one line and exit 1."""
    try:
        client = Client(api_key, None, base_url=base_url, max_window_days=max_window_days)
    except BaseUrlMissing:
        fail(
            f"no server to ask: pass --base-url or set {BASE_URL_VARIABLE}, e.g. "
            f"{VENDOR_BASE_URL} (the vendor) or {LOCAL_BASE_URL} (callrec on this machine)",
            USAGE_ERROR,
        )
    except CredentialsMissing as exc:
        flag = " or pass --api-key" if exc.what == "key" else ""
        fail(f"no API {exc.what}: set {exc.variable}{flag}")
    with client, client_errors_as_one_line():
        yield client
