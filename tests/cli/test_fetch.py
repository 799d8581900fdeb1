"""``callrec fetch`` against the real server: formats, splitting, the import round trip, errors."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from callrec.model import CallRecord
from callrec.wire.records import RECORD_KEYS
from tests.cli.fetch_support import Remote
from tests.client.support import eur_record, store
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record

FROM, TO = "2024-01-01T00:00:00+08:00", "2024-01-08T00:00:00+08:00"


@pytest.fixture
def remote(server: RunningServer, tenant: Tenant, database_url: str) -> Remote:
    return Remote(server, tenant, database_url)


def _varied_records() -> list[CallRecord]:
    """EUR with settle amounts, USD with nulls, sub-second starts, ties, a recording, incoming."""
    return [
        eur_record("e1", "2024-01-01T00:00:00Z"),
        eur_record("e2", "2024-01-02T10:00:00.999Z", recording_url=""),
        make_record("u1", "2024-01-03T12:00:00Z", call_source=2, hangup_reason=None),
        make_record("u2", "2024-01-03T12:00:00.250Z", number_type=None, app_id=None),
        make_record("u3", "2024-01-03T12:00:00.250Z", ccode=None, country=None),
        make_record(
            "z0", "2024-01-04T00:00:00Z", call_duration=0, charged_duration=0,
            pay=Decimal("0"), sip_code="486", hangup_reason="USER_BUSY",
        ),
        eur_record("q,\"x", "2024-01-05T08:00:00Z", hangup_reason='odd, "quoted"'),
    ]  # fmt: skip


def test_jsonl_has_every_record_with_the_contract_keys_and_offset_times(
    engine: Engine, tenant: Tenant, remote: Remote, tmp_path: Path
) -> None:
    store(engine, tenant, _varied_records())
    store(engine, tenant, [make_record("outside", "2024-01-08T00:00:00+08:00")])
    out = tmp_path / "calls.jsonl"
    result = remote.invoke(["fetch", "--from", FROM, "--to", TO, "-o", str(out), "--size", "2"])
    assert result.exit_code == 0, result.output
    assert "fetched 7 records" in result.stderr
    lines = out.read_text().splitlines()
    documents = [json.loads(line) for line in lines]
    assert [d["callid"] for d in documents] == ["e1", "e2", "u1", "u2", "u3", "z0", 'q,"x']
    assert all(list(d) == list(RECORD_KEYS) for d in documents)
    first = documents[0]
    assert first["startTime"] == "2024-01-01T08:00:00+08:00"
    assert first["endTime"] == "2024-01-01T08:00:10+08:00"
    assert first["pay"] == "0.025600"
    assert first["QuoteExchange"] == "1.0832"
    assert first["callSource"] == 3
    assert documents[2]["SettlePay"] is None
    assert documents[2]["recordingFileUrl"] == ""


def test_stdout_gets_the_same_bytes_as_the_file(
    engine: Engine, tenant: Tenant, remote: Remote, tmp_path: Path
) -> None:
    store(engine, tenant, _varied_records())
    out = tmp_path / "calls.jsonl"
    assert remote.invoke(["fetch", "--from", FROM, "--to", TO, "-o", str(out)]).exit_code == 0
    to_stdout = remote.invoke(["fetch", "--from", FROM, "--to", TO])
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout_bytes == out.read_bytes()


def test_csv_has_a_header_of_the_contract_keys_and_reads_back(
    engine: Engine, tenant: Tenant, remote: Remote, tmp_path: Path
) -> None:
    store(engine, tenant, _varied_records())
    jsonl, table = tmp_path / "calls.jsonl", tmp_path / "calls.csv"
    assert remote.invoke(["fetch", "--from", FROM, "--to", TO, "-o", str(jsonl)]).exit_code == 0
    args = ["fetch", "--from", FROM, "--to", TO, "--format", "csv", "-o", str(table)]
    assert remote.invoke(args).exit_code == 0
    with table.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(RECORD_KEYS)
    documents = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(rows) == 1 + len(documents)
    for row, document in zip(rows[1:], documents, strict=True):
        expected = ["" if v is None else str(v) for v in document.values()]
        assert row == expected
    assert table.read_bytes().count(b"\r\n") == len(rows)


def test_json_is_one_array_of_the_same_records(
    engine: Engine, tenant: Tenant, remote: Remote, tmp_path: Path
) -> None:
    store(engine, tenant, _varied_records())
    jsonl, array = tmp_path / "calls.jsonl", tmp_path / "calls.json"
    assert remote.invoke(["fetch", "--from", FROM, "--to", TO, "-o", str(jsonl)]).exit_code == 0
    args = ["fetch", "--from", FROM, "--to", TO, "--format", "json", "-o", str(array)]
    assert remote.invoke(args).exit_code == 0
    assert json.loads(array.read_text()) == [json.loads(x) for x in jsonl.read_text().splitlines()]
    empty = remote.invoke(
        ["fetch", "--from", TO, "--to", "2024-01-09T00:00:00+08:00", "--format", "json"]
    )
    assert json.loads(empty.stdout) == []


def test_fetched_jsonl_imports_back_with_no_loss(
    engine: Engine,
    tenant: Tenant,
    make_tenant: Callable[..., Tenant],
    remote: Remote,
    tmp_path: Path,
) -> None:
    store(engine, tenant, _varied_records())
    original, copy = tmp_path / "original.jsonl", tmp_path / "copy.jsonl"
    other_offset = ["--from", "2023-12-31T16:00:00-08:00", "--to", "2024-01-07T08:00:00-08:00"]
    assert remote.invoke(["fetch", *other_offset, "-o", str(original)]).exit_code == 0

    twin = make_tenant("twin", "EUR")
    imported = remote.invoke(["records", "import", str(original), "--workspace", "twin", "--json"])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) == {"imported": 7, "duplicates": 0, "rejected": []}

    assert remote.invoke(["fetch", *other_offset, "-o", str(copy)], tenant=twin).exit_code == 0
    assert copy.read_bytes() == original.read_bytes()
    assert len(copy.read_bytes().splitlines()) == 7


def test_a_window_longer_than_the_server_allows_is_split(
    engine: Engine,
    tenant: Tenant,
    start_server: Callable[..., RunningServer],
    database_url: str,
    tmp_path: Path,
) -> None:
    short = Remote(start_server(max_window_days=10), tenant, database_url)
    store(
        engine,
        tenant,
        [make_record(f"d{day:02}", f"2024-01-{day:02}T12:00:00Z") for day in range(1, 26)],
    )
    window = ["--from", "2024-01-01T00:00:00Z", "--to", "2024-01-26T00:00:00Z"]
    refused = short.invoke(["fetch", *window])
    assert refused.exit_code == 1
    assert "-25" in str(refused.exception)
    out = tmp_path / "calls.jsonl"
    fetched = short.invoke(["fetch", *window, "--max-window-days", "10", "-o", str(out)])
    assert fetched.exit_code == 0, fetched.output
    callids = [json.loads(line)["callid"] for line in out.read_text().splitlines()]
    assert callids == [f"d{day:02}" for day in range(1, 26)]


def test_bad_arguments_and_server_refusals_are_one_line_errors(
    remote: Remote, tenant: Tenant
) -> None:
    wrong = Tenant(tenant.workspace, tenant.api_key, "nope")
    assert remote.refusal(["fetch", "--from", FROM, "--to", TO], wrong) == (
        1,
        "the server answered -1: authentication failed: unknown Api-Key or wrong Sign "
        "(check CALLREC_API_KEY and CALLREC_API_SECRET)",
    )
    cases = [
        (["fetch", "--from", "2024-01-01", "--to", TO], 2, "--from '2024-01-01': expected"),
        (["fetch", "--from", TO, "--to", FROM], 2, "--to must be later than --from"),
        (["fetch", "--from", FROM, "--to", TO, "--resume"], 2, "--resume needs -o FILE"),
        (["query", "--from", FROM, "--to", "2024-03-01T00:00:00Z"], 1, "answered -25: "),
        (["summary", "--from", FROM, "--to", "2024-03-01T00:00:00Z", "--max-window-days", "60"],
         1, "answered -25: "),
    ]  # fmt: skip
    for args, code, problem in cases:
        exit_code, message = remote.refusal(args)
        assert exit_code == code
        assert problem in message


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_user_sees_one_line_and_no_traceback(remote: Remote, tenant: Tenant) -> None:
    for args, code in [(["fetch", "--from", FROM, "--to", "2024-01-01"], 2),
                       (["summary", "--from", FROM, "--to", "2024-06-01T00:00:00Z",
                         "--max-window-days", "200"], 1)]:  # fmt: skip
        completed = remote.run(args)
        assert completed.returncode == code
        assert completed.stderr.startswith("error: ")
        assert completed.stderr.count("\n") == 1, completed.stderr
        assert completed.stdout == ""
