"""The two shapes of a call: raw as a switch reports it, and priced as the store keeps it."""

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
    rating_status: str = "external"


MICROS = 1_000_000


@dataclass(frozen=True, slots=True)
class RawCdr:
    """One call as a switch saw it, before routing and rating. Instants are UTC microseconds."""

    callid: str
    caller: str
    called: str
    start_us: int
    answer_us: int | None
    end_us: int
    talk_seconds: int | None  # as the source reported it (billsec, callDuration)
    sip_code: str | None
    hangup_reason: str | None
    recording_url: str
    source: str

    def talk_time(self) -> int:
        """Given talk time, else end - answer (fractions round up), else 0 if never answered."""
        if self.talk_seconds is not None:
            return max(0, self.talk_seconds)
        if self.answer_us is None:
            return 0
        return max(0, -(-(self.end_us - self.answer_us) // MICROS))

    def content_key(self) -> tuple[object, ...]:
        """What must match for a repeated callid to be the same call rather than a conflict."""
        return (self.caller, self.called, self.start_us // MICROS, self.end_us // MICROS,
                self.talk_time(), self.sip_code)  # fmt: skip
