"""``POST /v3/number/queryPage`` and ``POST /v3/number/edit``: the workspace's numbers.

Signed and checked exactly like queryPage (signed_call.py); the rules of the fields and the
state live in callrec.store.numbers, these handlers only translate to and from the wire.
"""

from __future__ import annotations

from callrec.api.state import ServiceState
from callrec.api.vendor.signed_call import endpoint
from callrec.ingest.enrich import country_of
from callrec.operations import numbers as operations
from callrec.operations.actor import Actor
from callrec.store import numbers as inventory
from callrec.store.accounts import KeyCredentials
from callrec.store.errors import InvalidValue, NotFound
from callrec.wire.numbers import (
    NumberRecord,
    encode_edit_success,
    encode_number_page,
    parse_number_edit,
    parse_number_page_query,
)
from callrec.wire.status import DATA_NOT_FOUND_REASON, ContractError, Status, parameter_error

QUERY_PATH = "/v3/number/queryPage"
EDIT_PATH = "/v3/number/edit"
# base64 of a 5 MB greeting (6.7 MiB) and the other fields; other endpoints keep 64 KiB.
MAX_EDIT_BODY_BYTES = 8 * 1024 * 1024


def number_record(number: inventory.NumberSettings, now_seconds: float) -> NumberRecord:
    country = country_of(number.number)
    return NumberRecord(
        number=number.number,
        appId=number.app_id or "",
        ccode=country.ccode or "",
        country=country.name or "",
        dueDate=number.due_date.isoformat() if number.due_date else "",
        state=number.state(now_seconds),
        inboundPrefix=number.inbound_prefix,
        type=number.type or "",
        autoRenew=int(number.auto_renew),
        outIp=number.out_ip,
        inIp=number.in_ip,
        remark=number.remark,
        enableVoicemail=int(number.enable_voicemail),
        voicemailFileId=number.voicemail_file_id,
        voicemailFileName=number.voicemail_file_name,
        voicemailMaxHangup=number.voicemail_max_hangup,
    )


async def answer_numbers(state: ServiceState, credentials: KeyCredentials, body: bytes) -> bytes:
    query = parse_number_page_query(body)

    def read() -> tuple[int, list[inventory.NumberSettings]]:
        with state.database.engine.connect() as conn:
            return inventory.page_of_numbers(
                conn, credentials.workspace_id, query.app_id, query.offset, query.size
            )

    total, rows = await state.database.run(read)
    now = state.clock()
    records = [number_record(row, now) for row in rows]
    return encode_number_page(total, query.size, query.current, records)


async def answer_edit(state: ServiceState, credentials: KeyCredentials, body: bytes) -> bytes:
    edit = parse_number_edit(body)
    try:
        await state.database.run(
            operations.edit_number,
            state.database.engine,
            state.greetings,
            Actor(f"key:{credentials.api_key}", credentials.workspace_id),
            credentials.workspace_id,
            edit,
        )
    except InvalidValue as exc:
        raise parameter_error(exc.naming()) from exc
    except NotFound as exc:
        raise ContractError(Status.DATA_NOT_FOUND, DATA_NOT_FOUND_REASON) from exc
    return encode_edit_success()


query_numbers = endpoint("number/queryPage", answer_numbers)
edit_number = endpoint("number/edit", answer_edit, MAX_EDIT_BODY_BYTES)
