"""One queryPage exchange, without I/O: the signed request, and reading the answer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import msgspec

from callrec import __version__
from callrec.client._errors import UnexpectedResponseError, error_for_status
from callrec.client._models import MalformedAnswer, Page, parse_page
from callrec.client._windows import Window
from callrec.wire.body_sign import BODY_SIGNATURE_HEADER, body_signature
from callrec.wire.sign import compute_sign
from callrec.wire.status import Status

QUERY_PAGE_PATH = "/v3/number/record/queryPage"
CONTENT_TYPE = "application/json;charset=UTF-8"
USER_AGENT = f"callrec-client/{__version__}"

# Numbers with a fraction become Decimal, never float: a server that sends ``pay`` as a JSON
# number (the vendor's table calls it a Double) still yields exact money.
_decoder = msgspec.json.Decoder(float_hook=Decimal)


@dataclass(frozen=True, slots=True)
class Credentials:
    api_key: str
    api_secret: str

    def headers(self, timestamp: str, body: bytes, path: str = QUERY_PAGE_PATH) -> dict[str, str]:
        # The body signature goes on every request: keys that require it check it, others
        # (and the vendor's servers) ignore an extra header.
        return {
            "Content-Type": CONTENT_TYPE,
            "User-Agent": USER_AGENT,
            "Api-Key": self.api_key,
            "Timestamp": timestamp,
            "Sign": compute_sign(self.api_key, self.api_secret, timestamp),
            BODY_SIGNATURE_HEADER: body_signature(self.api_secret, timestamp, "POST", path, body),
        }


def request_body(window: Window, current: int, size: int) -> bytes:
    return msgspec.json.encode({"current": current, "size": size, "params": window.params()})


def unexpected(response: httpx.Response, problem: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"unexpected answer from {response.request.url}: {problem}", response
    )


def envelope_data(response: httpx.Response, decoder: msgspec.json.Decoder[Any]) -> Any:
    """The contract envelope's ``data`` on success; the matching ``ApiError`` otherwise."""
    if response.status_code != 200:
        raise unexpected(response, f"HTTP {response.status_code}")
    try:
        envelope: Any = decoder.decode(response.content)
    except msgspec.DecodeError:
        raise unexpected(response, "the body is not JSON") from None
    if not isinstance(envelope, dict) or "status" not in envelope:
        raise unexpected(response, "the body has no status")
    status = str(envelope["status"])
    if status != Status.SUCCESS:
        raise error_for_status(status, str(envelope.get("reason") or ""), response)
    return envelope.get("data")


def read_page(response: httpx.Response, window: Window) -> Page:
    """The page of a successful answer; otherwise the matching ``ApiError`` is raised."""
    data = envelope_data(response, _decoder)
    try:
        return parse_page(data, window.tz)
    except MalformedAnswer as exc:
        raise unexpected(response, str(exc)) from exc
