"""The benchmark's JSON Lines file reads back as the CDRs it was written from."""

from __future__ import annotations

from pathlib import Path

from bench.raw_cdr_file import write_jsonl

from callrec.demo.generator import generate_cdrs
from callrec.ingest.sources.tabular import read_jsonl
from callrec.model import RawCdr

MICROS = 1_000_000


def test_every_line_reads_back_as_its_cdr_to_the_second(tmp_path: Path) -> None:
    cdrs = list(generate_cdrs(300, 1_704_067_200 * MICROS, seed=3))
    file = write_jsonl(tmp_path / "cdrs.jsonl", cdrs)
    with file.open("rb") as lines:
        items = list(read_jsonl(lines))
    assert all(isinstance(item, RawCdr) for item in items)
    read = [item for item in items if isinstance(item, RawCdr)]
    assert [c.callid for c in read] == [c.callid for c in cdrs]
    for original, back in zip(cdrs, read, strict=True):
        assert back.start_us == original.start_us // MICROS * MICROS
        assert back.end_us == original.end_us // MICROS * MICROS
        assert (back.caller, back.called, back.talk_seconds) == (
            original.caller,
            original.called,
            original.talk_seconds,
        )
