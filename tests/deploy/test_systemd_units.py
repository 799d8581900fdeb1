"""deploy/systemd/: the units verify, are hardened, and start commands callrec accepts.

``systemd-analyze verify`` and ``security --offline`` read unit files without a running
systemd (as in a container). ``verify`` exits 0 on unknown or malformed settings and only
prints them, so the test fails on any line naming a unit under test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from callrec.settings import Settings
from tests.cli.support import CALLREC, cli_env, free_port, run_cli
from tests.deploy.support import DEPLOY

UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALLED_CALLREC = "/opt/callrec/venv/bin/callrec"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed: units not verified"
)
OPERATIONS_DOC = DEPLOY.parent / "docs" / "operations.md"


def directives(unit: Path) -> dict[str, list[str]]:
    """Each key's values in file order (systemd allows a key more than once)."""
    found: dict[str, list[str]] = defaultdict(list)
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found[key.strip()].append(value.strip())
    return found


def with_this_callrec(directory: Path, *units: Path) -> list[Path]:
    """Copies that start this checkout's callrec: verify checks ExecStart's binary exists."""
    copies = []
    for unit in units:
        copy = directory / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED_CALLREC, CALLREC))
        copies.append(copy)
    return copies


def verify_problems(*units: Path) -> list[str]:
    assert SYSTEMD_ANALYZE is not None
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = (result.stdout + result.stderr).splitlines()
    # Lines about other units (a missing dependency on this machine) are not ours to judge.
    problems = [line for line in output if any(unit.name in line for unit in units)]
    if result.returncode != 0:
        problems.append(f"exit {result.returncode}: {output}")
    return problems


def test_there_is_a_unit_for_serve_and_one_for_the_push_worker() -> None:
    assert [unit.name for unit in UNITS] == ["callrec-push.service", "callrec.service"]


@needs_systemd_analyze
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    assert verify_problems(*with_this_callrec(tmp_path, *UNITS)) == []


@needs_systemd_analyze
def test_the_verification_sees_a_mistyped_setting(tmp_path: Path) -> None:
    (unit,) = with_this_callrec(tmp_path, DEPLOY / "systemd" / "callrec.service")
    unit.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSystm=strict"))
    assert any("ProtectSystm" in line for line in verify_problems(unit))


@needs_systemd_analyze
@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_systemd_rates_the_units_exposure_low(unit: Path, tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    (copy,) = with_this_callrec(tmp_path, unit)
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=yes", "--no-pager", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    score = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert score, result.stdout + result.stderr
    # 0 is fully locked down, 10 unprotected; systemd calls below 2 "OK".
    assert float(score.group(1)) <= 2.0, result.stdout


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_units_run_as_callrec_in_a_read_only_system_with_the_master_key_as_credential(
    unit: Path,
) -> None:
    found = directives(unit)
    required = {
        "User": "callrec",
        "Group": "callrec",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "StateDirectory": "callrec",
        "CapabilityBoundingSet": "",
        "Restart": "on-failure",
        "EnvironmentFile": "/etc/callrec/callrec.env",
        "LoadCredential": "master.key:/etc/callrec/master.key",
    }
    for key, value in required.items():
        assert found[key] == [value], (key, found[key])
    assert "CALLREC_MASTER_KEY_FILE=%d/master.key" in found["Environment"]
    assert not any("CALLREC_MASTER_KEY=" in value for value in found["Environment"])


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_exec_start_is_a_command_callrec_accepts(unit: Path, tmp_path: Path) -> None:
    (exec_start,) = directives(unit)["ExecStart"]
    program, *args = shlex.split(exec_start)
    assert program == INSTALLED_CALLREC
    # --help after every flag: the command and each flag must exist, nothing starts.
    said = run_cli(f"sqlite:///{tmp_path / 'unused.db'}", *args, "--help").ok()
    assert "Usage: callrec" in said.stdout


def test_the_environment_example_is_valid_and_documented() -> None:
    example = DEPLOY / "callrec.env.example"
    values = {}
    for line in example.read_text().splitlines():
        line = line.strip()
        if line.startswith("#"):
            line = line.lstrip("#").strip()
            if not re.fullmatch(r"CALLREC_[A-Z_]+=\S*", line):
                continue
        if line:
            name, _, value = line.partition("=")
            values[name] = value
    assert values["CALLREC_TRUSTED_PROXIES"] == "127.0.0.1"
    assert "CALLREC_MASTER_KEY" not in values
    Settings.from_env(values)  # every value is one callrec accepts
    documented = OPERATIONS_DOC.read_text()
    assert [name for name in values if f"`{name}`" not in documented] == []


def test_callrec_admin_hands_its_arguments_and_the_credential_to_callrec(tmp_path: Path) -> None:
    """The command systemd-run starts in callrec-admin, run here with a credentials directory."""
    script = (DEPLOY / "callrec-admin").read_text()
    inner = re.search(r"/bin/sh -c '([^']+)'", script)
    assert inner, script
    assert "--property=LoadCredential=master.key:/etc/callrec/master.key" in script
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    key = run_cli("sqlite://", "secrets", "new-key").ok().stdout.strip()
    (credentials / "master.key").write_text(key + "\n")
    database = f"sqlite:///{tmp_path / 'callrec.db'}"
    env = {**cli_env(database), "CREDENTIALS_DIRECTORY": str(credentials)}
    command = inner.group(1).replace(INSTALLED_CALLREC, CALLREC)

    def admin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["/bin/sh", "-c", command, "callrec-admin", *args],
            capture_output=True, text=True, env=env, timeout=60, check=True,
        )  # fmt: skip

    admin("db", "upgrade")
    admin("workspace", "create", "two words are one argument")
    admin("key", "create", "--workspace", "two words are one argument")
    status = json.loads(admin("secrets", "status", "--json").stdout)
    assert status["plain"] == 0, status  # sealed: the key came from the credential


def test_the_serve_unit_command_serves_with_the_example_settings_and_credential(
    tmp_path: Path,
) -> None:
    """ExecStart as written (on a free port), the example environment, the key as credential."""
    unit = DEPLOY / "systemd" / "callrec.service"
    found = directives(unit)
    _, *args = shlex.split(found["ExecStart"][0])
    port = free_port()
    args[args.index("--port") + 1] = str(port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLREC_")}
    for line in (DEPLOY / "callrec.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    env["CALLREC_DATABASE_URL"] = f"sqlite:///{tmp_path / 'callrec.db'}"
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "master.key").write_text(run_cli("sqlite://", "secrets", "new-key").ok().stdout)
    (credentials / "master.key").chmod(0o400)  # as systemd leaves a credential
    (environment,) = found["Environment"]
    name, _, value = environment.partition("=")
    env[name] = value.replace("%d", str(credentials))
    database, key_file = env["CALLREC_DATABASE_URL"], {name: env[name]}
    run_cli(database, "db", "upgrade").ok()
    run_cli(database, "workspace", "create", "acme").ok()
    # A secret sealed under the credential: serve refuses to start unless it opens it.
    run_cli(database, "key", "create", "--workspace", "acme", env=key_file).ok()
    process = subprocess.Popen(
        [CALLREC, *args], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not answer /readyz"
                time.sleep(0.1)
        assert ready.status_code == 200, ready.text
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert "Traceback" not in stderr, stderr
