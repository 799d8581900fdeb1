"""``callrec cdr import``: every format end to end, through routing, rating and the store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from callrec.cli.main import app
from tests.ingest.sources.support import quarantined, set_up_acme, stored

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def run(database_url: str, engine: Engine) -> Any:
    set_up_acme(engine)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"CALLREC_DATABASE_URL": database_url})

    return invoke


def report(result: Result) -> dict[str, Any]:
    value = json.loads(result.stdout)
    assert isinstance(value, dict)
    return value


def test_jsonl_good_lines_land_bad_ones_are_listed_and_the_exit_is_1(
    run: Any, engine: Engine
) -> None:
    result = run("cdr", "import", str(FIXTURES / "tabular" / "mixed.jsonl"), "--format", "jsonl")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "accepted 2, duplicates 0 (0 conflicting), quarantined 1, skipped 0, rejected 8"
    )
    assert (
        "  line 4: startTime: '2024-01-01T09:10:00' has no UTC offset; write one (e.g. +08:00) "
        "or give the time zone (--tz)" in result.stdout
    )
    assert "  line 8: callid: is required" in result.stdout
    records = stored(engine)
    assert set(records) == {"j-1", "j-2"}
    outgoing = records["j-1"]
    assert outgoing["call_source"] == 3
    assert outgoing["number"] == "915027021995"
    assert outgoing["called"] == "919812345678"
    assert (outgoing["call_duration"], outgoing["charged_duration"]) == (62, 120)
    assert outgoing["pay_micros"] == 25_664  # 120 s at 0.012832 a minute
    assert outgoing["recording_url"] == "https://rec.example.net/j-1.wav"
    incoming = records["j-2"]
    assert (incoming["call_source"], incoming["call_duration"]) == (2, 11)
    assert incoming["pay_micros"] == 5_000  # 60 s at 0.005
    assert set(quarantined(engine)) == {"j-10"}
    assert quarantined(engine)["j-10"]["source"] == "file:jsonl"


def test_csv_with_a_time_zone_and_json_output(run: Any, engine: Engine) -> None:
    result = run(
        "cdr", "import", str(FIXTURES / "tabular" / "mixed.csv"),
        "--format", "csv", "--tz", "Asia/Kolkata", "--json",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert report(result) == {
        "accepted": 4,
        "duplicates": 0,
        "conflicts": 0,
        "quarantined": 0,
        "skipped": 0,
        "rejected": [
            {"item": "line 5", "reason": "expected 11 columns as in the header, got 8"},
            {
                "item": "line 6",
                "reason": "startTime: expected epoch seconds, or YYYY-MM-DDTHH:MM:SS with a "
                "UTC offset (e.g. 2024-01-01T09:00:00+08:00)",
            },
            {"item": "line 9", "reason": "sipCode: '2000' is not a SIP status code (100-699)"},
        ],
    }
    assert set(stored(engine)) == {"c-1", "c-2", "c-3", "c-6"}


def test_asterisk_needs_the_servers_time_zone(run: Any, engine: Engine) -> None:
    result = run("cdr", "import", str(FIXTURES / "asterisk" / "Master-uniqueid.csv"),
                 "--format", "asterisk")  # fmt: skip
    assert result.exit_code == 2
    assert "--tz" in result.stderr
    assert stored(engine) == {}


def test_asterisk_with_uniqueid_then_again_stores_each_call_once(run: Any, engine: Engine) -> None:
    args = ("cdr", "import", str(FIXTURES / "asterisk" / "Master-uniqueid.csv"),
            "--format", "asterisk", "--tz", "Asia/Kolkata", "--json")  # fmt: skip
    first = run(*args)
    assert first.exit_code == 1, first.output
    assert report(first)["accepted"] == 4
    assert report(first)["quarantined"] == 1
    assert [r["item"] for r in report(first)["rejected"]] == ["line 5", "line 6"]
    records = stored(engine)
    assert set(records) == {"1704099600.1", "1704099900.3", "1704100200.5", "1704100500.7"}
    assert records["1704099900.3"]["called"] == "919812345679"  # "0091 98123 45679"
    assert records["1704099900.3"]["sip_code"] == "486"
    assert records["1704099600.1"]["pay_micros"] == 25_664
    second = run(*args)
    assert report(second)["accepted"] == 0
    assert report(second)["duplicates"] == 4
    assert report(second)["conflicts"] == 0
    assert report(second)["quarantined"] == 1  # kept once: the quarantine dedupes too
    assert len(quarantined(engine)) == 1


def test_asterisk_without_uniqueid_hashes_rows_so_reimports_are_duplicates(
    run: Any, engine: Engine
) -> None:
    args = ("cdr", "import", str(FIXTURES / "asterisk" / "Master-basic.csv"),
            "--format", "asterisk", "--tz", "Asia/Kolkata", "--json")  # fmt: skip
    assert report(run(*args))["accepted"] == 2
    again = report(run(*args))
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert all(callid.startswith("ast-") for callid in stored(engine))


def test_freeswitch_directory_skips_the_b_leg(run: Any, engine: Engine, tmp_path: Path) -> None:
    for name in ("a-leg.json", "b-leg.json", "busy-repeated-callflow.json"):
        shutil.copy(FIXTURES / "freeswitch" / name, tmp_path / name)
    result = run("cdr", "import", str(tmp_path), "--format", "freeswitch", "--json")
    assert result.exit_code == 0, result.output
    assert report(result) == {
        "accepted": 2, "duplicates": 0, "conflicts": 0, "quarantined": 0, "skipped": 1,
        "rejected": [],
    }  # fmt: skip
    records = stored(engine)
    a_leg = records["7f4de4bc-4d64-4a2c-9b2b-2f5a3c1e8a01"]
    assert (a_leg["call_source"], a_leg["call_duration"], a_leg["pay_micros"]) == (3, 62, 25_664)
    assert a_leg["recording_url"] == "https://rec.example.net/2024/01/01/7f4de4bc.wav?token=a&b"
    busy = records["0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a"]
    assert (busy["call_source"], busy["call_duration"], busy["pay_micros"]) == (2, 0, 0)
    assert busy["sip_code"] == "486"


def test_freeswitch_keep_b_legs_stores_the_b_leg_too(run: Any, engine: Engine) -> None:
    result = run("cdr", "import", str(FIXTURES / "freeswitch" / "b-leg.json"),
                 "--format", "freeswitch", "--keep-b-legs", "--json")  # fmt: skip
    assert report(result)["accepted"] == 1
    assert set(stored(engine)) == {"c2a9e1f0-8b7d-4e3a-a1c4-5d6e7f809102"}


def test_freeswitch_documents_without_encoded_values(
    run: Any, engine: Engine, tmp_path: Path
) -> None:
    doc = json.loads((FIXTURES / "freeswitch" / "a-leg.json").read_text())
    doc["variables"]["recording_file_url"] = "https://rec.example.net/a%20b.wav"
    doc["variables"]["caller_id_number"] = "+915027021995"
    doc["variables"]["destination_number"] = "+919812345678"
    (tmp_path / "plain.json").write_text(json.dumps(doc))
    result = run("cdr", "import", str(tmp_path / "plain.json"),
                 "--format", "freeswitch", "--no-encode-values")  # fmt: skip
    assert result.exit_code == 0, result.output
    (record,) = stored(engine).values()
    assert record["recording_url"] == "https://rec.example.net/a%20b.wav"


def test_jsonl_from_stdin(database_url: str, engine: Engine) -> None:
    set_up_acme(engine)
    line = (FIXTURES / "tabular" / "mixed.jsonl").read_bytes().splitlines()[0]
    result = CliRunner().invoke(
        app, ["cdr", "import", "-", "--format", "jsonl", "--json"], input=line,
        env={"CALLREC_DATABASE_URL": database_url},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert report(result)["accepted"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing.jsonl", "--format", "jsonl"), "no such file or directory"),
        (("{fixtures}", "--format", "jsonl"), "only --format freeswitch imports directories"),
    ],
)
def test_unusable_paths_are_one_line_errors(run: Any, args: tuple[str, ...], message: str) -> None:
    args = tuple(a.replace("{fixtures}", str(FIXTURES)) for a in args)
    result = run("cdr", "import", *args)
    assert result.exit_code == 1
    assert message in str(result.exception)


def test_an_unknown_time_zone_is_a_usage_error(run: Any) -> None:
    result = run("cdr", "import", str(FIXTURES / "tabular" / "mixed.csv"),
                 "--format", "csv", "--tz", "Mars/Olympus")  # fmt: skip
    assert result.exit_code == 2
    assert "unknown time zone 'Mars/Olympus'" in result.stderr
