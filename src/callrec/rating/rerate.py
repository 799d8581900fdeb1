"""Re-pricing a window of stored records after a deck or exchange-rate change.

Idempotent (a second run changes nothing), in chunks of one transaction each, and it never
touches records priced elsewhere (``rating_status`` "external").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine, Row

from callrec.rating.deck import INCOMING, OUTGOING
from callrec.rating.rater import Pricing, price_call, rated_digits
from callrec.store import records
from callrec.store.accounts import Workspace
from callrec.store.dialect import write_transaction
from callrec.store.rating_data import load_deck, load_fx
from callrec.wire.money import from_micros

CHUNK = 2000


@dataclass(slots=True)
class RerateReport:
    examined: int = 0
    changed: int = 0
    pay_before: Decimal = Decimal("0.000000")
    pay_after: Decimal = Decimal("0.000000")
    status_changes: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "examined": self.examined,
            "changed": self.changed,
            "payBefore": f"{self.pay_before:.6f}",
            "payAfter": f"{self.pay_after:.6f}",
            "statusChanges": dict(sorted(self.status_changes.items())),
        }


def rerate(engine: Engine, workspace: Workspace, start_us: int, end_us: int) -> RerateReport:
    report = RerateReport()
    with engine.connect() as conn:
        deck = load_deck(conn, workspace.id)
        fx = load_fx(conn)
    after: tuple[int, str] | None = None
    while True:
        with write_transaction(engine) as conn:
            chunk = records.reratable_chunk(conn, workspace.id, start_us, end_us, after, CHUNK)
            if not chunk:
                break
            updates: list[tuple[Row[Any], Pricing]] = []
            for row in chunk:
                direction = OUTGOING if row.call_source == 3 else INCOMING
                pricing = price_call(
                    row.call_duration,
                    direction,
                    rated_digits(direction, row.number, row.called),
                    row.start_us,
                    deck,
                    workspace.currency,
                    fx,
                )
                report.examined += 1
                if records.pricing_differs(row, pricing):
                    report.changed += 1
                    report.pay_before += from_micros(row.pay_micros)
                    report.pay_after += pricing.pay
                    if row.rating_status != pricing.status:
                        change = f"{row.rating_status}->{pricing.status}"
                        report.status_changes[change] = report.status_changes.get(change, 0) + 1
                    updates.append((row, pricing))
            records.update_pricing(conn, workspace.id, updates)
            after = (chunk[-1].start_us, chunk[-1].callid)
    return report
