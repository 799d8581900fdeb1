"""What the fork server of ``cdr import --jobs`` imports once for every worker: the main
script's imports too, since each worker re-runs the script (Python 3.11's fork server does
not preload a ``__main__`` given by path)."""

from __future__ import annotations

import importlib.machinery
import sys
from types import ModuleType

import pytest

from callrec.ingest.parallel import _modules_imported_by, _worker_preload

CONSOLE_SCRIPT = "import sys\nfrom callrec.cli import main\n"  # as pip writes bin/callrec


def _script(source: str, spec_name: str | None = None) -> ModuleType:
    module = ModuleType("__main__")
    if spec_name is not None:
        module.__spec__ = importlib.machinery.ModuleSpec(spec_name, None)
    exec(compile(source, "script", "exec"), module.__dict__)
    return module


def test_the_console_scripts_imports_are_preloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    script = _script(CONSOLE_SCRIPT)
    assert _modules_imported_by(script) == {"sys", "callrec.cli.main"}
    monkeypatch.setitem(sys.modules, "__main__", script)
    assert {"callrec.ingest.parallel", "callrec.cli.main"} <= set(_worker_preload())


def test_a_main_module_run_by_name_is_preloaded_but_never_a_packages_main(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "__main__", _script("", "bench.ingest_jobs"))
    assert "bench.ingest_jobs" in _worker_preload()
    monkeypatch.setitem(sys.modules, "__main__", _script("", "pytest.__main__"))
    assert not [name for name in _worker_preload() if name.endswith(".__main__")]
