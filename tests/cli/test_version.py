"""``callrec --version``: the installed package's version, from its metadata."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from tests.cli.support import CliResult, cli_env, run_cli


def test_version_prints_the_package_version_and_touches_no_database(tmp_path: Path) -> None:
    database = tmp_path / "callrec.db"
    result = run_cli(f"sqlite:///{database}", "--version").ok()
    assert result.stdout == f"callrec {version('callrec')}\n"
    assert result.stderr == ""
    assert not database.exists()


def _modules_after(*args: str) -> tuple[CliResult, set[str]]:
    """Run the console script's ``main`` with ``args`` in a fresh interpreter; what it printed
    and the modules it had imported by the end."""
    script = (
        "import sys\n"
        "from callrec.cli import main\n"
        f"sys.argv = ['callrec', *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    sys.stdout.flush()\n"
        "    print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=cli_env("sqlite:///unused.db"),
        check=False,
    )
    stderr, _, modules = done.stderr.rpartition("MODULES ")
    result = CliResult(args, done.returncode, done.stdout, stderr)
    return result, set(modules.split())


def test_the_root_command_imports_only_what_it_runs() -> None:
    """Each command's module (and the store, SQLAlchemy) is imported when that command runs:
    importing them all cost every ``callrec`` process ~1 s, and every test that starts one."""
    version_only, modules = _modules_after("--version")
    assert version_only.returncode == 0, version_only
    assert version_only.stdout == f"callrec {version('callrec')}\n"
    commands = {m for m in modules if m.startswith("callrec.cli.")}
    assert commands == {"callrec.cli.main", "callrec.cli.common"}, commands
    assert not {"sqlalchemy", "alembic", "httpx", "callrec.store"} & modules

    one_group, modules = _modules_after("db", "--help")
    assert one_group.returncode == 0, one_group
    assert "upgrade" in one_group.stdout
    assert "callrec.cli.db" in modules
    assert not {"callrec.cli.fetch", "callrec.cli.cdr", "callrec.cli.serve"} & modules
