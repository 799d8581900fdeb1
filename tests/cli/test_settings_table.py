"""One settings table: every CALLREC_* variable declared once, documented, and a serve flag."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from callrec.push.settings import PushSettings
from callrec.settings import BY_VARIABLE, SETTINGS, Settings, SettingsError
from tests.cli.support import CALLREC, cli_env, free_port

ROOT = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"\bCALLREC_[A-Z0-9_]*[A-Z0-9]\b")


def _variables_named_in_src() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src").rglob("*.py"):
        found.update(VARIABLE.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_variable_read_in_src_is_in_the_table_and_documented() -> None:
    named = _variables_named_in_src()
    assert len(named) > 40  # the scan itself works
    assert sorted(named - set(BY_VARIABLE)) == []
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(CALLREC_[A-Z0-9_]+)` \|", operations, re.MULTILINE))
    assert sorted(set(BY_VARIABLE) - documented) == []


def test_each_variable_is_declared_once_and_defaults_come_from_the_table() -> None:
    variables = [entry.variable for entry in SETTINGS]
    assert len(variables) == len(set(variables))
    assert Settings.from_env({}) == Settings()
    assert PushSettings.from_env({}) == PushSettings()
    assert Settings().lockout_seconds == BY_VARIABLE["CALLREC_LOCKOUT_SECONDS"].default
    with pytest.raises(SettingsError, match="CALLREC_PORT: must be between 0 and 65535"):
        Settings.from_env({"CALLREC_PORT": "70000"})


def test_every_server_setting_is_a_serve_flag_and_only_secrets_are_not() -> None:
    help_text = subprocess.run(
        [CALLREC, "serve", "--help"],
        capture_output=True,
        text=True,
        env=cli_env("sqlite:///unused.db", {"COLUMNS": "300"}),
        check=True,
    ).stdout
    for entry in SETTINGS:
        if entry.option is None:
            continue
        assert entry.option.split("/")[0] in help_text, entry.variable
        assert entry.variable in help_text, entry.variable
    env_only = {entry.variable for entry in SETTINGS if entry.option is None}
    assert "CALLREC_MASTER_KEY" in env_only  # a secret on a command line is visible in ps
    assert "CALLREC_DATABASE_URL" not in env_only


def _answers_on(port: int, process: subprocess.Popen[str]) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"callrec serve exited: {process.communicate()[1]}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            time.sleep(0.05)
    return False


def test_serve_takes_host_and_port_from_the_environment_and_flags_win(
    database_url: str, migrated: Engine, tmp_path: Path
) -> None:
    # The variable names a database that does not exist: serve refuses it unless the flag wins.
    env_port, flag_port = free_port(), free_port()
    env = cli_env(
        f"sqlite:///{tmp_path / 'not-this-one.db'}",
        {
            "CALLREC_HOST": "127.0.0.1",
            "CALLREC_PORT": str(env_port),
            "CALLREC_LOG_LEVEL": "warning",
        },
    )
    for args, port in [
        (["--database-url", database_url], env_port),
        (["--database-url", database_url, "--port", str(flag_port)], flag_port),
    ]:
        process = subprocess.Popen(
            [CALLREC, "serve", "--no-push-worker", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            assert _answers_on(port, process)
        finally:
            process.terminate()
            process.communicate(timeout=15)
    assert not (tmp_path / "not-this-one.db").exists()


def test_a_bad_flag_value_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [CALLREC, "serve", "--lockout-seconds", "0"],
        capture_output=True,
        text=True,
        env=cli_env(f"sqlite:///{tmp_path / 'x.db'}"),
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: CALLREC_LOCKOUT_SECONDS: must be at least 1, got 0"
