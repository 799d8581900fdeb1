"""``callrec records import FILE --workspace NAME [--json]``: priced records, JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.records import insert_records
from callrec.store.schema import call_records
from tests.cli.conftest import Cli, sqlite_only
from tests.cli.support import assert_one_line_error, run_cli_concurrently
from tests.helpers import make_record

EUR_RECORD: dict[str, Any] = {
    "callid": "r1", "number": "915027021995", "type": "MOBILE", "caller": "915027021995",
    "called": "919876543210", "ccode": "91", "country": "India", "callSource": 3,
    "callDuration": 10, "chargedDuration": 60, "startTime": "2024-01-01T09:00:00+08:00",
    "endTime": "2024-01-01T09:00:10+08:00", "pay": "0.012832", "sipCode": "200",
    "recordingFileUrl": "", "hangupReason": "NORMAL_CLEARING", "appId": "app-1",
    "chargedPeriod": "60+60", "customerRate": "0.012832", "currency": "EUR",
    "QuoteExchange": "1.0832", "SeptleRate": "0.013900", "SettlePay": "0.013900",
}  # fmt: skip
USD_KEYS_DROPPED = ("currency", "QuoteExchange", "SeptleRate", "SettlePay")


def line(**changes: Any) -> str:
    """The EUR record with ``changes``; a change to ``...`` removes the key."""
    record = {**EUR_RECORD, **changes}
    return json.dumps({k: v for k, v in record.items() if v is not ...})


def usd_line(**changes: Any) -> str:
    return line(**{**dict.fromkeys(USD_KEYS_DROPPED, ...), **changes})


def stored(engine: Engine, workspace_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(call_records).where(call_records.c.workspace_id == workspace_id)
        ).all()
    return {row.callid: row for row in rows}


def test_a_mixed_file_stores_the_good_lines_and_reports_the_rest_by_line(
    cli: Cli, migrated: Engine, tmp_path: Path
) -> None:
    ws = accounts.create_workspace(migrated, "acme", "EUR")
    with migrated.begin() as conn:
        insert_records(conn, ws.id, [make_record("already", "2024-01-01T00:00:00Z")])
    lines = [
        line(),  # 1: good, EUR with settle fields
        "",  # 2: blank
        '{"callid": "cut-off", "pay": ',  # 3: not JSON
        line(callid=...),  # 4: no callid
        line(callid="naive", startTime="2024-01-01T09:00:00"),  # 5: no UTC offset
        line(callid="seventh", pay="0.0128321"),  # 6: a 7th decimal place
        line(callid="source", callSource=4),  # 7: neither incoming nor outgoing
        usd_line(callid="usd-settle", currency="USD", SeptleRate="0.013900"),  # 8
        # 9: good, USD; pay as a JSON number, which must arrive exactly
        usd_line(callid="r2", pay="PAY").replace('"PAY"', "0.1"),
        line(pay="9.999999"),  # 10: r1 again, within the file
        line(callid="already"),  # 11: stored before this import
        "   \t",  # 12: blanks only
        line(callid="r3", startTime="2024-01-02T00:00:00Z", endTime="2024-01-02T00:01:00Z",
             customerRate="0.012345678901"),  # 13: good
    ]  # fmt: skip
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n")

    result = cli("records", "import", str(path), "--workspace", "acme", "--json")

    assert result.returncode == 1, result
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert set(report) == {"imported", "duplicates", "rejected"}
    assert (report["imported"], report["duplicates"]) == (3, 2)
    rejected = report["rejected"]
    assert all(set(r) == {"line", "reason"} for r in rejected)
    assert [r["line"] for r in rejected] == [3, 4, 5, 6, 7, 8]
    reasons = {r["line"]: r["reason"] for r in rejected}
    assert reasons[3].startswith("not valid JSON")
    assert reasons[4] == "callid: is required"
    assert reasons[5].startswith("startTime: expected YYYY-MM-DDTHH:MM:SS with a UTC offset")
    assert reasons[6] == "pay: 0.0128321 has more than 6 decimal places"
    assert reasons[7] == "callSource: must be 2 (incoming) or 3 (outgoing)"
    assert reasons[8] == "SeptleRate: must be null when the quote currency is USD"

    rows = stored(migrated, ws.id)
    assert set(rows) == {"already", "r1", "r2", "r3"}
    r1 = rows["r1"]
    assert (r1.pay_micros, r1.currency, r1.quote_exchange) == (12_832, "EUR", "1.0832")
    assert (r1.settle_rate_micros, r1.settle_pay_micros) == (13_900, 13_900)
    assert (r1.customer_rate, r1.charged_period, r1.number_type) == ("0.012832", "60+60", "MOBILE")
    r2 = rows["r2"]
    assert (r2.pay_micros, r2.currency, r2.quote_exchange, r2.settle_pay_micros) == (
        100_000, None, None, None,
    )  # fmt: skip
    assert rows["r3"].customer_rate == "0.012345678901"
    assert rows["already"].callid == "already"
    assert rows["already"].called == "915027021999"  # the stored record, not line 11's


def test_a_clean_file_exits_0_and_importing_it_again_only_counts_duplicates(
    cli: Cli, migrated: Engine, tmp_path: Path
) -> None:
    ws = accounts.create_workspace(migrated, "acme", "EUR")
    good = [line(callid="a"), usd_line(callid="b")]
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join([good[0], line(callid="bad", pay="-1"), good[1]]))  # no final \n

    first = cli("records", "import", str(path), "--workspace", "acme")
    assert first.returncode == 1, first
    assert first.stdout == (
        "imported 2, duplicates 0, rejected 1\n  line 2: pay: must not be negative\n"
    )

    again = cli("records", "import", "-", "--workspace", "acme", "--json", stdin="\n".join(good))
    assert again.json() == {"imported": 0, "duplicates": 2, "rejected": []}
    assert set(stored(migrated, ws.id)) == {"a", "b"}


def test_the_same_callid_in_two_workspaces_is_two_records(
    database_url: str, migrated: Engine, tmp_path: Path
) -> None:
    acme = accounts.create_workspace(migrated, "acme", "EUR")
    beta = accounts.create_workspace(migrated, "beta", "EUR")
    path = tmp_path / "records.jsonl"
    path.write_text(line() + "\n")
    for result in run_cli_concurrently(
        database_url,
        ("records", "import", str(path), "--workspace", "acme", "--json"),
        ("records", "import", str(path), "--workspace", "beta", "--json"),
    ):
        assert result.json() == {"imported": 1, "duplicates": 0, "rejected": []}
    assert set(stored(migrated, acme.id)) == set(stored(migrated, beta.id)) == {"r1"}


@sqlite_only
def test_a_missing_file_or_unknown_workspace_is_one_line(
    database_url: str, migrated: Engine, tmp_path: Path
) -> None:
    accounts.create_workspace(migrated, "acme")
    present = tmp_path / "present.jsonl"
    present.write_text(line() + "\n")
    missing, unknown = run_cli_concurrently(
        database_url,
        ("records", "import", str(tmp_path / "absent.jsonl"), "--workspace", "acme"),
        ("records", "import", str(present), "--workspace", "nope"),
    )
    assert_one_line_error(missing, "absent.jsonl")
    assert_one_line_error(unknown, "no workspace named 'nope'")
