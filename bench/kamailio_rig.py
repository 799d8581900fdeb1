"""A real SIP switch on loopback: Kamailio with deploy/kamailio/kamailio.cfg between a SIPp
caller (UAC) and a SIPp callee (UAS), posting its CDRs to a callrec server.

Used by the end-to-end test (tests/switch/) and the ``make bench`` Kamailio case. The callee
does what each call's ``X-Outcome`` asks (answer, busy, notfound, ring); every call's Call-ID
is ``PREFIX-N`` (SIPp's ``-cid_str``), N counting a batch's calls from 1.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KAMAILIO_CONFIG = ROOT / "deploy" / "kamailio" / "kamailio.cfg"
SCENARIOS = ROOT / "deploy" / "kamailio" / "sipp"
SCENARIO_FOR_OUTCOME = {
    "answer": "uac_answer.xml",
    "busy": "uac_reject.xml",
    "notfound": "uac_reject.xml",
    "ring": "uac_cancel.xml",
}
HOST = "127.0.0.1"
# Kamailio's UDP workers may pass a 180 after the 200 that followed it: SIPp ignores such a
# late message instead of aborting the call (its default), as a phone would.
TOLERANT = ("-default_behaviors", "all,-abortunexp")


def missing_tools() -> str | None:
    """One line naming what is not installed, or None."""
    missing = [tool for tool in ("kamailio", "sipp") if shutil.which(tool) is None]
    if not missing:
        return None
    return (
        f"{' and '.join(missing)} not installed (apt-get install kamailio "
        "kamailio-json-modules kamailio-utils-modules sip-tester)"
    )


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Batch:
    """Calls SIPp places with one scenario: the same outcome and, if answered, hold time."""

    prefix: str
    outcome: str
    parties: tuple[tuple[str, str], ...]  # (caller, called) per call
    hold_ms: int = 0

    @property
    def callids(self) -> list[str]:
        return [f"{self.prefix}-{n}" for n in range(1, len(self.parties) + 1)]


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Switch:
    """A running Kamailio with its SIPp callee; ``place`` runs SIPp callers against it."""

    workdir: Path
    port: int
    kamailio: subprocess.Popen[bytes]
    callee: subprocess.Popen[bytes]

    @property
    def log(self) -> Path:
        return self.workdir / "kamailio.log"

    def logged_cdr_lines(self) -> list[str]:
        """The ``callrec-cdr: {...}`` lines Kamailio logged, prefix cut: JSON Lines."""
        marker = "callrec-cdr: "
        text = self.log.read_text(errors="replace")
        return [line.split(marker, 1)[1] for line in text.splitlines() if marker in line]

    def start_calls(self, batch: Batch, rate: float = 20) -> _Caller:
        inject = self.workdir / f"{batch.prefix}.csv"
        lines = [f"{caller};{called};{batch.outcome}" for caller, called in batch.parties]
        inject.write_text("SEQUENTIAL\n" + "\n".join(lines) + "\n")
        errors = self.workdir / f"{batch.prefix}.errors.log"
        timeout_s = int(len(batch.parties) / rate + batch.hold_ms / 1000 + 30)
        command = [
            "sipp", f"{HOST}:{self.port}",
            "-sf", str(SCENARIOS / SCENARIO_FOR_OUTCOME[batch.outcome]),
            "-inf", str(inject), "-m", str(len(batch.parties)), "-r", str(rate),
            "-d", str(batch.hold_ms), "-i", HOST, "-p", str(free_udp_port()),
            "-cid_str", f"{batch.prefix}-%u", "-nostdin", "-timeout", str(timeout_s),
            "-timeout_error", "-trace_err", "-error_file", str(errors), *TOLERANT,
        ]  # fmt: skip
        output = self.workdir / f"{batch.prefix}.sipp.log"
        with output.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        return _Caller(batch, process, output, errors)

    def place(self, batches: Sequence[Batch], rate: float = 20) -> None:
        """Run every batch's caller side by side; raises unless every call went as scripted."""
        callers = [self.start_calls(batch, rate) for batch in batches]
        for caller in callers:
            caller.wait()


@dataclass
class _Caller:
    batch: Batch
    process: subprocess.Popen[bytes]
    output: Path
    errors: Path

    def wait(self) -> None:
        code = self.process.wait()
        if code != 0:
            raise AssertionError(
                f"SIPp batch {self.batch.prefix} exited {code}:\n{_tail(self.output)}\n"
                f"{_tail(self.errors)}"
            )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def switch(workdir: Path, ingest_url: str, token: str) -> Iterator[Switch]:
    """Kamailio on a free loopback UDP port relaying to a SIPp callee; both stopped after."""
    workdir.mkdir(parents=True, exist_ok=True)
    callee_port, port = free_udp_port(), free_udp_port()
    callee_log = workdir / "callee.log"
    with callee_log.open("wb") as out:
        callee = subprocess.Popen(
            ["sipp", "-sf", str(SCENARIOS / "uas.xml"), "-i", HOST, "-p", str(callee_port),
             "-nostdin", "-trace_err", "-error_file", str(workdir / "callee.errors.log"),
             *TOLERANT],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    env = {
        **os.environ,
        "KAMAILIO_CALLREC_URL": ingest_url,
        "KAMAILIO_CALLREC_TOKEN": token,
        "KAMAILIO_UPSTREAM": f"sip:{HOST}:{callee_port}",
    }
    log = workdir / "kamailio.log"
    with log.open("wb") as out:
        kamailio = subprocess.Popen(
            ["kamailio", "-DD", "-E", "-f", str(KAMAILIO_CONFIG), "-l", f"udp:{HOST}:{port}",
             "-w", str(workdir), "-m", "64", "-M", "8", "-Y", str(workdir)],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    running = Switch(workdir, port, kamailio, callee)
    try:
        _wait_until_listening(running)
        yield running
    finally:
        _stop(kamailio)
        _stop(callee)


def _wait_until_listening(running: Switch, deadline_s: float = 15) -> None:
    """Kamailio answers OPTIONS-less probes with nothing, so wait for its SIP workers' log."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if running.kamailio.poll() is not None:
            raise RuntimeError(f"kamailio exited {running.kamailio.returncode}:\n"
                               f"{_tail(running.log)}")  # fmt: skip
        if "rtimer" in running.log.read_text(errors="replace") and _udp_bound(running.port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"kamailio did not start:\n{_tail(running.log)}")


def _udp_bound(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
        return False
