"""One delivery: POST a batch to its receiver, bounded in time, and say how it went.

Any 2xx answer is success. Anything else is a failure with a short reason: another status
(redirects are not followed), no answer within the timeout, a refused connection, or a URL
that now resolves to an address pushes may not go to.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from callrec.push.settings import PushSettings
from callrec.push.signature import push_headers
from callrec.push.url_safety import CheckedTarget, UnsafeUrl, hostname, resolve_push_url
from callrec.store.push_batches import ClaimedBatch

# How much of a failing receiver's answer is kept as the error.
ERROR_BODY_BYTES = 200


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivered: bool
    error: str | None = None
    # For metrics: delivered, http_status, timeout, connection, refused (an unsafe URL), error.
    kind: str = "delivered"


def _failure(exc: httpx.HTTPError) -> DeliveryResult:
    detail = " ".join(str(exc).split()) or exc.__class__.__name__
    if isinstance(exc, httpx.ConnectError):
        return DeliveryResult(False, f"connection failed: {detail}", "connection")
    return DeliveryResult(False, f"{exc.__class__.__name__}: {detail}", "error")


async def _answer_snippet(response: httpx.Response) -> str:
    read = b""
    async for chunk in response.aiter_raw():
        read += chunk
        if len(read) >= ERROR_BODY_BYTES:
            break
    text = read[:ERROR_BODY_BYTES].decode("utf-8", "replace")
    return " ".join(text.split())


async def _post(
    client: httpx.AsyncClient, target: CheckedTarget, body: bytes, headers: dict[str, str]
) -> DeliveryResult:
    """POST to each checked address in turn until one connects; judge its answer."""
    host_header = target.url.netloc.decode("ascii")
    extensions = {"sni_hostname": hostname(target.url)} if target.url.scheme == "https" else {}
    connect_error: httpx.HTTPError | None = None
    for pinned in target.pinned_urls():
        request = client.build_request(
            "POST",
            pinned,
            content=body,
            headers={**headers, "Host": host_header},
            extensions=extensions,
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.ConnectError as exc:
            connect_error = exc
            continue
        try:
            if 200 <= response.status_code < 300:
                return DeliveryResult(True)
            snippet = await _answer_snippet(response)
            reason = f"HTTP {response.status_code}"
            error = f"{reason}: {snippet}" if snippet else reason
            return DeliveryResult(False, error, "http_status")
        finally:
            await response.aclose()
    assert connect_error is not None
    return _failure(connect_error)


async def deliver(
    client: httpx.AsyncClient, batch: ClaimedBatch, body: bytes, settings: PushSettings
) -> DeliveryResult:
    """Send one batch; never raises for anything the receiver or the network does."""
    headers = push_headers(batch.delivery_id, batch.attempt, int(time.time()), body, batch.secret)
    try:
        async with asyncio.timeout(settings.timeout_seconds):
            target = await resolve_push_url(batch.url, settings.allow_private)
            return await _post(client, target, body, headers)
    except TimeoutError:
        return DeliveryResult(False, f"no answer within {settings.timeout_seconds:g} s", "timeout")
    except UnsafeUrl as exc:
        return DeliveryResult(False, f"refused: {exc}", "refused")
    except httpx.HTTPError as exc:
        return _failure(exc)
