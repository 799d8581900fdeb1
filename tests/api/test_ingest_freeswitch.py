"""``POST /ingest/freeswitch`` against the real server, as mod_json_cdr would call it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from callrec.ingest.pipeline import Pipeline
from callrec.ingest.runner import run_ingest
from callrec.ingest.sources.freeswitch import FreeswitchOptions, read_cdr_files
from callrec.store import ingest_sources
from callrec.store.schema import ingest_sources as ingest_sources_table
from tests.helpers import RunningServer
from tests.ingest.sources.support import quarantined, set_up_acme, stored

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "freeswitch"
PATH = "/ingest/freeswitch"
A_LEG = "7f4de4bc-4d64-4a2c-9b2b-2f5a3c1e8a01"
B_LEG = "c2a9e1f0-8b7d-4e3a-a1c4-5d6e7f809102"
ENCODINGS = {
    "json": ("a-leg.json", "application/json"),
    "form": ("a-leg.form.txt", "application/x-www-form-urlencoded"),
    "base64": ("a-leg.base64.txt", "application/x-www-form-base64-encoded"),
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def post(
    server: RunningServer,
    body: bytes,
    content_type: str = "application/json",
    auth: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    uuid: str = A_LEG,
) -> httpx.Response:
    with server.client() as http:
        return http.post(
            PATH,
            params={"uuid": uuid},
            content=body,
            auth=auth,
            headers={"Content-Type": content_type, "User-Agent": "freeswitch-json/1.0"}
            | (headers or {}),
        )


@pytest.fixture
def source(engine: Engine) -> tuple[str, str]:
    set_up_acme(engine)
    created = ingest_sources.create_source(engine, "fs1")
    return created.source.username, created.secret


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_an_a_leg_in_each_encoding_is_stored_and_rated(
    encoding: str, server: RunningServer, engine: Engine, source: tuple[str, str]
) -> None:
    name, content_type = ENCODINGS[encoding]
    response = post(server, fixture(name), content_type, source)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "accepted": 1, "duplicates": 0, "conflicts": 0, "quarantined": 0, "skipped": 0,
        "rejected": [],
    }  # fmt: skip
    record = stored(engine)[A_LEG]
    assert (record["caller"], record["called"]) == ("915027021995", "919812345678")
    assert (record["call_duration"], record["charged_duration"]) == (62, 120)
    assert record["pay_micros"] == 25_664
    assert record["recording_url"] == "https://rec.example.net/2024/01/01/7f4de4bc.wav?token=a&b"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("b-leg.json", "application/json"),
        ("b-leg.form.txt", "application/x-www-form-urlencoded"),
        ("b-leg.base64.txt", "application/x-www-form-base64-encoded"),
    ],
)
def test_a_b_leg_is_answered_2xx_and_not_stored(
    name: str, content_type: str, server: RunningServer, engine: Engine, source: tuple[str, str]
) -> None:
    response = post(server, fixture(name), content_type, source, uuid=B_LEG)
    assert response.status_code == 200, response.text
    assert response.json()["skipped"] == 1
    assert response.json()["accepted"] == 0
    assert stored(engine) == {}


def test_a_source_that_keeps_b_legs_stores_them(server: RunningServer, engine: Engine) -> None:
    set_up_acme(engine)
    created = ingest_sources.create_source(engine, "fs-b", skip_b_legs=False)
    auth = (created.source.username, created.secret)
    response = post(server, fixture("b-leg.json"), auth=auth, uuid=B_LEG)
    assert response.json()["accepted"] == 1
    assert set(stored(engine)) == {B_LEG}


def test_a_retried_post_is_a_duplicate_not_a_second_charge(
    server: RunningServer, engine: Engine, source: tuple[str, str]
) -> None:
    assert post(server, fixture("a-leg.json"), auth=source).json()["accepted"] == 1
    again = post(server, fixture("a-leg.form.txt"), "application/x-www-form-urlencoded", source)
    assert again.status_code == 200
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 1)
    assert again.json()["conflicts"] == 0
    assert len(stored(engine)) == 1


def test_the_same_cdr_from_a_file_and_over_http_is_stored_once(
    server: RunningServer, engine: Engine, source: tuple[str, str]
) -> None:
    from_file = run_ingest(Pipeline(engine), read_cdr_files(FIXTURES / "a-leg.json",
                                                            FreeswitchOptions()))  # fmt: skip
    assert from_file.accepted == 1
    response = post(server, fixture("a-leg.base64.txt"), "application/x-www-form-base64-encoded",
                    source)  # fmt: skip
    assert response.json()["duplicates"] == 1
    assert len(stored(engine)) == 1


def test_an_unrouted_cdr_is_quarantined_and_answered_2xx(
    server: RunningServer, engine: Engine, source: tuple[str, str]
) -> None:
    doc = json.loads(fixture("a-leg.json"))
    doc["variables"]["caller_id_number"] = "%2B4930901820"
    doc["variables"]["destination_number"] = "%2B4930901821"
    response = post(server, json.dumps(doc).encode(), auth=source)
    assert response.status_code == 200
    assert response.json()["quarantined"] == 1
    assert stored(engine) == {}
    kept = quarantined(engine)[A_LEG]
    assert (kept["caller"], kept["called"], kept["source"]) == (
        "+4930901820", "+4930901821", "http:freeswitch"
    )  # fmt: skip


def test_a_source_without_encode_values_takes_values_as_written(
    server: RunningServer, engine: Engine
) -> None:
    set_up_acme(engine)
    created = ingest_sources.create_source(engine, "fs-plain", encode_values=False)
    doc = json.loads(fixture("a-leg.json"))
    doc["variables"]["caller_id_number"] = "+915027021995"
    doc["variables"]["destination_number"] = "+919812345678"
    doc["variables"]["recording_file_url"] = "https://rec.example.net/a%20b.wav"
    response = post(server, json.dumps(doc).encode(), auth=(created.source.username,
                                                           created.secret))  # fmt: skip
    assert response.json()["accepted"] == 1
    assert stored(engine)[A_LEG]["recording_url"] == "https://rec.example.net/a%20b.wav"


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (b"{", "application/json", "not valid JSON"),
        (b'{"variables": {"uuid": "x"}}', "application/json", "variables.start_epoch: is required"),
        (b"uuid=1", "application/x-www-form-urlencoded", "a form body must have a cdr field"),
        (b"cdr=!!!", "application/x-www-form-base64-encoded", "cdr: not valid base64"),
        (b"", "application/json", "the body is empty"),
    ],
)
def test_a_malformed_document_is_a_4xx_with_a_short_json_error(
    body: bytes,
    content_type: str,
    error: str,
    server: RunningServer,
    engine: Engine,
    source: tuple[str, str],
) -> None:
    response = post(server, body, content_type, source)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"].startswith(error)
    assert set(response.json()) == {"error"}
    assert stored(engine) == {}


@pytest.mark.parametrize(
    "auth",
    [
        None,
        ("fs1", "wrong-password"),
        ("nobody", "wrong-password"),
    ],
)
def test_bad_credentials_are_401_with_a_basic_challenge(
    auth: tuple[str, str] | None, server: RunningServer, engine: Engine, source: tuple[str, str]
) -> None:
    response = post(server, fixture("a-leg.json"), auth=auth)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="callrec ingest"'
    assert "error" in response.json()
    assert stored(engine) == {}


@pytest.mark.parametrize(
    "header", ["Bearer {secret}", "Basic !!notbase64", "Basic Zm9v", "Digest username=fs1"]
)
def test_other_authorization_forms_are_401(
    header: str, server: RunningServer, engine: Engine, source: tuple[str, str]
) -> None:
    value = header.replace("{secret}", source[1])
    response = post(server, fixture("a-leg.json"), headers={"Authorization": value})
    assert response.status_code == 401


def test_a_disabled_source_is_403(
    server: RunningServer, engine: Engine, source: tuple[str, str]
) -> None:
    ingest_sources.set_source_enabled(engine, "fs1", False)
    response = post(server, fixture("a-leg.json"), auth=source)
    assert response.status_code == 403
    assert response.json() == {"error": "ingest source 'fs1' is disabled"}
    ingest_sources.set_source_enabled(engine, "fs1", True)
    assert post(server, fixture("a-leg.json"), auth=source).status_code == 200


def test_only_the_secrets_digest_is_stored(engine: Engine, source: tuple[str, str]) -> None:
    with engine.connect() as conn:
        row = conn.execute(ingest_sources_table.select()).mappings().one()
    assert source[1] not in json.dumps({k: str(v) for k, v in row.items()})
    assert row["secret_sha256"] == ingest_sources.secret_digest(source[1])


def test_an_oversized_body_is_413(
    server: RunningServer, engine: Engine, source: tuple[str, str]
) -> None:
    response = post(server, b"{" + b" " * (1024 * 1024) + b"}", auth=source)
    assert response.status_code == 413
    assert "exceeds 1048576 bytes" in response.json()["error"]


def test_a_storage_failure_is_a_500_so_the_module_retries(
    server: RunningServer, engine: Engine, source: tuple[str, str], monkeypatch: Any
) -> None:
    def broken(self: Pipeline, cdrs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Pipeline, "process", broken)
    response = post(server, fixture("a-leg.json"), auth=source)
    assert response.status_code == 500
    assert "disk on fire" not in response.text
    assert response.json()["error"].startswith("internal error (request id ")
