"""Purging one workspace's calls before a moment over real HTTP: bounded, exact rollups and
counters (stats equal to a GROUP BY over what is left), audited, an operator's only."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.records import insert_records
from callrec.store.schema import call_records
from callrec.store.stats import window_stats
from callrec.wire.times import parse_iso_instant
from tests.admin.conftest import Admin, TokenMaker, problem
from tests.store.rollup_oracle import HOUR, assert_rollups_match_records, random_records

BASE = parse_iso_instant("2024-02-20T00:00:00Z").micros
SPAN = 60 * 24 * HOUR
CUT = "2024-03-15T10:30:00+02:00"  # inside an hour and a month, not on either's edge
WINDOW = (BASE - HOUR, BASE + SPAN + HOUR)


def _fill(engine: Engine, seed: int) -> None:
    rng = random.Random(seed)
    for name in ("acme", "rival"):
        ws = accounts.get_workspace(engine, name)
        with engine.begin() as conn:
            insert_records(conn, ws.id, list(random_records(rng, name, 300, BASE, SPAN)))


def _count(engine: Engine, name: str, before_us: int | None = None) -> int:
    ws = accounts.get_workspace(engine, name)
    query = select(func.count()).select_from(call_records)
    query = query.where(call_records.c.workspace_id == ws.id)
    if before_us is not None:
        query = query.where(call_records.c.start_us < before_us)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _oracle_totals(engine: Engine, name: str) -> tuple[int, int, int, int]:
    """attempts, answered, talk seconds, pay in micro-units: summed over the rows left."""
    ws = accounts.get_workspace(engine, name)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT COUNT(*), SUM(CASE WHEN call_duration > 0 THEN 1 ELSE 0 END), "
                "SUM(call_duration), SUM(pay_micros) FROM call_records WHERE workspace_id = :w"
            ),
            {"w": ws.id},
        ).one()
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


def _stats_totals(engine: Engine, name: str) -> tuple[int, int, int, int]:
    ws = accounts.get_workspace(engine, name)
    with engine.connect() as conn:
        totals = window_stats(conn, ws.id, *WINDOW, series="hour").totals
    return (totals.attempts, totals.answered, totals.talk_seconds, sum(totals.amounts.values()))


def _hourly_counters(engine: Engine, name: str) -> dict[int, int]:
    ws = accounts.get_workspace(engine, name)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT hour_us, n FROM call_counts WHERE workspace_id = :w AND n > 0"),
            {"w": ws.id},
        ).all()
    return {int(r.hour_us): int(r.n) for r in rows}


def _oracle_hourly(engine: Engine, name: str) -> dict[int, int]:
    ws = accounts.get_workspace(engine, name)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT start_us - (start_us % :h) AS hour_us, COUNT(*) AS n FROM call_records "
                "WHERE workspace_id = :w GROUP BY start_us - (start_us % :h)"
            ),
            {"w": ws.id, "h": HOUR},
        ).all()
    return {int(r.hour_us): int(r.n) for r in rows}


@pytest.mark.usefixtures("two_tenants")
def test_purge_leaves_stats_and_counters_equal_to_a_group_by_over_what_is_left(
    operator: Admin, engine: Engine
) -> None:
    _fill(engine, 7)
    cut_us = parse_iso_instant(CUT).micros
    doomed = _count(engine, "acme", cut_us)
    rival_before = (_count(engine, "rival"), _stats_totals(engine, "rival"))
    assert 0 < doomed < _count(engine, "acme")
    assert _hourly_counters(engine, "acme") == _oracle_hourly(engine, "acme")

    done = operator.post("/workspaces/acme/purge", json={"before": CUT})
    assert done.status_code == 200, done.text
    assert done.json() == {
        "before": "2024-03-15T08:30:00Z",
        "workspace": "acme",
        "records": doomed,
        "partitionsDropped": [],
    }
    assert _count(engine, "acme", cut_us) == 0
    assert _stats_totals(engine, "acme") == _oracle_totals(engine, "acme")
    assert _hourly_counters(engine, "acme") == _oracle_hourly(engine, "acme")
    assert_rollups_match_records(engine)
    assert (_count(engine, "rival"), _stats_totals(engine, "rival")) == rival_before

    [entry] = [e for e in operator.get("/audit").json()["items"] if e["action"] == "records.purge"]
    assert (entry["objectType"], entry["objectId"]) == ("workspace", "acme")
    assert entry["after"]["records"] == doomed
    assert entry["after"]["before"] == "2024-03-15T08:30:00Z"


@pytest.mark.usefixtures("two_tenants")
def test_a_retried_purge_replays_and_a_second_one_finds_nothing(
    operator: Admin, engine: Engine
) -> None:
    _fill(engine, 8)
    headers = {"Idempotency-Key": "purge-march"}
    first = operator.post("/workspaces/acme/purge", json={"before": "2024-03-01"}, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["records"] > 0
    replay = operator.post("/workspaces/acme/purge", json={"before": "2024-03-01"},
                           headers=headers)  # fmt: skip
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    again = operator.post("/workspaces/acme/purge", json={"before": "2024-03-01"})
    assert again.json()["records"] == 0
    entries = [e for e in operator.get("/audit").json()["items"] if e["action"] == "records.purge"]
    assert [e["after"]["records"] for e in entries] == [0, first.json()["records"]]


@pytest.mark.usefixtures("two_tenants")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"before": "yesterday"}, "before"),
        ({"before": "2024-03-15T10:30:00"}, "before"),  # no offset: ambiguous
        ({"before": "2024-02-30"}, "before"),
        ({}, "before"),
        ({"before": 20240301}, "before"),
        ({"before": "2024-03-01", "workspace": "rival"}, "workspace"),
    ],
)
def test_a_bad_date_is_422_naming_before_and_removes_nothing(
    operator: Admin, engine: Engine, body: dict, field: str
) -> None:
    _fill(engine, 9)
    counts = (_count(engine, "acme"), _count(engine, "rival"))
    problem(operator.post("/workspaces/acme/purge", json=body), 422, field)
    assert (_count(engine, "acme"), _count(engine, "rival")) == counts


@pytest.mark.usefixtures("two_tenants")
def test_only_an_operator_may_purge_and_another_workspace_is_not_found(
    admin_as: Callable[[str | None], Admin], make_token: TokenMaker, engine: Engine
) -> None:
    _fill(engine, 10)
    counts = (_count(engine, "acme"), _count(engine, "rival"))
    body = {"before": "2100-01-01"}
    acme = admin_as(make_token("acme"))
    problem(acme.post("/workspaces/acme/purge", json=body), 403)
    rival = problem(acme.post("/workspaces/rival/purge", json=body), 404)
    missing = problem(acme.post("/workspaces/nosuch/purge", json=body), 404)
    assert rival["detail"].replace("rival", "X") == missing["detail"].replace("nosuch", "X")
    reader = admin_as(make_token(read_only=True))
    problem(reader.post("/workspaces/acme/purge", json=body), 403)
    problem(reader.post("/workspaces/nosuch/purge", json=body), 404)
    assert (_count(engine, "acme"), _count(engine, "rival")) == counts
    operator = admin_as(make_token())
    assert not [e for e in operator.get("/audit").json()["items"]
                if e["action"] == "records.purge"]  # fmt: skip
