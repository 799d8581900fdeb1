"""``callrec numbers`` and ``callrec number-edit`` against a real server, as customers run them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.api.number_support import add, mp3
from tests.cli.fetch_support import Remote
from tests.conftest import Tenant
from tests.helpers import RunningServer


@pytest.fixture
def remote(server: RunningServer, tenant: Tenant, database_url: str) -> Remote:
    return Remote(server, tenant, database_url)


def test_numbers_lists_every_page_as_json_or_a_table(
    engine: Engine, tenant: Tenant, remote: Remote
) -> None:
    for n in range(3):
        add(engine, tenant, f"91502702199{n}")
    listed = remote.run(["numbers", "--json"])
    assert listed.returncode == 0, listed.stderr
    assert [r["number"] for r in json.loads(listed.stdout)] == [f"91502702199{n}" for n in range(3)]
    table = remote.run(["numbers"])
    assert table.returncode == 0, table.stderr
    assert "915027021992" in table.stdout
    assert "3 in use" in table.stdout


def test_number_edit_configures_and_uploads_a_greeting(
    engine: Engine, tenant: Tenant, remote: Remote, tmp_path: Path
) -> None:
    add(engine, tenant)
    greeting = tmp_path / "welcome.mp3"
    greeting.write_bytes(mp3(1000))
    result = remote.run(
        ["number-edit", "915027021995", "--app-id", "app-1", "--voicemail", "--max-hangup", "45",
         "--greeting", str(greeting), "--in-ip", "sip.example.com:5060", "--json"]
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["enableVoicemail"], shown["voicemailMaxHangup"]) == (1, 45)
    assert (shown["voicemailFileName"], shown["inIp"]) == ("welcome.mp3", "sip.example.com:5060")


def test_number_edit_refusals_are_one_line(engine: Engine, tenant: Tenant, remote: Remote) -> None:
    add(engine, tenant)
    foreign = remote.run(["number-edit", "442071838750", "--app-id", "app-1", "--no-voicemail"])
    assert foreign.returncode == 1
    assert foreign.stderr.strip() == ("error: the server answered -24: data does not exist")
    bad = remote.run(["number-edit", "915027021995", "--app-id", "app-1", "--voicemail"])
    assert bad.returncode == 1
    assert "voicemailMaxHangup is required when enableVoicemail is 1" in bad.stderr
    missing = remote.run(
        [
            "number-edit",
            "915027021995",
            "--app-id",
            "app-1",
            "--no-voicemail",
            "--greeting",
            "/nope.mp3",
        ]
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: --greeting '/nope.mp3': ")
