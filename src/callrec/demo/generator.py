"""Generating a month of plausible calls for one workspace, priced by the contract's formulas."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from callrec.model import CallRecord
from callrec.rating.billing import ChargedPeriod, pay_for, settle

MICROS = 1_000_000
DAY_US = 86_400 * MICROS


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


def generate_calls(
    count: int,
    end_us: int,
    days: int = 30,
    currency: str = "EUR",
    quote_exchange: Decimal = Decimal("1.0832"),
    seed: int = 20240101,
) -> Iterator[CallRecord]:
    """``count`` calls starting within ``days`` before ``end_us``, in no particular order."""
    rng = random.Random(seed)
    hours = list(range(24))
    weights = [d.weight for d in DESTINATIONS]
    non_usd = currency != "USD"
    for sequence in range(count):
        day = rng.randrange(days)
        hour = rng.choices(hours, HOURLY_WEIGHT)[0]
        day_start = (end_us - (day + 1) * DAY_US) // DAY_US * DAY_US
        start_us = day_start + hour * 3600 * MICROS + rng.randrange(3600 * MICROS)
        if start_us >= end_us:
            start_us -= DAY_US
        own = rng.choice(OWN_NUMBERS)
        outgoing = rng.random() < 0.7
        if outgoing:
            destination = rng.choices(DESTINATIONS, weights)[0]
            caller, called = own.number, _random_party(rng, destination)
            rate, period = destination.rate, destination.period
        else:
            destination = own.destination
            caller = _random_party(rng, rng.choices(DESTINATIONS, weights)[0])
            called = own.number
            rate, period = INCOMING_RATE, INCOMING_PERIOD
        answered = rng.random() < 0.72
        talk = _talk_seconds(rng) if answered else 0
        sip_code, hangup = ("200", "NORMAL_CLEARING") if answered else rng.choice(FAILURES)
        ring_us = rng.randrange(2 * MICROS, 25 * MICROS)
        charged = period.charged_seconds(talk)
        pay = pay_for(charged, rate)
        settlement = settle(rate, pay, quote_exchange) if non_usd else None
        callid = f"{sequence:08d}{rng.randrange(10**9):09d}"
        yield CallRecord(
            callid=callid,
            number=own.number,
            number_type=own.number_type,
            caller=caller,
            called=called,
            ccode=destination.ccode,
            country=destination.country,
            call_source=3 if outgoing else 2,
            call_duration=talk,
            charged_duration=charged,
            start_us=start_us,
            end_us=start_us + ring_us + talk * MICROS,
            pay=pay,
            sip_code=sip_code,
            recording_url=(
                f"https://recordings.callrec.invalid/demo/{callid}.mp3"
                if answered and rng.random() < 0.2
                else ""
            ),
            hangup_reason=hangup,
            app_id=own.app_id,
            charged_period=str(period),
            customer_rate=rate,
            currency=currency if non_usd else None,
            quote_exchange=quote_exchange if non_usd else None,
            settle_rate=settlement.settle_rate if settlement else None,
            settle_pay=settlement.settle_pay if settlement else None,
        )
