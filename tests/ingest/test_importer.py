"""The importer: batches, line numbers, duplicates and exact money, against a real database."""

from __future__ import annotations

import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.ingest.importer import (
    ImportReport,
    Rejection,
    import_priced_file,
    parse_priced_lines,
    store_records,
)
from callrec.store import accounts
from callrec.store.schema import call_records
from tests.helpers import make_record
from tests.ingest.support import usd

START = "2024-01-01T09:00:00Z"


def jsonl(*items: dict[str, Any] | str) -> list[bytes]:
    """Lines as a file yields them: a dict is a record, a str is written as it is."""
    return [(json.dumps(i) if isinstance(i, dict) else i).encode() + b"\n" for i in items]


def stored(engine: Engine, workspace_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(call_records).where(call_records.c.workspace_id == workspace_id)
        ).all()
    return {r.callid: r for r in rows}


def test_parsing_skips_blank_lines_and_numbers_rejections_by_physical_line() -> None:
    lines = jsonl(usd(callid="a"), "", "not json", "   ", usd(callid=...), usd(callid="b"))
    seen: list[int] = []
    report = ImportReport()
    records = list(parse_priced_lines(lines, report, seen.append))
    assert [r.callid for r in records] == ["a", "b"]
    assert [r.line for r in report.rejected] == [3, 5]
    assert report.rejected[1] == Rejection(5, "callid: is required")
    assert seen == [len(line) for line in lines]


def test_duplicates_across_batch_boundaries_are_counted_once_each(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme").id
    callids = ["a", "b", "c", "a", "b", "d", "e", "c", "f"]  # batches of 2: ab|ca|bd|ec|f
    report = ImportReport()
    store_records(engine, ws, (make_record(c, START) for c in callids), report, batch_size=2)
    assert (report.imported, report.duplicates) == (6, 3)
    assert set(stored(engine, ws)) == set("abcdef")

    rerun = ImportReport()
    store_records(engine, ws, (make_record(c, START) for c in callids), rerun, batch_size=4)
    assert (rerun.imported, rerun.duplicates) == (0, len(callids))


def test_rejections_in_later_batches_keep_their_line_numbers_and_good_lines_land(
    engine: Engine,
) -> None:
    ws = accounts.create_workspace(engine, "acme").id
    lines = jsonl(
        *(usd(callid=f"g{n}") for n in range(1, 6)),  # lines 1-5
        usd(callid="bad-pay", pay="0.1234567"),  # 6
        usd(callid="g1"),  # 7: a duplicate of line 1, two batches later
        "{",  # 8
        usd(callid="g6"),  # 9
    )
    report = ImportReport()
    store_records(engine, ws, parse_priced_lines(lines, report), report, batch_size=2)
    assert report.as_json() == {
        "imported": 6,
        "duplicates": 1,
        "rejected": [
            {"line": 6, "reason": "pay: 0.1234567 has more than 6 decimal places"},
            {"line": 8, "reason": report.rejected[1].reason},
        ],
    }
    assert report.rejected[1].reason.startswith("not valid JSON")
    assert set(stored(engine, ws)) == {f"g{n}" for n in range(1, 7)}


def test_values_the_columns_cannot_hold_reject_their_line_not_the_batch(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme").id
    lines = jsonl(
        usd(callid="before"),
        usd(callid="nul", caller="91\x00"),
        usd(callid="huge", pay="99999999999999999999"),
        usd(callid="long-rate", customerRate="0." + "1" * 40),
        '{"callid": "tiny", "pay": 1e-9999999}',
        usd(callid="after"),
    )
    report = import_priced_file(engine, ws, io.BytesIO(b"".join(lines)))
    assert [r.line for r in report.rejected] == [2, 3, 4, 5]
    assert report.imported == 2
    assert set(stored(engine, ws)) == {"before", "after"}


def test_json_number_money_is_stored_to_the_last_digit(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme", "EUR").id
    text = json.dumps(
        usd(callid="exact", pay="PAY", customerRate="RATE", currency="EUR",
            QuoteExchange="FX", SettlePay="SP")
    )  # fmt: skip
    for name, number in (("PAY", "123456789.123456"), ("RATE", "0.123456789012"),
                         ("FX", "1.08320000"), ("SP", "133728395.061728")):  # fmt: skip
        text = text.replace(f'"{name}"', number)
    report = import_priced_file(engine, ws, [text.encode()])
    assert report.as_json() == {"imported": 1, "duplicates": 0, "rejected": []}
    row = stored(engine, ws)["exact"]
    assert row.pay_micros == 123_456_789_123_456
    assert row.customer_rate == "0.123456789012"
    assert row.quote_exchange == "1.0832"
    assert row.settle_pay_micros == 133_728_395_061_728
