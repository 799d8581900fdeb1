"""Running the real ``callrec`` console script as a subprocess, and reading what it said."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# The console script installed beside this interpreter (the project's virtualenv).
CALLREC = str(Path(sys.executable).with_name("callrec"))


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.returncode == 0, self
        return json.loads(self.stdout)

    def ok(self) -> CliResult:
        assert self.returncode == 0, self
        assert "Traceback" not in self.stderr, self.stderr
        return self


def cli_env(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without any CALLREC_* setting, then the database and extras."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLREC_")}
    env.update({"CALLREC_DATABASE_URL": database_url, "NO_COLOR": "1", "COLUMNS": "200"})
    env.update(extra or {})
    return env


def run_cli(
    database_url: str,
    *args: str,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> CliResult:
    completed = subprocess.run(
        [CALLREC, *args],
        capture_output=True,
        text=True,
        env=cli_env(database_url, env),
        timeout=timeout,
        check=False,
        **({"stdin": subprocess.DEVNULL} if stdin is None else {"input": stdin}),
    )
    return CliResult(args, completed.returncode, completed.stdout, completed.stderr)


def run_cli_concurrently(database_url: str, *commands: tuple[str, ...]) -> list[CliResult]:
    """Run independent commands side by side: each one is a whole Python start-up."""
    processes = [
        subprocess.Popen(
            [CALLREC, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=cli_env(database_url),
        )
        for args in commands
    ]
    results = []
    for args, process in zip(commands, processes, strict=True):
        stdout, stderr = process.communicate(timeout=120)
        results.append(CliResult(args, process.returncode, stdout, stderr))
    return results


def assert_one_line_error(result: CliResult, *fragments: str) -> str:
    """A refusal: non-zero exit, nothing on stdout, one ``error: ...`` line on stderr."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result
    assert lines[0].startswith("error: "), result
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert result.stdout == "", result
    return lines[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(
    database_url: str,
    port: int,
    *flags: str,
    env: Mapping[str, str] | None = None,
    deadline_seconds: float = 30,
) -> Iterator[str]:
    """``callrec serve --port PORT`` as a subprocess, until /healthz answers; stopped after."""
    process = subprocess.Popen(
        [CALLREC, "serve", "--port", str(port), "--log-level", "warning", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=cli_env(database_url, env),
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + deadline_seconds
        while True:
            if process.poll() is not None:
                _, stderr = process.communicate()
                raise AssertionError(f"callrec serve exited {process.returncode}: {stderr}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"callrec serve did not answer /healthz on {base_url}")
            time.sleep(0.05)
        yield base_url
    finally:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
