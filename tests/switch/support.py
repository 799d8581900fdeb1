"""``callrec serve`` as users run it, for the switch tests: started, SIGKILLed, restarted."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from tests.cli.support import CALLREC, cli_env, free_port


@dataclass
class Service:
    database_url: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """``callrec serve`` as users run it, until /healthz answers."""
        self.process = subprocess.Popen(
            [CALLREC, "serve", "--port", str(self.port), "--log-level", "warning"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=cli_env(self.database_url),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "callrec serve exited"
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("callrec serve did not answer /healthz")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no shutdown, whatever was in flight is cut
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def callrec_service(database_url: str) -> Iterator[Service]:
    service = Service(database_url, free_port())
    service.start()
    try:
        yield service
    finally:
        service.stop()
