"""Loading a stream of items into the store in batches, keeping the good ones around bad ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from callrec.ingest.priced import ItemRejected, decode_line, priced_record
from callrec.model import CallRecord
from callrec.store.dialect import write_transaction
from callrec.store.records import insert_records

BATCH_SIZE = 2000


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    reason: str


@dataclass(slots=True)
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
        }


def store_records(
    engine: Engine,
    workspace_id: int,
    records: Iterable[CallRecord],
    report: ImportReport,
    batch_size: int = BATCH_SIZE,
) -> None:
    """Insert in batches, one transaction each: a crash loses at most the batch in flight,
    and a rerun of the same input stores only what is missing (callids dedupe)."""
    batch: list[CallRecord] = []

    def flush() -> None:
        with write_transaction(engine) as conn:
            outcome = insert_records(conn, workspace_id, batch)
        report.imported += outcome.inserted
        report.duplicates += outcome.duplicates
        batch.clear()

    for record in records:
        batch.append(record)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()


def parse_priced_lines(
    lines: Iterable[bytes], report: ImportReport, on_line: Callable[[int], None] | None = None
) -> Iterable[CallRecord]:
    """Yield a record per good JSON line; record each bad one in the report by line number."""
    for number, line in enumerate(lines, start=1):
        if on_line is not None:
            on_line(len(line))
        if not line.strip():
            continue
        try:
            yield priced_record(decode_line(line))
        except ItemRejected as exc:
            report.rejected.append(Rejection(number, str(exc)))


def import_priced_file(
    engine: Engine,
    workspace_id: int,
    lines: Iterable[bytes],
    on_line: Callable[[int], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    store_records(engine, workspace_id, parse_priced_lines(lines, report, on_line), report)
    return report
