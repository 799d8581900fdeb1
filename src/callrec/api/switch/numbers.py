"""``GET /switch/v1/numbers/{number}`` and ``GET /switch/v1/greetings/{file_id}``.

A switch (FreeSWITCH ``mod_curl``, Kamailio ``http_client``) asks, for each incoming call,
where the called number's calls go: its owner, its state, the interconnect address, the
prefix to add and the voicemail settings with a URL to fetch the greeting. It authenticates
with an ingest source's Bearer token, the credential a switch already holds. The answer is a
flat JSON object, so the switch's JSON helpers read each fact with one key.

Credentials and the number are read in one statement on the API's event-loop reader (no
thread hop, no SQLAlchemy): this runs once per call set-up and must stay under a millisecond.
"""

from __future__ import annotations

import asyncio

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from callrec.api.ingest.answers import IngestHttpError, error_response, internal_error
from callrec.api.ingest.auth import bearer_token, usable_source
from callrec.api.state import ServiceState
from callrec.store import numbers as inventory
from callrec.store.errors import InvalidValue
from callrec.store.greetings import AUDIO_TYPES, greeting_extension
from callrec.store.ingest_sources import IngestSource, secret_digest, source_for_token
from callrec.store.numbers import ROUTING_SQL, routing_from_rows

NUMBER_PATH = "/switch/v1/numbers/{number}"
GREETING_PATH = "/switch/v1/greetings/{file_id}"


class Routing(msgspec.Struct):
    number: str
    workspace: str
    appId: str | None
    state: int
    inIp: str
    inboundPrefix: str
    voicemailEnabled: bool
    voicemailMaxHangup: int | None
    greetingUrl: str | None
    greetingFileName: str | None


_encoder = msgspec.json.Encoder()


def routing_of(number: inventory.NumberSettings, now: float, base_url: str) -> Routing:
    file_id = number.voicemail_file_id
    return Routing(
        number=number.number,
        workspace=number.workspace,
        appId=number.app_id,
        state=number.state(now),
        inIp=number.in_ip,
        inboundPrefix=number.inbound_prefix,
        voicemailEnabled=number.enable_voicemail,
        voicemailMaxHangup=number.voicemail_max_hangup,
        greetingUrl=f"{base_url}switch/v1/greetings/{file_id}" if file_id else None,
        greetingFileName=number.voicemail_file_name,
    )


async def switch_number(request: Request) -> Response:
    state: ServiceState = request.app.state.callrec
    try:
        token = bearer_token(request.headers.get("authorization"))
        try:
            digits = inventory.normalise_digits(request.path_params["number"])
        except InvalidValue as exc:
            raise IngestHttpError(400, f"number: {exc}") from exc
        found = routing_from_rows(
            await state.reader.rows(ROUTING_SQL, (digits, secret_digest(token)))
        )
        if found.source_name is None:
            usable_source(None, "Bearer")
        if not found.source_enabled:
            raise IngestHttpError(403, f"ingest source {found.source_name!r} is disabled")
        if found.number is None:
            raise IngestHttpError(404, f"number {digits} is not in the inventory")
        routing = routing_of(found.number, state.clock(), str(request.base_url))
        return Response(_encoder.encode(routing), media_type="application/json")
    except IngestHttpError as error:
        return error_response(error)
    except Exception:
        return internal_error("switch number lookup")


def _greeting(
    state: ServiceState, token: str, file_id: str
) -> tuple[IngestSource | None, str | None]:
    with state.database.engine.connect() as conn:
        source = source_for_token(conn, token)
        name = inventory.greeting_file_name(conn, file_id) if source else None
    return source, name


async def switch_greeting(request: Request) -> Response:
    state: ServiceState = request.app.state.callrec
    try:
        token = bearer_token(request.headers.get("authorization"))
        file_id = request.path_params["file_id"]
        source, name = await state.database.run(_greeting, state, token, file_id)
        usable_source(source, "Bearer")
        content = await asyncio.to_thread(state.greetings.read, file_id) if name else None
        if name is None or content is None:
            raise IngestHttpError(404, "no such greeting")
        return Response(
            content,
            media_type=AUDIO_TYPES[greeting_extension(name)],
            # A file id is never reused: a new upload gets a new one.
            headers={"Cache-Control": "private, max-age=31536000, immutable"},
        )
    except IngestHttpError as error:
        return error_response(error)
    except Exception:
        return internal_error("switch greeting")
