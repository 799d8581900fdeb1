"""What every signed vendor endpoint shares: headers, sign, tolerance, lockout, the key's
switches and rate limit, the body's limits, the order of those checks, and the envelope.

An endpoint supplies only what it does with an authenticated body (``Handler``); ``endpoint``
wraps it in the contract's order of checks (contract.md, "Order of checks") and turns every
outcome into HTTP 200 with an envelope. queryPage and the number API are built this way.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from callrec.api.client_ip import IPAddress
from callrec.api.request_log import RequestFacts, facts_of
from callrec.api.state import ServiceState
from callrec.api.vendor.body_signature import (
    BODY_SIGNATURE_FAILED,
    body_signature_refused,
)
from callrec.store.accounts import KeyCredentials
from callrec.wire.records import encode_failure
from callrec.wire.status import ContractError, Status, parameter_error

log = logging.getLogger("callrec.api")

MAX_BODY_BYTES = 64 * 1024
JSON_MEDIA_TYPE = "application/json;charset=UTF-8"

# The endpoint's work once the caller is known: the answer's bytes, or a ContractError.
Handler = Callable[[ServiceState, KeyCredentials, bytes], Awaitable[bytes]]


def _is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, refused (``-22``) past ``max_bytes`` without reading further."""
    if not _is_json_media_type(request.headers.get("content-type")):
        raise parameter_error("Content-Type must be application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise parameter_error(f"request body exceeds {max_bytes} bytes")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > max_bytes:
            raise parameter_error(f"request body exceeds {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _body_or_error(
    request: Request, max_bytes: int
) -> tuple[bytes | None, ContractError | None]:
    try:
        return await read_body(request, max_bytes), None
    except ContractError as error:
        return None, error


# The headers the guard reads, by their raw (lower-case) names: found in one pass over the
# request's headers instead of a scan per lookup. The first of repeated headers counts, as
# with Starlette's ``Headers.get``.
_SIGNING_HEADERS = {b"api-key": "Api-Key", b"timestamp": "Timestamp", b"sign": "Sign"}


def signing_headers(request: Request) -> dict[str, str]:
    found: dict[str, str] = {}
    for raw_name, raw_value in request.headers.raw:
        name = _SIGNING_HEADERS.get(raw_name)
        if name is not None and name not in found:
            found[name] = raw_value.decode("latin-1")
    return found


async def authenticated_body(
    state: ServiceState,
    request: Request,
    ip: IPAddress | None,
    max_bytes: int,
    facts: RequestFacts,
) -> tuple[KeyCredentials, bytes]:
    """The checks in the contract's order; the caller's credentials and the body they sent.

    The key is checked before the body's own ``-22`` is given: a caller without the secret
    learns nothing about its body. The rate limit comes after the sign, so a stranger's
    requests cannot spend a customer's bucket.
    """
    signed = await state.guard.precheck(ip, signing_headers(request))
    body, body_error = await _body_or_error(request, max_bytes)
    found = await state.reader.credentials(signed.api_key)
    if found is not None:  # a key that exists, whether or not the sign matches: worth logging
        facts.api_key, facts.workspace_id = found.api_key, found.workspace_id
    credentials = state.guard.verify(ip, signed, found)
    if body_signature_refused(credentials, request, signed.timestamp, body):
        raise state.guard.reject(BODY_SIGNATURE_FAILED)
    if state.guard.limiter.enabled:
        await state.guard.admit(credentials)
    if body_error is not None:
        raise body_error
    assert body is not None
    return credentials, body


def _json(body: bytes) -> Response:
    return Response(body, media_type=JSON_MEDIA_TYPE)


def endpoint(
    name: str, handler: Handler, max_body_bytes: int = MAX_BODY_BYTES
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint: every outcome is HTTP 200 with the contract's envelope."""

    async def serve(request: Request) -> Response:
        state: ServiceState = request.app.state.callrec
        ip = state.guard.client_ip(request)
        facts = facts_of(request)
        facts.client_ip = None if ip is None else str(ip)
        try:
            credentials, body = await authenticated_body(state, request, ip, max_body_bytes, facts)
            answer = await handler(state, credentials, body)
            facts.contract_status = Status.SUCCESS.value
            return _json(answer)
        except ContractError as error:
            facts.contract_status = error.status.value
            await state.guard.count_refusal(ip, request.headers, error)
            return _json(encode_failure(error.status.value, error.reason))
        except Exception:
            facts.contract_status = Status.SYSTEM_ERROR.value
            log.exception("%s failed, request id %s", name, facts.request_id)
            return _json(
                encode_failure(
                    Status.SYSTEM_ERROR.value, f"system error (request id {facts.request_id})"
                )
            )

    serve.__name__ = name.replace("/", "_")
    return serve
