"""Running the real ``callrec`` command line, and reading what it said.

Most commands run in this process, through the same ``callrec.cli.main`` the console script
calls, with argv, the environment, stdin, stdout and stderr swapped in for the call and the
logging set-up put back afterwards: a Python start-up and callrec's imports cost about 1.7 s
of CPU, which made the CLI's subprocesses most of the suite's time. Commands that own their
process (``serve``, ``push worker``, ``cdr import --jobs``) always run as the installed console
script, as does ``serving``. ``TESTS_CLI=subprocess`` runs every
command as the console script, to check that nothing depends on running in-process.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
from typer.testing import CliRunner

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
    if _owns_its_process(args) or os.environ.get("TESTS_CLI") == "subprocess":
        return run_cli_subprocess(database_url, *args, stdin=stdin, env=env, timeout=timeout)
    return _run_in_process(args, cli_env(database_url, env), stdin)


def run_cli_subprocess(
    database_url: str,
    *args: str,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> CliResult:
    """The installed console script in a process of its own."""
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


def _owns_its_process(args: tuple[str, ...]) -> bool:
    """Serves until signalled, installs signal handlers, or starts worker processes."""
    return (
        "serve" in args[:1]
        or args[:2] == ("push", "worker")
        or any(arg == "--jobs" or arg.startswith("--jobs=") for arg in args)
    )


def _run_in_process(args: tuple[str, ...], env: dict[str, str], stdin: str | None) -> CliResult:
    from callrec.cli.common import err, out
    from callrec.cli.main import main

    # rich fixes a console's width from COLUMNS when it is made, at the first import in this
    # process; a new process would make it from this call's environment.
    columns = env.get("COLUMNS", "")
    for console in (out, err):
        console.width = int(columns) if columns.isdigit() else 80
    saved_environ, saved_argv = dict(os.environ), sys.argv
    saved_logging = _LoggingState.save()
    runner = CliRunner()
    unset: dict[str, str | None] = {name: None for name in os.environ if name not in env}
    try:
        with runner.isolation(input=stdin or "", env={**unset, **env}) as (out, err, _):
            sys.argv = ["callrec", *args]
            returncode = _exit_code(main)
            sys.stdout.flush()
            sys.stderr.flush()
            stdout, stderr = out.getvalue(), err.getvalue()
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)
        sys.argv = saved_argv
        saved_logging.restore()
    return CliResult(args, returncode, stdout.decode(), stderr.decode())


def _exit_code(main: Callable[[], None]) -> int:
    """What the process would have exited with; an escaping exception prints its traceback,
    as the interpreter would."""
    try:
        main()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        sys.stderr.write(f"{exc.code}\n")
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    return 0


@dataclass
class _LoggingState:
    """What ``configure_logging`` changes: the root handlers and the levels it sets."""

    root_handlers: list[logging.Handler]
    levels: dict[str, int]
    access_handlers: list[logging.Handler]
    access_propagate: bool

    NAMES: ClassVar[tuple[str, ...]] = ("", "callrec", "uvicorn", "uvicorn.error")

    @classmethod
    def save(cls) -> _LoggingState:
        access = logging.getLogger("uvicorn.access")
        return cls(
            list(logging.getLogger().handlers),
            {name: logging.getLogger(name).level for name in cls.NAMES},
            list(access.handlers),
            access.propagate,
        )

    def restore(self) -> None:
        root = logging.getLogger()
        for handler in set(root.handlers) - set(self.root_handlers):
            with contextlib.suppress(Exception):
                handler.close()
        root.handlers[:] = self.root_handlers
        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)
        access = logging.getLogger("uvicorn.access")
        access.handlers[:] = self.access_handlers
        access.propagate = self.access_propagate


def run_cli_concurrently(database_url: str, *commands: tuple[str, ...]) -> list[CliResult]:
    """Independent commands: in-process one after another, or as console scripts side by
    side (each one is a whole Python start-up)."""
    if os.environ.get("TESTS_CLI") != "subprocess":
        return [run_cli(database_url, *args) for args in commands]
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


# Ports for servers a test starts by number: below the kernel's ephemeral range (32768 and
# up on Linux), where every port-0 bind and outgoing connection lands, one block per xdist
# worker. A port the kernel had just handed out as "free" could be taken by another worker's
# server before ours bound it, and a test then talked to that server (CI: a console login
# refused by someone else's database).
_PORT_BLOCK_START, _PORT_BLOCK_SIZE = 20_000, 1_500
_next_ports: Iterator[int] | None = None


def free_port() -> int:
    """A port no other test process of this run picks, free when this returns."""
    global _next_ports
    if _next_ports is None:
        worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
        first = _PORT_BLOCK_START + (worker % 8) * _PORT_BLOCK_SIZE
        start = first + os.getpid() % _PORT_BLOCK_SIZE  # another run's leftovers elsewhere
        block = range(first, first + _PORT_BLOCK_SIZE)
        _next_ports = itertools.cycle([*block[start - first :], *block[: start - first]])
    for port in itertools.islice(_next_ports, _PORT_BLOCK_SIZE):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in this test process's block")


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
