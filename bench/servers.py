"""Servers under test, as subprocesses on loopback: ``callrec serve`` as users run it, and
the stack baseline; and the memory they hold while under load."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import httpx

from bench.common import BENCH, LOOPBACK, free_port

READY_SECONDS = 60
STOP_SECONDS = 15


def _callrec_command() -> list[str]:
    beside_python = Path(sys.executable).with_name("callrec")
    found = str(beside_python) if beside_python.exists() else shutil.which("callrec")
    if found is None:
        raise RuntimeError("the `callrec` command is not installed (pip install -e .)")
    return [found]


class Server:
    """One server process; a context manager that always stops it."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log = log
        self.port = int(command[command.index("--port") + 1])
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> Server:
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=BENCH.parent
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer /healthz in {READY_SECONDS} s")

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


def callrec_server(database_url: str, log_dir: Path, workers: int = 1) -> Server:
    """``callrec serve`` with defaults for everything but the database, the port and (when
    asked) the number of workers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLREC_")}
    env["CALLREC_DATABASE_URL"] = database_url
    port = free_port()
    command = [*_callrec_command(), "serve", "--host", LOOPBACK, "--port", str(port)]
    name, log = "callrec serve", log_dir / "callrec-serve.log"
    if workers != 1:
        command += ["--workers", str(workers)]
        name, log = f"callrec serve --workers {workers}", log_dir / f"callrec-{workers}.log"
    return Server(name, command, env, log)


def stack_server(body_file: Path, log_dir: Path) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLREC_")}
    port = free_port()
    command = [sys.executable, "-m", "bench.stack_app", "--host", LOOPBACK, "--port", str(port)]
    command += ["--body-file", str(body_file)]
    return Server("stack baseline", command, env, log_dir / "stack.log")


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn with --workers > 1 forks worker processes)."""
    found: list[int] = []
    pending = [pid]
    while pending and len(found) < 256:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of one process, from /proc/<pid>/status (VmRSS), in MB (10^6 bytes)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return 0.0


class RssSampler:
    """Samples the largest per-process RSS of a server's process tree while it is loaded."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.max_mb = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = _process_tree(self.pid)
            self.max_mb = max([self.max_mb, *(rss_mb(p) for p in tree)])
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
