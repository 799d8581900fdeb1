"""The call record as it flows from ingest through rating into the store."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One priced call of one workspace. Instants are UTC epoch microseconds; money is exact."""

    callid: str
    number: str
    number_type: str | None
    caller: str
    called: str
    ccode: str | None
    country: str | None
    call_source: int
    call_duration: int
    charged_duration: int
    start_us: int
    end_us: int
    pay: Decimal
    sip_code: str | None
    recording_url: str
    hangup_reason: str | None
    app_id: str | None
    charged_period: str | None
    customer_rate: Decimal | None
    currency: str | None
    quote_exchange: Decimal | None
    settle_rate: Decimal | None
    settle_pay: Decimal | None
