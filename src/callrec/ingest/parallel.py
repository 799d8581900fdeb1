"""One file on several cores: worker processes parse, route and rate chunks of its lines,
and the calling process stores them in file order as the only writer.

Storing stays in one process, in the order of the file and in the same batches as
``run_ingest`` makes, so exactly-once, duplicate and conflict counting, and the order of the
report's rejections are those of a one-process import; only the CPU work before the write
lock is spread out. Formats with one item per line only (``jsonl``, ``asterisk``): a chunk
of lines parses on its own there.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from zoneinfo import ZoneInfo

from callrec.ingest.items import Rejected, Skipped, SourceItem
from callrec.ingest.pipeline import Pipeline
from callrec.ingest.rated import RatedCdr
from callrec.ingest.sources.asterisk import read_master_csv
from callrec.ingest.sources.tabular import read_jsonl
from callrec.model import RawCdr
from callrec.store import make_engine

CHUNK_LINES = 2000
RatedItem = RatedCdr | Rejected | Skipped
Parser = Callable[[Iterable[bytes], ZoneInfo | None, int], Iterator[SourceItem]]


def _jsonl(lines: Iterable[bytes], tz: ZoneInfo | None, first_line: int) -> Iterator[SourceItem]:
    return read_jsonl(lines, tz, first_line=first_line)


def _asterisk(lines: Iterable[bytes], tz: ZoneInfo | None, first_line: int) -> Iterator[SourceItem]:
    assert tz is not None
    return read_master_csv(lines, tz, first_line=first_line)


PARSERS: dict[str, Parser] = {"jsonl": _jsonl, "asterisk": _asterisk}


class _Worker:
    """A worker process's own engine and warm rating cache."""

    def __init__(self, database_url: str, source_format: str, tz: ZoneInfo | None) -> None:
        self.pipeline = Pipeline(make_engine(database_url))
        self.parse = PARSERS[source_format]
        self.tz = tz

    def rate_chunk(self, first_line: int, lines: list[bytes]) -> list[RatedItem]:
        items = list(self.parse(lines, self.tz, first_line))
        rated = iter(self.pipeline.rate([item for item in items if isinstance(item, RawCdr)]))
        return [next(rated) if isinstance(item, RawCdr) else item for item in items]


_worker: _Worker | None = None


def _start_worker(database_url: str, source_format: str, tz: ZoneInfo | None) -> None:
    global _worker
    _worker = _Worker(database_url, source_format, tz)


def _rate_chunk(first_line: int, lines: list[bytes]) -> list[RatedItem]:
    assert _worker is not None
    return _worker.rate_chunk(first_line, lines)


def rated_in_workers(
    database_url: str,
    source_format: str,
    tz: ZoneInfo | None,
    lines: Iterable[bytes],
    jobs: int,
    chunk_lines: int = CHUNK_LINES,
) -> Iterator[RatedItem]:
    """The file's items rated by ``jobs`` worker processes, in file order.

    At most two chunks per worker are in flight, so memory stays bounded however long the
    file; the pool is shut down (and queued chunks dropped) when the caller stops early.
    """
    source = iter(lines)
    pool = ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context("spawn"),  # no inherited engine or locks
        initializer=_start_worker,
        initargs=(database_url, source_format, tz),
    )
    pending: deque[Future[list[RatedItem]]] = deque()
    first_line = 1
    try:
        while chunk := list(islice(source, chunk_lines)):
            pending.append(pool.submit(_rate_chunk, first_line, chunk))
            first_line += len(chunk)
            if len(pending) >= 2 * jobs:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
