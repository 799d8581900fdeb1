"""A month of plausible raw CDRs for one workspace, and the deck that prices them."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from callrec.model import RawCdr
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import INCOMING, OUTGOING, RateRow

MICROS = 1_000_000
DAY_US = 86_400 * MICROS
DECK_EFFECTIVE_US = 0  # the demo deck and exchange rate are in force for any call
DEMO_CURRENCY = "EUR"
DEMO_EXCHANGE = Decimal("1.0832")


@dataclass(frozen=True, slots=True)
class Destination:
    ccode: str
    country: str
    mobile_prefix: str
    subscriber_digits: int
    rate: Decimal
    period: ChargedPeriod
    weight: int


DESTINATIONS = (
    Destination("91", "India", "919", 9, Decimal("0.0128"), ChargedPeriod(60, 60), 40),
    Destination("44", "United Kingdom", "447", 9, Decimal("0.0210"), ChargedPeriod(1, 1), 12),
    Destination("1", "United States", "1415", 7, Decimal("0.0085"), ChargedPeriod(6, 6), 15),
    Destination("49", "Germany", "4915", 9, Decimal("0.0350"), ChargedPeriod(60, 1), 8),
    Destination("62", "Indonesia", "628", 10, Decimal("0.0410"), ChargedPeriod(30, 6), 10),
    Destination("55", "Brazil", "55119", 8, Decimal("0.0290"), ChargedPeriod(30, 6), 7),
    Destination("234", "Nigeria", "2348", 9, Decimal("0.0620"), ChargedPeriod(60, 60), 5),
    Destination(
        "971", "United Arab Emirates", "9715", 8, Decimal("0.0950"), ChargedPeriod(60, 60), 3
    ),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class OwnNumber:
    number: str
    number_type: str
    app_id: str
    destination: Destination


OWN_NUMBERS = (
    OwnNumber("915027021995", "MOBILE", "demo-app-india", DESTINATIONS[0]),
    OwnNumber("915027021996", "MOBILE", "demo-app-india", DESTINATIONS[0]),
    OwnNumber("442071838750", "FIXED", "demo-app-uk", DESTINATIONS[1]),
    OwnNumber("14155550123", "FIXED", "demo-app-us", DESTINATIONS[2]),
)
INCOMING_RATE = Decimal("0.0040")
INCOMING_PERIOD = ChargedPeriod(60, 60)
FAILURES = (
    ("486", "USER_BUSY"),
    ("480", "NO_USER_RESPONSE"),
    ("487", "ORIGINATOR_CANCEL"),
    ("404", "UNALLOCATED_NUMBER"),
    ("503", "NORMAL_TEMPORARY_FAILURE"),
)
# Calls per hour of day (UTC), shaped like a business day in South Asia and Europe.
HOURLY_WEIGHT = (1, 1, 2, 4, 7, 9, 10, 10, 9, 9, 10, 10, 9, 8, 8, 7, 6, 5, 4, 3, 2, 2, 1, 1)


def _random_party(rng: random.Random, destination: Destination) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(destination.subscriber_digits))
    return destination.mobile_prefix + digits


def _talk_seconds(rng: random.Random) -> int:
    # Log-normal: most calls under two minutes, a long tail of conference-length calls.
    return max(1, min(7200, round(math.exp(rng.gauss(3.8, 1.1)))))


def demo_deck() -> list[RateRow]:
    """The demo workspace's deck: a rate per destination, one for incoming calls."""
    rows = [RateRow(d.ccode, OUTGOING, DECK_EFFECTIVE_US, d.rate, d.period) for d in DESTINATIONS]
    for ccode in sorted({own.destination.ccode for own in OWN_NUMBERS}):
        rows.append(RateRow(ccode, INCOMING, DECK_EFFECTIVE_US, INCOMING_RATE, INCOMING_PERIOD))
    return rows


def generate_cdrs(
    count: int, end_us: int, days: int = 30, seed: int = 20240101
) -> Iterator[RawCdr]:
    """``count`` raw CDRs starting within ``days`` before ``end_us``, as a switch reports them."""
    rng = random.Random(seed)
    hours = list(range(24))
    weights = [d.weight for d in DESTINATIONS]
    for sequence in range(count):
        day = rng.randrange(days)
        hour = rng.choices(hours, HOURLY_WEIGHT)[0]
        day_start = (end_us - (day + 1) * DAY_US) // DAY_US * DAY_US
        start_us = day_start + hour * 3600 * MICROS + rng.randrange(3600 * MICROS)
        own = rng.choice(OWN_NUMBERS)
        if rng.random() < 0.7:
            caller, called = own.number, _random_party(rng, rng.choices(DESTINATIONS, weights)[0])
        else:
            caller, called = _random_party(rng, rng.choices(DESTINATIONS, weights)[0]), own.number
        answered = rng.random() < 0.72
        talk = _talk_seconds(rng) if answered else 0
        sip_code, hangup = ("200", "NORMAL_CLEARING") if answered else rng.choice(FAILURES)
        answer_us = start_us + rng.randrange(2 * MICROS, 25 * MICROS)
        callid = f"{sequence:08d}{rng.randrange(10**9):09d}"
        yield RawCdr(
            callid=callid,
            caller=caller,
            called=called,
            start_us=start_us,
            answer_us=answer_us if answered else None,
            end_us=answer_us + talk * MICROS,
            talk_seconds=talk,
            sip_code=sip_code,
            hangup_reason=hangup,
            recording_url=(
                f"https://recordings.callrec.invalid/demo/{callid}.mp3"
                if answered and rng.random() < 0.2
                else ""
            ),
            source="demo",
        )
