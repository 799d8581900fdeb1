"""Where a run's results go: ``bench/results/<date>-<backend>.json`` and ``.md`` (full mode),
``<date>-<backend>-quick.*`` (quick mode, so a quick run never overwrites full results)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import RESULTS, today, write_json
from bench.modes import Mode
from bench.report import markdown


def results_path(backend: str, mode: Mode | str, suffix: str = "json") -> Path:
    name = mode if isinstance(mode, str) else mode.name
    tag = "" if name == "full" else f"-{name}"
    return RESULTS / f"{today()}-{backend}{tag}.{suffix}"


def write_results(result: dict[str, Any]) -> tuple[Path, Path]:
    json_path = write_json(results_path(result["backend"], result["mode"]), result)
    markdown_path = results_path(result["backend"], result["mode"], "md")
    markdown_path.write_text(markdown(result))
    return json_path, markdown_path
