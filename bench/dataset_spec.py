"""Who is in the benchmark dataset: workspaces of very different sizes, their numbers, decks
and exchange rates. Everything here is a pure function of the seed.

One huge workspace takes over half of all calls, a few medium ones most of the rest, and
many tiny ones share a few percent, as on a real platform: the page query must stay fast for
the giant without the tiny ones paying for it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from callrec.demo.generator import DESTINATIONS
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import INCOMING, OUTGOING, RateRow

DECK_EFFECTIVE_US = 0  # decks and exchange rates are in force for every generated call
FX_TO_USD = {"EUR": Decimal("1.0832"), "GBP": Decimal("1.2714"), "INR": Decimal("0.011985")}


@dataclass(frozen=True, slots=True)
class OwnNumberPlan:
    """Where a workspace's own numbers come from: never a prefix remote parties are drawn
    from, so no call is routed to two workspaces by accident."""

    ccode: str
    prefix: str
    subscriber_digits: int
    number_type: str


OWN_NUMBER_PLANS = (
    OwnNumberPlan("91", "9180", 8, "FIXED"),  # Bengaluru landlines
    OwnNumberPlan("44", "4420", 8, "FIXED"),  # London
    OwnNumberPlan("1", "1212", 7, "FIXED"),  # New York
    OwnNumberPlan("49", "4930", 8, "FIXED"),  # Berlin
)


@dataclass(frozen=True, slots=True)
class WorkspaceSpec:
    name: str
    share: float  # of all calls
    currency: str
    number_count: int
    utc_shift_hours: int  # where its callers live: shifts the busy hours of the day


@dataclass(frozen=True, slots=True)
class OwnNumber:
    number: str
    number_type: str
    app_id: str


def workspace_specs() -> list[WorkspaceSpec]:
    """1 huge (55 %), 4 medium (8 % each), 5 small (1.8 % each), 40 tiny (0.1 % each)."""
    specs = [WorkspaceSpec("huge", 0.55, "EUR", 240, 0)]
    medium = (("USD", -5), ("INR", 5), ("GBP", 0), ("USD", -8))
    for index, (currency, shift) in enumerate(medium, start=1):
        specs.append(WorkspaceSpec(f"medium-{index}", 0.08, currency, 24, shift))
    for index in range(1, 6):
        specs.append(WorkspaceSpec(f"small-{index}", 0.018, "USD", 6, index % 3 * 4 - 4))
    for index in range(1, 41):
        currency = ("USD", "EUR", "INR", "GBP")[index % 4]
        specs.append(WorkspaceSpec(f"tiny-{index:02d}", 0.001, currency, 1 + index % 2, 0))
    return specs


def own_numbers(specs: list[WorkspaceSpec], seed: int) -> dict[str, list[OwnNumber]]:
    """Distinct numbers per workspace, spread over the four own-number countries."""
    rng = random.Random(seed * 1_000_003 + 1)
    taken: set[str] = set()
    result: dict[str, list[OwnNumber]] = {}
    for spec in specs:
        numbers: list[OwnNumber] = []
        while len(numbers) < spec.number_count:
            plan = OWN_NUMBER_PLANS[len(numbers) % len(OWN_NUMBER_PLANS)]
            subscriber = rng.randrange(
                10 ** (plan.subscriber_digits - 1), 10**plan.subscriber_digits
            )
            number = f"{plan.prefix}{subscriber}"
            if number in taken:
                continue
            taken.add(number)
            app_id = f"{spec.name}-app-{len(numbers) % 3 + 1}"
            numbers.append(OwnNumber(number, plan.number_type, app_id))
        result[spec.name] = numbers
    return result


def deck_for(spec: WorkspaceSpec, seed: int) -> list[RateRow]:
    """Outgoing rates for every destination, incoming for every own-number country; each
    workspace negotiated its own prices (within ±25 % of list) in its quote currency."""
    rng = random.Random(f"{seed}:{spec.name}")
    to_quote = Decimal(1) / FX_TO_USD.get(spec.currency, Decimal(1))
    rows = []
    for destination in DESTINATIONS:
        factor = Decimal(rng.randrange(75, 126)) / 100
        rate = (destination.rate * factor * to_quote).quantize(Decimal("0.000001"))
        rows.append(
            RateRow(destination.ccode, OUTGOING, DECK_EFFECTIVE_US, rate, destination.period)
        )
    for plan in OWN_NUMBER_PLANS:
        rate = (Decimal("0.0040") * to_quote).quantize(Decimal("0.000001"))
        rows.append(RateRow(plan.ccode, INCOMING, DECK_EFFECTIVE_US, rate, ChargedPeriod(60, 60)))
    return rows
