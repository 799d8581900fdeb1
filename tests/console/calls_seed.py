"""Calls for the console's tests: the demo generator's CDRs through the real ingest path
(routed, rated from a deck, stored). acme (EUR, Asia/Kolkata) owns 915027021995 and has the
demo deck and an exchange rate; rival owns 442071838750 and no deck (its calls are unrated);
the demo's other numbers are in no inventory, so their calls go to the quarantine."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from callrec.demo.generator import DECK_EFFECTIVE_US, DEMO_EXCHANGE, demo_deck, generate_cdrs
from callrec.ingest.pipeline import Pipeline
from callrec.ingest.runner import run_ingest
from callrec.rating.fx import FxRate
from callrec.store import accounts
from callrec.store.rating_data import replace_deck_rows, set_fx_rate
from callrec.wire.times import now_micros


def seed_calls(engine: Engine, count: int = 1200, days: int = 10) -> None:
    acme = accounts.get_workspace(engine, "acme")
    with engine.begin() as conn:
        replace_deck_rows(conn, acme.id, demo_deck())
        set_fx_rate(conn, FxRate("EUR", DECK_EFFECTIVE_US, DEMO_EXCHANGE))
    run_ingest(Pipeline(engine), generate_cdrs(count, now_micros(), days=days, seed=5))
