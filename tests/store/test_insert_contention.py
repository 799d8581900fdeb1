"""Another writer commits a batch's callids between its lookup and its claim (issue 14, #4).

The seam is ``claim_callids``: the contender commits just before this writer claims. On
PostgreSQL the contender is a real second connection that commits. On SQLite a second
connection cannot commit there (the writer holds the write lock from ``BEGIN IMMEDIATE``), so
the contender's rows are written through the writer's own connection: the claim meets the
same state either way, rows its lookup did not see.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from callrec.model import CallRecord
from callrec.store import accounts, records
from callrec.store.dialect import write_transaction
from callrec.store.records import InsertOutcome, count_records, insert_records
from callrec.store.schema import call_counts, call_record_ids
from tests.helpers import make_record

START = "2024-01-01T09:00:00Z"


def _contend_before_claim(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, workspace_id: int, rivals: Sequence[CallRecord]
) -> list[InsertOutcome]:
    """Make the next claim meet ``rivals`` committed by another writer; their outcomes."""
    real_claim = records.claim_callids
    outcomes: list[InsertOutcome] = []

    def contended_claim(
        conn: Connection, ws: int, new: dict[str, CallRecord], stored_us: int
    ) -> list[str]:
        if not outcomes:
            outcomes.append(InsertOutcome(0, 0, frozenset()))  # contend once
            if engine.dialect.name == "postgresql":
                with engine.begin() as rival:
                    outcomes[0] = insert_records(rival, workspace_id, rivals)
            else:
                outcomes[0] = insert_records(conn, workspace_id, rivals)
        return real_claim(conn, ws, new, stored_us)

    monkeypatch.setattr(records, "claim_callids", contended_claim)
    return outcomes


def _stored_totals(engine: Engine, workspace_id: int) -> tuple[int, int, int]:
    with engine.connect() as conn:
        ids = conn.execute(select(func.count()).select_from(call_record_ids)).scalar_one()
        counted = conn.execute(select(func.sum(call_counts.c.n))).scalar_one()
        return count_records(conn, workspace_id), ids, int(counted)


@pytest.mark.parametrize(
    ("rival_callids", "expected_ours"),
    [
        (["b"], {"a", "c"}),  # partly contested
        (["a"], {"b", "c"}),  # SQLite claims by executemany first: a conflict first or last
        (["c"], {"a", "b"}),
        (["a", "b", "c"], set()),  # fully contested: nothing left for this writer
    ],
    ids=["partly", "first", "last", "fully"],
)
def test_callids_committed_by_another_writer_before_the_claim_are_duplicates(
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    rival_callids: list[str],
    expected_ours: set[str],
) -> None:
    ws = accounts.create_workspace(engine, "acme", "EUR").id
    batch = [make_record(callid, START) for callid in ("a", "b", "c")]
    rivals = [make_record(callid, START) for callid in rival_callids]
    rival_outcomes = _contend_before_claim(monkeypatch, engine, ws, rivals)

    with write_transaction(engine) as conn:
        outcome = insert_records(conn, ws, batch)

    assert rival_outcomes[0].inserted_callids == set(rival_callids)
    assert outcome.inserted_callids == expected_ours
    assert (outcome.inserted, outcome.duplicates) == (len(expected_ours), len(rival_callids))
    # Each callid stored once, and counted once in the hourly counters.
    assert _stored_totals(engine, ws) == (3, 3, 3)


def test_a_rival_claiming_in_the_same_microsecond_keeps_its_callids(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers whose clocks read the same microsecond: claims are told apart all the same."""
    monkeypatch.setattr(records, "now_micros", lambda: 1_700_000_000_000_000)
    ws = accounts.create_workspace(engine, "acme", "EUR").id
    batch = [make_record(callid, START) for callid in ("a", "b", "c")]
    rival_outcomes = _contend_before_claim(monkeypatch, engine, ws, [make_record("b", START)])

    with write_transaction(engine) as conn:
        outcome = insert_records(conn, ws, batch)

    assert rival_outcomes[0].inserted_callids == {"b"}
    assert outcome.inserted_callids == {"a", "c"}
    assert _stored_totals(engine, ws) == (3, 3, 3)
