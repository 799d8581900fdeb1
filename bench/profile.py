"""Sampling the running server with py-spy while wrk loads it, and the top costs it shows.

py-spy is not a project dependency: ``.venv/bin/pip install py-spy`` to enable this. The
summary goes beside the results; py-spy's collapsed stacks (for a flame graph, e.g.
``flamegraph.pl`` or speedscope.app) to ``bench/data/profiles/``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import DATA
from bench.servers import Server
from bench.signed import QUERY_PAGE_PATH
from bench.wrk import LoadSpec, run_wrk

RATE = 250  # samples a second
TOP = 30
PROJECT_FRAME = "callrec/"
_LINE_NUMBER = re.compile(r":\d+\)$")


def _py_spy() -> str | None:
    beside_python = Path(sys.executable).with_name("py-spy")
    return str(beside_python) if beside_python.exists() else shutil.which("py-spy")


def _frame_name(frame: str) -> str:
    """``render_record (callrec/wire/records.py:99)`` without the line number."""
    frame = _LINE_NUMBER.sub(")", frame.strip())
    return frame.replace(str(Path(sys.prefix)), "<venv>")


def summarise(collapsed: str, requests: int) -> dict[str, Any]:
    """Self time per function, and inclusive time per function of the project, as shares of
    the samples and as milliseconds per request served meanwhile."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";") if f.strip()]
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            if PROJECT_FRAME in name:
                inclusive[name] += count

    def share(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {
                "function": name,
                "samples": n,
                "percent": round(100 * n / max(total, 1), 1),
                "ms_per_request": round(1000 * n / RATE / max(requests, 1), 3),
            }
            for name, n in counter.most_common(TOP)
        ]

    return {
        "samples": total,
        "requests": requests,
        "sampled_ms_per_request": round(1000 * total / RATE / max(requests, 1), 3),
        "self": share(own),
        "project_inclusive": share(inclusive),
    }


def _as_text(summary: dict[str, Any]) -> str:
    lines = [
        f"py-spy: {summary['samples']} samples at {RATE}/s of active threads while serving "
        f"{summary['requests']} requests: {summary['sampled_ms_per_request']} ms sampled per "
        "request",
        "",
    ]
    titles = {"self": "self time, any code", "project_inclusive": "inclusive time, callrec code"}
    for kind, title in titles.items():
        lines.append(f"top {TOP} by {title}:   share   ms/request")
        lines += [
            f"  {row['percent']:5.1f} %  {row['ms_per_request']:7.3f}  {row['function']}"
            for row in summary[kind]
        ]
        lines.append("")
    return "\n".join(lines)


def profile_server(
    server: Server, load: LoadSpec, seconds: float, connections: int, output: Path
) -> dict[str, Any] | None:
    """py-spy ``record`` on the server for ``seconds`` while wrk loads it; None without py-spy."""
    py_spy = _py_spy()
    if py_spy is None:
        print("  py-spy is not installed: skipping the profile", flush=True)
        return None
    collapsed = DATA / "profiles" / output.with_suffix(".collapsed").name  # for flame graphs
    collapsed.parent.mkdir(parents=True, exist_ok=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [py_spy, "record", "--pid", str(server.pid), "--duration", str(round(seconds))]
    command += ["--rate", str(RATE), "--nonblocking", "--format", "raw", "--output"]
    sampler = subprocess.Popen(
        [*command, str(collapsed)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        served = run_wrk(server.base_url + QUERY_PAGE_PATH, load, seconds, connections)
        _, errors = sampler.communicate(timeout=seconds + 60)
    finally:
        if sampler.poll() is None:
            sampler.kill()
            sampler.wait(timeout=10)
    if sampler.returncode != 0 or not collapsed.exists():
        print(f"  py-spy failed: {errors.decode(errors='replace')[-500:]}", flush=True)
        return None
    summary = summarise(collapsed.read_text(), served.requests)
    output.write_text(_as_text(summary))
    return {"file": output.name, "collapsed": str(collapsed.relative_to(DATA.parent)), **summary}
