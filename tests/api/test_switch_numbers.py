"""``GET /switch/v1/numbers/{number}`` and the greeting it points to, over HTTP on both
backends: what a switch needs for an incoming call, behind an ingest source's Bearer token."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from callrec.store import ingest_sources
from callrec.store.numbers import Rental
from tests.api.number_support import add, b64, edit, mp3
from tests.conftest import Tenant
from tests.helpers import RunningServer


@pytest.fixture
def token(engine: Engine) -> str:
    return ingest_sources.create_source(engine, "edge-switch").secret


def _get(server: RunningServer, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with server.client() as http:
        return http.get(path, headers=headers)


def test_the_routing_facts_of_a_number_with_a_greeting_url_that_serves_it(
    engine: Engine, tenant: Tenant, server: RunningServer, token: str
) -> None:
    add(engine, tenant, rental=Rental(due_date=date(2099, 1, 1)))
    greeting = mp3(3000)
    assert (
        edit(
            server,
            tenant,
            inIp="192.168.10.24:5060",
            inboundPrefix="1",
            enableVoicemail=1,
            voicemailMaxHangup=90,
            voicemailFile=b64(greeting),
            voicemailFileName="hello.mp3",
        )["status"]
        == "0"
    )
    response = _get(server, "/switch/v1/numbers/+915027021995", token)
    assert response.status_code == 200
    facts = response.json()
    url = facts.pop("greetingUrl")
    assert facts == {
        "number": "915027021995",
        "workspace": "acme",
        "appId": "app-1",
        "state": 3,
        "inIp": "192.168.10.24:5060",
        "inboundPrefix": "1",
        "voicemailEnabled": True,
        "voicemailMaxHangup": 90,
        "greetingFileName": "hello.mp3",
    }
    assert url.startswith(server.base_url + "/switch/v1/greetings/")
    audio = _get(server, url.removeprefix(server.base_url), token)
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/mpeg"
    assert audio.content == greeting
    assert _get(server, url.removeprefix(server.base_url), None).status_code == 401


def test_disabled_and_expired_numbers_report_their_state(
    engine: Engine, tenant: Tenant, server: RunningServer, token: str
) -> None:
    add(engine, tenant, "915027021995", rental=Rental(disabled=True))
    add(engine, tenant, "915027021996", rental=Rental(due_date=date(2020, 1, 1)))
    assert _get(server, "/switch/v1/numbers/915027021995", token).json()["state"] == 5
    facts = _get(server, "/switch/v1/numbers/915027021996", token).json()
    assert (facts["state"], facts["greetingUrl"], facts["voicemailEnabled"]) == (4, None, False)


def test_credentials_come_first_then_the_number(
    engine: Engine, tenant: Tenant, server: RunningServer, token: str
) -> None:
    add(engine, tenant)
    for bad in (None, "wrong-token"):
        response = _get(server, "/switch/v1/numbers/915027021995", bad)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    unknown = _get(server, "/switch/v1/numbers/442071838750", token)
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"error": "number 442071838750 is not in the inventory"},
    )
    malformed = _get(server, "/switch/v1/numbers/call-me", token)
    assert malformed.status_code == 400
    assert malformed.json()["error"].startswith("number: ")
    assert _get(server, "/switch/v1/greetings/" + "0" * 32, token).status_code == 404
    assert _get(server, "/switch/v1/greetings/..%2F..%2Fetc", token).status_code == 404
    ingest_sources.set_source_enabled(engine, "edge-switch", False)
    assert _get(server, "/switch/v1/numbers/915027021995", token).status_code == 403


def test_no_greeting_file_outside_the_store_is_ever_served(
    engine: Engine, tenant: Tenant, server: RunningServer, token: str, tmp_path: Path
) -> None:
    add(engine, tenant)
    (tmp_path / "secret.mp3").write_bytes(b"ID3 not yours")
    assert _get(server, "/switch/v1/greetings/secret.mp3", token).status_code == 404
