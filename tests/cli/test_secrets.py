"""``callrec secrets`` and the master key as the CLI and ``callrec serve`` see it."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.store.schema import api_keys
from tests.cli.conftest import Cli
from tests.cli.support import assert_one_line_error, free_port, run_cli, serving
from tests.helpers import QUERY_PAGE, page_body, signed_headers


def _new_key(cli: Cli) -> str:
    return cli("secrets", "new-key").ok().stdout.strip()


def _raw_secrets(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(api_keys.c.secret)).scalars())


def test_new_key_prints_32_random_bytes_in_base64(cli: Cli) -> None:
    first, second = _new_key(cli), _new_key(cli)
    assert len(base64.urlsafe_b64decode(first)) == 32
    assert first != second


def test_keys_created_with_a_master_key_are_encrypted_and_rotate_moves_them(
    cli: Cli, database_url: str, migrated: Engine
) -> None:
    cli("workspace", "create", "acme").ok()
    plain = cli("key", "create", "--workspace", "acme", "--json").json()  # before any key
    first, second = _new_key(cli), _new_key(cli)
    sealed = run_cli(
        database_url,
        *("key", "create", "--workspace", "acme", "--json"),
        env={"CALLREC_MASTER_KEY": first},
    ).json()
    raw = _raw_secrets(migrated)
    assert f"plain:{plain['apiSecret']}" in raw
    assert not any(sealed["apiSecret"] in value for value in raw)

    refused = run_cli(database_url, "secrets", "rotate", env={"CALLREC_MASTER_KEY": second})
    assert_one_line_error(refused, "neither the old key (none given)", "CALLREC_OLD_MASTER_KEY")
    assert sorted(_raw_secrets(migrated)) == sorted(raw)  # nothing changed

    rotated = run_cli(
        database_url,
        "secrets",
        "rotate",
        env={"CALLREC_MASTER_KEY": second, "CALLREC_OLD_MASTER_KEY": first},
    ).ok()
    assert "2 secrets encrypted under key id" in rotated.stderr
    for value in _raw_secrets(migrated):
        assert value.startswith("v1:")
        assert plain["apiSecret"] not in value
        assert sealed["apiSecret"] not in value

    status = run_cli(
        database_url, "secrets", "status", "--json", env={"CALLREC_MASTER_KEY": second}
    ).json()
    assert status["plain"] == 0
    assert status["encrypted"] == {status["currentKeyId"]: 2}

    no_key = run_cli(database_url, "key", "list")
    assert_one_line_error(no_key, "CALLREC_MASTER_KEY is not set")
    back = run_cli(
        database_url, "secrets", "rotate", "--to-plain", env={"CALLREC_MASTER_KEY": second}
    ).ok()
    assert "2 secrets stored plain" in back.stderr
    assert sorted(_raw_secrets(migrated)) == sorted(
        [f"plain:{plain['apiSecret']}", f"plain:{sealed['apiSecret']}"]
    )


def test_a_malformed_master_key_is_one_line(cli: Cli, database_url: str, migrated: Engine) -> None:
    cli("workspace", "create", "acme").ok()
    result = run_cli(
        database_url,
        *("key", "create", "--workspace", "acme"),
        env={"CALLREC_MASTER_KEY": base64.b64encode(b"too short").decode()},
    )
    assert_one_line_error(result, "CALLREC_MASTER_KEY must be 32 bytes in base64")


def test_key_create_and_set_toggle_the_body_signature(cli: Cli, migrated: Engine) -> None:
    cli("workspace", "create", "acme").ok()
    created = cli(
        "key", "create", "--workspace", "acme", "--require-body-signature", "--json"
    ).json()

    def listed() -> bool:
        [row] = cli("key", "list", "--json").json()
        return bool(row["requireBodySignature"])

    assert listed() is True
    cli("key", "set", created["apiKey"], "--no-require-body-signature").ok()
    assert listed() is False
    cli("key", "set", created["apiKey"], "--require-body-signature").ok()
    assert listed() is True
    assert_one_line_error(
        cli("key", "set", "nosuchkey", "--require-body-signature"), "no API key 'nosuchkey'"
    )


def test_serve_refuses_to_start_without_the_key_and_serves_with_it_from_a_file(
    cli: Cli, database_url: str, migrated: Engine, tmp_path: Path
) -> None:
    master = _new_key(cli)
    cli("workspace", "create", "acme").ok()
    key = run_cli(
        database_url,
        *("key", "create", "--workspace", "acme", "--json"),
        env={"CALLREC_MASTER_KEY": master},
    ).json()

    missing = run_cli(database_url, "serve", "--port", str(free_port()), timeout=60)
    assert_one_line_error(missing, "CALLREC_MASTER_KEY is not set, but 1 stored secrets")

    key_file = tmp_path / "master.key"
    key_file.write_text(master + "\n")
    with (
        serving(database_url, free_port(), "--master-key-file", str(key_file)) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        answer = http.post(
            QUERY_PAGE,
            headers=signed_headers(key["apiKey"], key["apiSecret"]),
            json=page_body("2024-01-01T00:00:00+08:00", "2024-01-02T00:00:00+08:00"),
        ).json()
        assert answer["status"] == "0", answer
