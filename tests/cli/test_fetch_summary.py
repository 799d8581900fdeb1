"""``callrec summary`` and ``callrec query``: the numbers match the stored records exactly."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.store.schema import call_records
from callrec.wire.money import from_micros
from tests.cli.fetch_support import Remote
from tests.client.support import eur_record, store
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record

# 45 days: more than one server window. Days are counted at UTC+08:00, the offset of --from.
FROM, TO = "2024-03-01T00:00:00+08:00", "2024-04-15T00:00:00+08:00"
PLUS_8 = timezone(timedelta(hours=8))
COUNTRIES = [("91", "India"), ("44", "United Kingdom"), ("1", "United States"), (None, None)]
NUMBERS = ["915027021995", "442071838750", "14155550123"]


@pytest.fixture
def remote(server: RunningServer, tenant: Tenant, database_url: str) -> Remote:
    return Remote(server, tenant, database_url)


def _store_calls(engine: Engine, tenant: Tenant) -> None:
    rng = random.Random(7)
    base = datetime(2024, 2, 29, 16, tzinfo=UTC)  # 2024-03-01 00:00 at +08:00
    calls = []
    for i in range(300):
        # Many calls near 16:00 UTC, the +08:00 midnight, to catch a day counted in UTC.
        start = base + timedelta(days=rng.randrange(45), seconds=rng.choice([-1, 0, 1, 3600]))
        if not base <= start < datetime.fromisoformat(TO) or i == 0:
            start = base
        talk = rng.choice([0, 0, 7, 60, 61, 125, 3599])
        charged = 0 if talk == 0 else -(-talk // 60) * 60
        pay = (Decimal(charged) * Decimal("0.0128") / 60).quantize(Decimal("0.000001"))
        settle = (pay * Decimal("1.0832")).quantize(Decimal("0.000001"))
        ccode, country = COUNTRIES[i % len(COUNTRIES)]
        calls.append(eur_record(
            f"s{i:04}", start.isoformat(), call_duration=talk, charged_duration=charged,
            pay=pay, settle_pay=settle, ccode=ccode, country=country, number=NUMBERS[i % 3],
        ))  # fmt: skip
    calls.append(make_record("usd", "2024-03-05T12:00:00Z", pay=Decimal("1.500000")))
    store(engine, tenant, calls)


def _stored(engine: Engine, tenant: Tenant) -> list[Any]:
    start_us = int(datetime.fromisoformat(FROM).timestamp()) * 1_000_000
    end_us = int(datetime.fromisoformat(TO).timestamp()) * 1_000_000
    with engine.connect() as conn:
        return list(conn.execute(select(call_records).where(
            call_records.c.workspace_id == tenant.workspace.id,
            call_records.c.start_us >= start_us,
            call_records.c.start_us < end_us,
        )))  # fmt: skip


def _summary(remote: Remote, by: str) -> dict[str, Any]:
    result = remote.invoke(["summary", "--from", FROM, "--to", TO, "--by", by, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def _independent(rows: list[Any], key: Any) -> dict[tuple[str, str], dict[str, Any]]:
    groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"calls": 0, "answered": 0, "chargedSeconds": 0, "pay": 0, "usd": 0}
    )
    for row in rows:
        group = groups[key(row), row.currency or "USD"]
        group["calls"] += 1
        group["answered"] += row.call_duration > 0
        group["chargedSeconds"] += row.charged_duration
        group["pay"] += row.pay_micros
        group["usd"] += row.settle_pay_micros if row.currency else row.pay_micros
    return groups


def _day(row: Any) -> str:
    moment = datetime.fromtimestamp(row.start_us // 1_000_000, PLUS_8)
    return moment.date().isoformat()


@pytest.mark.parametrize(
    ("by", "key"),
    [
        ("day", _day),
        ("country", lambda row: row.country or "(unknown)"),
        ("number", lambda row: row.number),
    ],
)
def test_summary_equals_an_independent_sum_over_the_stored_records(
    engine: Engine, tenant: Tenant, remote: Remote, by: str, key: Any
) -> None:
    _store_calls(engine, tenant)
    rows = _stored(engine, tenant)
    summary = _summary(remote, by)
    expected = _independent(rows, key)
    got = {(g["group"], g["currency"]): g for g in summary["groups"]}
    assert set(got) == set(expected)
    for group_key, sums in expected.items():
        line = got[group_key]
        assert line["calls"] == sums["calls"]
        assert line["answered"] == sums["answered"]
        assert line["chargedSeconds"] == sums["chargedSeconds"]
        assert Decimal(line["amount"]) == from_micros(sums["pay"])
        assert Decimal(line["amountUSD"]) == from_micros(sums["usd"])
    totals = {t["currency"]: t for t in summary["totals"]}
    assert set(totals) == {"EUR", "USD"}
    assert sum(t["calls"] for t in totals.values()) == len(rows) == 301
    eur = [row for row in rows if row.currency == "EUR"]
    assert Decimal(totals["EUR"]["amount"]) == from_micros(sum(r.pay_micros for r in eur))
    assert totals["USD"]["amount"] == "1.500000"
    assert Decimal(summary["totalUSD"]) == from_micros(
        sum(r.settle_pay_micros if r.currency else r.pay_micros for r in rows)
    )
    minutes = Decimal(totals["EUR"]["chargedSeconds"]) / 60
    assert totals["EUR"]["chargedMinutes"] == str(minutes.quantize(Decimal("0.01")))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_summary_table_shows_every_group_and_the_exact_total(
    engine: Engine, tenant: Tenant, remote: Remote
) -> None:
    _store_calls(engine, tenant)
    total = _summary(remote, "country")["totals"]
    table = remote.run(["summary", "--from", FROM, "--to", TO, "--by", "country"])
    assert table.returncode == 0, table.stderr
    for name in ("India", "United Kingdom", "United States", "(unknown)", "total"):
        assert name in table.stdout
    for line in total:
        assert line["amount"] in table.stdout  # whole, never cut to fit the terminal
        assert line["amountUSD"] in table.stdout


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_query_shows_one_page_as_a_table(engine: Engine, tenant: Tenant, remote: Remote) -> None:
    store(engine, tenant, [eur_record(f"c{i}", f"2024-03-0{1 + i}T02:00:00Z") for i in range(5)])
    week = ["--from", FROM, "--to", "2024-03-08T00:00:00+08:00"]
    result = remote.run(["query", *week, "--page", "2", "--size", "2"])
    assert result.returncode == 0, result.stderr
    assert "page 2 of 3, 5 records in the window" in result.stdout
    assert "c2" in result.stdout
    assert "c3" in result.stdout
    assert "c1" not in result.stdout
    assert "2024-03-03 10:00:00+08:00" in result.stdout
    assert "0.025600" in result.stdout
