"""Run one fuzz target: ``python -m fuzz.run TARGET [--seconds N] [--corpus DIR]``, or
reproduce a crash: ``python -m fuzz.run TARGET FILE...``.

Seeds come from fuzz/seeds/TARGET and the test fixtures the parser reads; what the fuzzer
learns goes to the corpus directory (a temporary one by default). A crash (an exception the
target does not document) writes its input under fuzz/crashes/ and exits non-zero.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent
FIXTURES = ROOT.parent / "tests" / "fixtures"
CRASHES = ROOT / "crashes"


def _seed_corpus(target: str, seeds: tuple[str, ...], into: Path) -> None:
    sources = [ROOT / "seeds" / target, *(FIXTURES / name for name in seeds)]
    for source in sources:
        if source.is_dir():
            for path in sorted(source.iterdir()):
                if path.is_file():
                    shutil.copy(path, into / f"{source.name}-{path.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target")
    parser.add_argument("inputs", nargs="*", type=Path, help="run just these inputs (a crash)")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--corpus", type=Path, help="kept between runs (default: temporary)")
    args, libfuzzer_args = parser.parse_known_args()

    with atheris.instrument_imports(include=["callrec"]):
        from fuzz.targets import SEEDS, TARGETS
    if args.target not in TARGETS:
        parser.error(f"unknown target {args.target!r}; one of {', '.join(TARGETS)}")

    if args.inputs:  # reproduce: run each input once, no fuzzing
        atheris.Setup([sys.argv[0], *map(str, args.inputs)], TARGETS[args.target])
        atheris.Fuzz()
        return
    corpus = args.corpus or Path(tempfile.mkdtemp(prefix=f"callrec-fuzz-{args.target}-"))
    corpus.mkdir(parents=True, exist_ok=True)
    _seed_corpus(args.target, SEEDS[args.target], corpus)
    CRASHES.mkdir(exist_ok=True)
    atheris.Setup(
        [
            sys.argv[0],
            f"-max_total_time={args.seconds}",
            f"-artifact_prefix={CRASHES}/{args.target}-",
            "-rss_limit_mb=1024",
            "-timeout=10",
            *libfuzzer_args,
            str(corpus),
        ],
        TARGETS[args.target],
    )
    atheris.Fuzz()


if __name__ == "__main__":
    main()
