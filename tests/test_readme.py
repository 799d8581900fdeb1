"""README's shell (and Python) examples, pasted in order on a fresh clone after `make run`, work.

The test stands in for `make run` (a fresh ./callrec.db, `db upgrade`, `demo`, `serve` on a
free port instead of 8080) and runs every ```sh block in one shell, in order, from a fresh
directory holding the project's .venv. A block preceded by `<!-- test: skip (why) -->` is
skipped: it needs a remote service, or is the server itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.support import free_port

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parents[1]
CALLREC = str(VENV / "bin" / "callrec")
BLOCK = re.compile(r"(?:<!-- test: skip \(([^)]+)\) -->\n)?```(sh|python)\n(.*?)```", re.DOTALL)


def readme_blocks() -> list[tuple[str | None, str]]:
    """Every shell and Python block of README.md in order, as shell, with its skip reason
    (empty: run it). A Python block runs in the same shell, so it sees what came before."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [
        (reason, code if language == "sh" else f"python - <<'PYTHON'\n{code}PYTHON\n")
        for reason, language, code in BLOCK.findall(text)
    ]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALLREC_", "VIRTUAL_ENV"))}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "TZ": "UTC"})
    return env


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh directory that looks like the top of a clone after `make run` installed it."""
    (tmp_path / ".venv").symlink_to(VENV, target_is_directory=True)
    return tmp_path


@pytest.fixture
def make_run(clone: Path) -> Iterator[int]:
    """What `make run PORT=…` does, with a smaller demo month; the server stops afterwards."""
    port = free_port()
    for command in (["db", "upgrade"], ["demo", "--calls", "3000", "--port", str(port)]):
        subprocess.run([CALLREC, *command], cwd=clone, env=_env(), check=True, timeout=300,
                       capture_output=True)  # fmt: skip
    server = subprocess.Popen(
        [CALLREC, "serve", "--port", str(port), "--log-level", "warning"],
        cwd=clone, env=_env(), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "callrec serve did not answer"
            time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_readme_marks_only_what_cannot_run_here() -> None:
    blocks = readme_blocks()
    skipped = [reason for reason, _ in blocks if reason]
    assert len(blocks) - len(skipped) >= 4
    # `make run`/`make test`, `serve` itself and the benchmarks: nothing else may hide.
    assert len(skipped) <= 3, skipped


def test_readme_shell_blocks_work_pasted_in_order(clone: Path, make_run: int) -> None:
    script = ["set -euo pipefail"]
    for number, (reason, code) in enumerate(readme_blocks(), start=1):
        if reason:
            continue
        script += [f"echo '### README block {number}'", code.replace("8080", str(make_run))]
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=clone, env=_env(), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert '"status":"0"' in output, output[-4000:]  # the curl example's signed query
    assert re.search(r"^0 \d+$", output, re.MULTILINE), output[-4000:]  # and the Python one
    assert "accepted 2," in output, output[-4000:]  # acme's CDRs, routed and rated
    assert "acme-1" in output, output[-4000:]  # and served to acme's key from 127.0.0.1
    assert "Traceback" not in output
