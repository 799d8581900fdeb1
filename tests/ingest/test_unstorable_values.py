"""Values PostgreSQL refuses reject their own item, on both backends, and the rest land
(issue 14, #5): NUL characters, lone surrogates and instants outside the years 1 to 9999,
over HTTP (``/ingest/cdrs``, ``/ingest/freeswitch``) and the CLI (``cdr import``,
``records import``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from callrec.ingest.pipeline import Pipeline
from callrec.model import RawCdr
from callrec.store import accounts, ingest_sources
from callrec.store.records import count_records
from tests.cli.support import run_cli
from tests.helpers import RunningServer
from tests.ingest.sources.support import cdr_json as cdr
from tests.ingest.sources.support import set_up_acme, stored
from tests.ingest.support import item as priced_item

FREESWITCH_A_LEG = Path(__file__).resolve().parents[1] / "fixtures" / "freeswitch" / "a-leg.json"
NUL = "\x00"


# (changes to a good CDR, the reason its rejection must give)
UNSTORABLE_CDRS: list[tuple[dict[str, Any], str]] = [
    ({"callid": f"bad{NUL}1"}, "callid: must not contain NUL characters"),
    ({"caller": f"+91502{NUL}7021995"}, "caller: must not contain NUL characters"),
    ({"called": f"+91981{NUL}2345678"}, "called: must not contain NUL characters"),
    ({"hangupReason": f"NORMAL{NUL}"}, "hangupReason: must not contain NUL characters"),
    ({"recordingFileUrl": f"https://rec.invalid/{NUL}"}, "recordingFileUrl: must not contain NUL"),
    (  # year 0 once the offset is applied
        {
            "startTime": "0001-01-01T00:00:00+05:30",
            "answerTime": None,
            "endTime": "2024-01-01T09:01:07Z",
        },
        "startTime: is outside the years 1 to 9999 (UTC)",
    ),
    (  # year 10000 once the offset is applied
        {
            "startTime": "2024-01-01T09:00:00Z",
            "answerTime": None,
            "endTime": "9999-12-31T23:00:00-05:00",
        },
        "endTime: is outside the years 1 to 9999 (UTC)",
    ),
]


def _batch() -> list[dict[str, Any]]:
    """Good CDRs around each unstorable one: ``good-0``, bad, ``good-1``, bad, ..."""
    batch = [cdr("good-0")]
    for number, (changes, _reason) in enumerate(UNSTORABLE_CDRS, start=1):
        batch.append(cdr(f"bad-{number}") | changes)
        batch.append(cdr(f"good-{number}"))
    return batch


def _assert_rejected_by_name(rejected: list[dict[str, str]], where: str) -> None:
    """One rejection per unstorable CDR, located (``item 2``/``line 2``, ...) and explained."""
    assert [r["item"] for r in rejected] == [
        f"{where} {2 * n}" for n in range(1, len(UNSTORABLE_CDRS) + 1)
    ]
    for rejection, (_changes, reason) in zip(rejected, UNSTORABLE_CDRS, strict=True):
        assert rejection["reason"].startswith(reason), rejection


GOOD_CALLIDS = {f"good-{n}" for n in range(len(UNSTORABLE_CDRS) + 1)}


def test_http_batch_rejects_each_unstorable_cdr_and_stores_the_rest(
    server: RunningServer, engine: Engine
) -> None:
    set_up_acme(engine)
    token = ingest_sources.create_source(engine, "billing-export").secret
    with server.client() as http:
        response = http.post(
            "/ingest/cdrs", json=_batch(), headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["accepted"] == len(GOOD_CALLIDS)
    _assert_rejected_by_name(report["rejected"], "item")
    assert set(stored(engine)) == GOOD_CALLIDS


def test_cli_import_names_the_line_of_each_unstorable_cdr_and_stores_the_rest(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    set_up_acme(engine)
    source = tmp_path / "cdrs.jsonl"
    source.write_text("".join(json.dumps(value) + "\n" for value in _batch()))
    result = run_cli(database_url, "cdr", "import", str(source), "--format", "jsonl", "--json")
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert report["accepted"] == len(GOOD_CALLIDS)
    _assert_rejected_by_name(report["rejected"], "line")
    assert set(stored(engine)) == GOOD_CALLIDS


def _freeswitch_document(**variables: str) -> bytes:
    document = json.loads(FREESWITCH_A_LEG.read_text())
    document["variables"].update(variables)
    return json.dumps(document).encode()


NUL_REFUSED = "must not contain NUL characters"


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"hangup_cause": "NORMAL%00CLEARING"}, f"variables.hangup_cause: {NUL_REFUSED}"),
        ({"caller_id_number": "%2B91502%007021995"}, f"variables.caller_id_number: {NUL_REFUSED}"),
        ({"uuid": "7f4de4bc%00"}, f"variables.uuid: {NUL_REFUSED}"),
        (  # json.dumps writes it as the escape \ud800, which JSON decodes to a lone surrogate
            {"hangup_cause": "NORMAL\ud800"},
            "variables.hangup_cause: is not valid Unicode (a lone surrogate)",
        ),
    ],
)
def test_freeswitch_unstorable_variable_is_a_400_naming_it_not_a_500(
    server: RunningServer, engine: Engine, variables: dict[str, str], problem: str
) -> None:
    set_up_acme(engine)
    created = ingest_sources.create_source(engine, "fs1")
    auth = (created.source.username, created.secret)
    with server.client() as http:
        bad = http.post("/ingest/freeswitch", content=_freeswitch_document(**variables), auth=auth)
        good = http.post("/ingest/freeswitch", content=FREESWITCH_A_LEG.read_bytes(), auth=auth)
    assert bad.status_code == 400, bad.text
    assert bad.json() == {"error": problem}
    assert good.status_code == 200, good.text
    assert good.json()["accepted"] == 1
    assert len(stored(engine)) == 1


def test_asterisk_local_times_beyond_the_calendar_are_rejected_by_line(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    set_up_acme(engine)
    row = (
        '"","+915027021995","+919812345678","default","","SIP/a","SIP/b","Dial","",'
        '"{start}","{answer}","{end}",62,60,"ANSWERED","DOCUMENTATION","{uniqueid}",""\n'
    )
    source = tmp_path / "Master.csv"
    source.write_text(
        row.format(start="0001-01-01 00:00:00", answer="", end="2024-01-01 09:01:02",
                   uniqueid="1704099600.1")
        + row.format(start="2024-01-01 09:00:00", answer="2024-01-01 09:00:02",
                     end="2024-01-01 09:01:02", uniqueid="1704099600.2")
    )  # fmt: skip
    result = run_cli(
        database_url, "cdr", "import", str(source), "--format", "asterisk",
        "--tz", "Asia/Kolkata", "--json",
    )  # fmt: skip
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert report["accepted"] == 1
    assert report["rejected"] == [
        {
            "item": "line 1",
            "reason": "start: 0001-01-01 00:00:00 in Asia/Kolkata is outside the years 1 "
            "to 9999 (UTC)",
        }
    ]
    assert set(stored(engine)) == {"1704099600.2"}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"caller": f"9150{NUL}27021995"}, "caller: must not contain NUL characters"),
        ({"startTime": "0001-01-01T00:00:00+01:00"}, "startTime: is outside the years 1 to"),
        ({"endTime": "9999-12-31T23:59:59-00:01"}, "endTime: is outside the years 1 to"),
    ],
)
def test_records_import_rejects_the_unstorable_line_and_stores_the_rest(
    database_url: str, engine: Engine, tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    workspace = accounts.create_workspace(engine, "acme", "EUR")
    lines = [priced_item(callid="p-1"), priced_item(callid="p-2", **changes),
             priced_item(callid="p-3")]  # fmt: skip
    source = tmp_path / "records.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = run_cli(
        database_url, "records", "import", str(source), "--workspace", "acme", "--json"
    )
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert report["imported"] == 2
    assert [r["line"] for r in report["rejected"]] == [2]
    assert report["rejected"][0]["reason"].startswith(reason)
    with engine.connect() as conn:
        assert count_records(conn, workspace.id) == 2


def test_the_pipeline_rejects_an_unstorable_cdr_from_any_source_by_callid(
    engine: Engine,
) -> None:
    """A source that skipped its checks still cannot fail the batch in the database."""
    set_up_acme(engine)

    def raw(callid: str, hangup_reason: str) -> RawCdr:
        return RawCdr(
            callid=callid, caller="+915027021995", called="+919812345678",
            start_us=1_704_099_600_000_000, answer_us=None, end_us=1_704_099_660_000_000,
            talk_seconds=0, sip_code="486", hangup_reason=hangup_reason, recording_url="",
            source="test",
        )  # fmt: skip

    report = Pipeline(engine).process([raw("ok", "USER_BUSY"), raw("nul", f"USER{NUL}BUSY")])
    assert report.accepted == 1
    assert [(e.item, e.reason) for e in report.rejected] == [
        ("callid 'nul'", "hangupReason: must not contain NUL characters")
    ]
    assert set(stored(engine)) == {"ok"}
