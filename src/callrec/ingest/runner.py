"""Feeding a source's items through the pipeline in batches."""

from __future__ import annotations

from collections.abc import Callable

from callrec.ingest.items import Rejected, Skipped, SourceItems
from callrec.ingest.pipeline import IngestReport, ItemError, Pipeline
from callrec.model import RawCdr

BATCH_SIZE = 2000


def run_ingest(
    pipeline: Pipeline,
    items: SourceItems,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Each batch commits on its own: a crash loses at most the batch in flight, and running
    the same input again stores only what is missing."""
    report = IngestReport()
    batch: list[RawCdr] = []

    def flush() -> None:
        outcome = pipeline.process(batch)
        report.add(outcome)
        batch.clear()
        if on_batch is not None:
            on_batch(report)

    for item in items:
        if isinstance(item, RawCdr):
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
