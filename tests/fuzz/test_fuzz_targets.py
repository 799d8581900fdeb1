"""The fuzz targets over their seed corpora and every crash the fuzzer has found.

Each file under tests/fuzz/crashes/<target>/ is an input that once escaped its parser with an
undocumented exception; it stays here as a regression test. The seeds check that every
target runs cleanly on the inputs the fuzzer starts from (so `make fuzz` fails only on what
it finds).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz.run import FIXTURES, ROOT
from fuzz.targets import SEEDS, TARGETS

CRASHES = Path(__file__).resolve().parent / "crashes"


def _inputs() -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for target, fixture_dirs in SEEDS.items():
        for directory in [CRASHES / target, ROOT / "seeds" / target,
                          *(FIXTURES / name for name in fixture_dirs)]:  # fmt: skip
            if directory.is_dir():
                found += [(target, path) for path in sorted(directory.iterdir()) if path.is_file()]
    return found


INPUTS = _inputs()


@pytest.mark.parametrize(("target", "path"), INPUTS,
                         ids=[f"{t}-{p.parent.name}-{p.name}" for t, p in INPUTS])  # fmt: skip
def test_a_fuzz_target_takes_its_input_without_an_undocumented_exception(
    target: str, path: Path
) -> None:
    TARGETS[target](path.read_bytes())


def test_every_target_has_an_input() -> None:
    assert {target for target, _ in INPUTS} == set(TARGETS)
