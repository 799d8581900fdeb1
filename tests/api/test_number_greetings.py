"""Voicemail greetings through ``/v3/number/edit``: the 5 MiB limit (refused before reading
past the 8 MiB body limit), audio types judged by content, and the file store's lifecycle."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.tokens import create_token
from tests.admin.conftest import admin_client
from tests.api.number_support import (
    EDIT,
    MIB,
    NUMBERS,
    add,
    b64,
    call,
    edit,
    m4a,
    mp3,
    record_of,
    wav,
)
from tests.cli.support import run_cli
from tests.conftest import Tenant
from tests.helpers import RunningServer, signed_headers


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return tmp_path / "files"


@pytest.fixture
def server(start_server: Callable[..., RunningServer], files: Path) -> RunningServer:
    return start_server(files_dir=str(files))


def _stored(files: Path) -> list[str]:
    return sorted(p.name for p in files.iterdir()) if files.exists() else []


def test_a_5_mib_greeting_is_accepted_and_stored_byte_for_byte(
    engine: Engine, tenant: Tenant, server: RunningServer, files: Path
) -> None:
    add(engine, tenant)
    content = mp3(5 * MIB)
    document = edit(server, tenant, voicemailFile=b64(content), voicemailFileName="big.mp3")
    assert document["status"] == "0", document["reason"]
    record = record_of(server, tenant, "915027021995")
    assert record["voicemailFileName"] == "big.mp3"
    assert _stored(files) == [record["voicemailFileId"]]
    assert (files / record["voicemailFileId"]).read_bytes() == content


def test_a_greeting_one_byte_over_5_mib_is_refused_and_nothing_is_stored(
    engine: Engine, tenant: Tenant, server: RunningServer, files: Path
) -> None:
    add(engine, tenant)
    document = edit(server, tenant, voicemailFile=b64(mp3(5 * MIB + 1)), voicemailFileName="a.mp3")
    assert document["status"] == "-22"
    assert document["reason"].startswith("voicemailFile ")
    assert "5242880 bytes" in document["reason"]
    assert _stored(files) == []
    assert record_of(server, tenant, "915027021995")["voicemailFileId"] is None


@pytest.mark.parametrize(("make", "name"), [(wav, "hello.wav"), (m4a, "hello.m4a")])
def test_wav_and_m4a_greetings_are_accepted(
    engine: Engine,
    tenant: Tenant,
    server: RunningServer,
    make: Callable[[int], bytes],
    name: str,
) -> None:
    add(engine, tenant)
    document = edit(server, tenant, voicemailFile=b64(make(4096)), voicemailFileName=name)
    assert document["status"] == "0", document
    assert record_of(server, tenant, "915027021995")["voicemailFileName"] == name


def test_a_new_upload_gets_a_new_id_and_the_old_file_goes_and_empty_clears(
    engine: Engine, tenant: Tenant, server: RunningServer, files: Path
) -> None:
    add(engine, tenant)
    edit(server, tenant, voicemailFile=b64(mp3(100)), voicemailFileName="one.mp3")
    first = record_of(server, tenant, "915027021995")["voicemailFileId"]
    edit(server, tenant, voicemailFile=b64(mp3(100)), voicemailFileName="one.mp3")
    second = record_of(server, tenant, "915027021995")["voicemailFileId"]
    assert second != first
    assert _stored(files) == [second]
    # Fields other than the greeting leave it alone.
    edit(server, tenant, remark="kept")
    assert _stored(files) == [second]
    assert edit(server, tenant, voicemailFile="")["status"] == "0"
    record = record_of(server, tenant, "915027021995")
    assert (record["voicemailFileId"], record["voicemailFileName"]) == (None, None)
    assert _stored(files) == []


def test_an_upload_for_a_number_that_is_not_the_callers_leaves_no_file(
    engine: Engine, make_tenant: Callable[..., Tenant], server: RunningServer, files: Path
) -> None:
    mine, other = make_tenant("mine"), make_tenant("other")
    add(engine, other, "915027021996")
    document = edit(
        server, mine, number="915027021996", voicemailFile=b64(mp3(100)), voicemailFileName="a.mp3"
    )
    assert document["status"] == "-24"
    assert _stored(files) == []


def _raw_exchange(server: RunningServer, head: bytes, body_parts: list[bytes]) -> dict[str, Any]:
    """Send ``head`` and as much of the body as the server takes, never the end of it: an
    answer proves the server decided without waiting for the rest."""
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(head)
        for part in body_parts:
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 200"), answer[:200]
    document: dict[str, Any] = json.loads(rest.partition(b"\r\n\r\n")[2])
    return document


def _head(tenant: Tenant, framing: str) -> bytes:
    headers = signed_headers(tenant.api_key, tenant.secret)
    lines = [f"POST {EDIT} HTTP/1.1", "Host: test", framing, "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def test_a_declared_body_over_8_mib_is_refused_before_any_of_it_is_read(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    add(engine, tenant)
    document = _raw_exchange(server, _head(tenant, f"Content-Length: {8 * MIB + 1}"), [b"{"])
    assert document["status"] == "-22"
    assert "exceeds 8388608 bytes" in document["reason"]


def test_a_chunked_body_is_refused_once_it_passes_8_mib_without_waiting_for_its_end(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    add(engine, tenant)
    chunk = b"x" * (256 * 1024)
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    # 8 MiB and one more chunk, and no terminating zero-length chunk.
    document = _raw_exchange(
        server, _head(tenant, "Transfer-Encoding: chunked"), [framed] * (8 * 4 + 1)
    )
    assert document["status"] == "-22"
    assert "exceeds 8388608 bytes" in document["reason"]


def test_other_endpoints_keep_the_64_kib_body_limit(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    body = {"current": 1, "size": 10, "params": {"appId": "x" * (64 * 1024)}}
    document = call(server, tenant, NUMBERS, body)
    assert document["status"] == "-22"
    assert "exceeds 65536 bytes" in document["reason"]


def test_removing_a_number_over_the_admin_api_deletes_its_greeting_file(
    engine: Engine, tenant: Tenant, server: RunningServer, files: Path
) -> None:
    add(engine, tenant)
    edit(server, tenant, voicemailFile=b64(mp3(100)), voicemailFileName="one.mp3")
    assert len(_stored(files)) == 1
    _, token = create_token(engine, CLI, "ops", None, False)
    with admin_client(server, token) as admin:
        assert admin.delete("/numbers/915027021995").status_code == 200
    assert _stored(files) == []


def test_removing_a_number_with_the_cli_deletes_its_greeting_file(
    engine: Engine,
    tenant: Tenant,
    server: RunningServer,
    files: Path,
    database_url: str,
) -> None:
    add(engine, tenant)
    edit(server, tenant, voicemailFile=b64(mp3(100)), voicemailFileName="one.mp3")
    assert len(_stored(files)) == 1
    done = run_cli(
        database_url, "number", "remove", "915027021995", env={"CALLREC_FILES_DIR": str(files)}
    )
    assert done.returncode == 0, done.stderr
    assert _stored(files) == []
