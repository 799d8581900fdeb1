"""Feeding a source's items through the pipeline in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from callrec.ingest.items import Rejected, Skipped, SourceItems
from callrec.ingest.pipeline import IngestReport, ItemError, Pipeline
from callrec.ingest.rated import RatedCdr
from callrec.model import RawCdr

BATCH_SIZE = 2000
_Cdr = TypeVar("_Cdr", RawCdr, RatedCdr)


def run_ingest(
    pipeline: Pipeline,
    items: SourceItems,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Each batch commits on its own: a crash loses at most the batch in flight, and running
    the same input again stores only what is missing."""
    return _in_batches(items, RawCdr, pipeline.process, batch_size, on_batch)


def _in_batches(
    items: Iterable[_Cdr | Rejected | Skipped],
    cdr_type: type[_Cdr],
    process: Callable[[Sequence[_Cdr]], IngestReport],
    batch_size: int,
    on_batch: Callable[[IngestReport], None] | None,
) -> IngestReport:
    report = IngestReport()
    batch: list[_Cdr] = []

    def flush() -> None:
        outcome = process(batch)
        report.add(outcome)
        batch.clear()
        if on_batch is not None:
            on_batch(report)

    for item in items:
        if isinstance(item, cdr_type):
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
        elif isinstance(item, Rejected):
            report.rejected.append(ItemError(item.item, item.reason))
        elif isinstance(item, Skipped):
            report.skipped += 1
    if batch:
        flush()
    return report
