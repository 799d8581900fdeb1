"""``callrec --version``: the installed package's version, from its metadata."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from tests.cli.support import run_cli


def test_version_prints_the_package_version_and_touches_no_database(tmp_path: Path) -> None:
    database = tmp_path / "callrec.db"
    result = run_cli(f"sqlite:///{database}", "--version").ok()
    assert result.stdout == f"callrec {version('callrec')}\n"
    assert result.stderr == ""
    assert not database.exists()
