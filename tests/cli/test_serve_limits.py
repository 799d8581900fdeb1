"""``callrec serve`` hands its HTTP limits, as flags or CALLREC_* variables, to its workers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from callrec.store import make_engine, upgrade
from tests.cli.support import free_port, serving


@pytest.mark.parametrize("workers", ["1", "2"])
def test_header_caps_from_a_flag_and_a_variable_apply_in_every_worker(
    tmp_path: Path, workers: str
) -> None:
    database_url = f"sqlite:///{tmp_path / 'callrec.db'}"  # the limits do not depend on it
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    with serving(
        database_url,
        free_port(),
        "--workers",
        workers,
        "--max-header-line-bytes",
        "1024",
        env={"CALLREC_MAX_HEADER_BYTES": "4096"},
    ) as base_url:
        # New connections each time, so with two workers both take their share.
        def status(headers: dict[str, str]) -> int:
            return httpx.get(base_url + "/healthz", headers=headers, timeout=10).status_code

        for _ in range(6):
            assert status({"X-Fits": "a" * 900}) == 200
            assert status({"X-Long": "a" * 1100}) == 431
            assert status({f"X-Part-{i}": "a" * 900 for i in range(5)}) == 431
