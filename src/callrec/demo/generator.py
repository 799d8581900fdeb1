"""A month of plausible raw CDRs for one workspace, and the deck that prices them."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from callrec.model import RawCdr
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import INCOMING, OUTGOING, RateRow

MICROS = 1_000_000
HOUR_US = 3600 * MICROS
DAY_US = 86_400 * MICROS
DECK_EFFECTIVE_US = 0  # the demo deck and exchange rate are in force for any call
DEMO_CURRENCY = "EUR"
DEMO_TIME_ZONE = "Europe/Berlin"  # the console shows the demo's days in this zone
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
# Calls per day of the week (UTC, Monday first): weekends are quiet.
WEEKDAY_WEIGHT = (1.0, 1.05, 1.05, 1.0, 0.95, 0.45, 0.35)
ANSWER_RATE = 0.72
# Routes that have bad days (country code, how many days of the month): on those days most
# outgoing calls to them fail, as a carrier outage would look in the overview.
TROUBLED_ROUTES = (("234", 4), ("62", 3))
TROUBLED_ANSWER_RATE = 0.15
TROUBLED_FAILURES = (
    ("503", "NORMAL_TEMPORARY_FAILURE"),
    ("503", "NORMAL_TEMPORARY_FAILURE"),
    ("502", "NETWORK_OUT_OF_ORDER"),
    ("408", "RECOVERY_ON_TIMER_EXPIRE"),
)


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


def _hour_slots(end_us: int, days: int) -> tuple[list[int], list[float]]:
    """Starts of the UTC hours from ``days - 1`` days before ``end_us``'s day up to
    ``end_us``, with cumulative weights: the daily shape times the weekly one (the hour
    ``end_us`` falls in counts for the part of it already past)."""
    first = (end_us // DAY_US - (days - 1)) * DAY_US
    starts: list[int] = []
    cumulative: list[float] = []
    total = 0.0
    for start in range(first, end_us, HOUR_US):
        moment = datetime.fromtimestamp(start // MICROS, UTC)
        weight = WEEKDAY_WEIGHT[moment.weekday()] * HOURLY_WEIGHT[moment.hour]
        total += weight * min(1.0, (end_us - start) / HOUR_US)
        starts.append(start)
        cumulative.append(total)
    return starts, cumulative


def _bad_days(seed: int, end_us: int, days: int) -> dict[str, set[int]]:
    """For each troubled route, the UTC days (as day numbers) on which it mostly fails."""
    rng = random.Random(seed * 31 + 7)
    last_day = end_us // DAY_US
    return {
        ccode: {last_day - back for back in rng.sample(range(days), min(count, days))}
        for ccode, count in TROUBLED_ROUTES
    }


def generate_cdrs(
    count: int, end_us: int, days: int = 30, seed: int = 20240101
) -> Iterator[RawCdr]:
    """``count`` raw CDRs in the ``days`` UTC days up to ``end_us`` (today's so far
    included), as a switch reports them: busier on weekdays and in office hours, and with a
    few routes (TROUBLED_ROUTES) failing most of their calls on some days."""
    rng = random.Random(seed)
    weights = [d.weight for d in DESTINATIONS]
    slots, cumulative = _hour_slots(end_us, days)
    bad_days = _bad_days(seed, end_us, days)
    for sequence in range(count):
        slot = rng.choices(slots, cum_weights=cumulative)[0]
        start_us = slot + rng.randrange(min(HOUR_US, end_us - slot))
        own = rng.choice(OWN_NUMBERS)
        far_end = rng.choices(DESTINATIONS, weights)[0]
        outgoing = rng.random() < 0.7
        caller, called = (
            (own.number, _random_party(rng, far_end))
            if outgoing
            else (_random_party(rng, far_end), own.number)
        )
        troubled = outgoing and start_us // DAY_US in bad_days.get(far_end.ccode, ())
        answered = rng.random() < (TROUBLED_ANSWER_RATE if troubled else ANSWER_RATE)
        talk = _talk_seconds(rng) if answered else 0
        if answered:
            sip_code, hangup = "200", "NORMAL_CLEARING"
        else:
            sip_code, hangup = rng.choice(TROUBLED_FAILURES if troubled else FAILURES)
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
