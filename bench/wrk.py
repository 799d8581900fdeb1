"""Driving a server with wrk (Debian package ``wrk``) on loopback, for a bounded duration."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("wrk_query.lua")
MARKER = "WRK_JSON "


class WrkMissing(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """What wrk sends: a fixed body, or a body template with a random page per request, or
    one with a fresh window per request (``fresh_windows``: first start and span, seconds)."""

    headers: dict[str, str]
    body: bytes | None = None
    template: str | None = None
    page_range: tuple[int, int] | None = None
    seed: int = 1
    fresh_windows: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    latency_mean_ms: float
    latency_p50_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    errors: int  # socket errors, non-2xx statuses and timeouts
    bytes_per_response: float
    connections: int

    def as_json(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing("wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu)")
    return found


def run_wrk(url: str, load: LoadSpec, seconds: float, connections: int) -> WrkResult:
    """One wrk run with one thread (the server gets the other core) for ``seconds``."""
    env = dict(os.environ)
    if load.template is not None and load.fresh_windows is not None:
        env["WRK_BODY_TEMPLATE"] = load.template
        env["WRK_WINDOW_FROM_S"], env["WRK_WINDOW_SPAN_S"] = map(str, load.fresh_windows)
        env["WRK_SEED"] = str(load.seed)
    elif load.template is not None and load.page_range is not None:
        env["WRK_BODY_TEMPLATE"] = load.template
        env["WRK_PAGE_FROM"], env["WRK_PAGE_TO"] = map(str, load.page_range)
        env["WRK_SEED"] = str(load.seed)
    else:
        env["WRK_BODY"] = (load.body or b"").decode()
    command = [wrk_path(), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    command += ["--timeout", "30s", "-s", str(SCRIPT)]
    for name, value in load.headers.items():
        command += ["-H", f"{name}: {value}"]
    finished = subprocess.run(
        [*command, url], env=env, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    lines = [line for line in finished.stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise RuntimeError(f"wrk printed no summary:\n{finished.stdout}\n{finished.stderr}")
    raw = json.loads(lines[-1].removeprefix(MARKER))
    requests = max(int(raw["requests"]), 1)
    duration = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in raw if k.endswith("_errors")) + raw["timeouts"]
    return WrkResult(
        requests=raw["requests"],
        seconds=duration,
        requests_per_second=raw["requests"] / duration,
        latency_mean_ms=raw["latency_mean_us"] / 1000,
        latency_p50_ms=raw["p50_us"] / 1000,
        latency_p90_ms=raw["p90_us"] / 1000,
        latency_p99_ms=raw["p99_us"] / 1000,
        latency_max_ms=raw["latency_max_us"] / 1000,
        errors=errors,
        bytes_per_response=raw["bytes"] / requests,
        connections=connections,
    )
