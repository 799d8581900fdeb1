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


class ChunkRater:
    """Parses a chunk of lines and rates its CDRs with one pipeline (a warm rating cache)."""

    def __init__(self, pipeline: Pipeline, source_format: str, tz: ZoneInfo | None) -> None:
        self.pipeline = pipeline
        self.parse = PARSERS[source_format]
        self.tz = tz

    def __call__(self, first_line: int, lines: list[bytes]) -> list[RatedItem]:
        items = list(self.parse(lines, self.tz, first_line))
        rated = iter(self.pipeline.rate([item for item in items if isinstance(item, RawCdr)]))
        return [next(rated) if isinstance(item, RawCdr) else item for item in items]


_worker: ChunkRater | None = None


def _start_worker(database_url: str, source_format: str, tz: ZoneInfo | None) -> None:
    global _worker
    _worker = ChunkRater(Pipeline(make_engine(database_url)), source_format, tz)


def _ready() -> None:
    """A task that returns once a worker has started (its initializer ran)."""


def _rate_chunk(first_line: int, lines: list[bytes]) -> list[RatedItem]:
    assert _worker is not None
    return _worker(first_line, lines)


def rated_in_workers(
    pipeline: Pipeline,
    source_format: str,
    tz: ZoneInfo | None,
    lines: Iterable[bytes],
    jobs: int,
    chunk_lines: int = CHUNK_LINES,
    rate_here: bool = True,
) -> Iterator[RatedItem]:
    """The file's items rated by ``jobs`` worker processes, in file order.

    This process rates a chunk itself whenever no worker could take it (unless
    ``rate_here`` is false): until the first worker has started (a second or more, each
    imports callrec), and when the workers fall behind. At most ``4 * jobs`` chunks wait, so
    memory stays bounded however long the file; the pool is shut down (and queued chunks
    dropped) when the caller stops early.
    """
    source = iter(lines)
    url = pipeline.engine.url.render_as_string(hide_password=False)
    pool = ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context("spawn"),  # no inherited engine or locks
        initializer=_start_worker,
        initargs=(url, source_format, tz),
    )
    here = ChunkRater(pipeline, source_format, tz)
    pending: deque[Future[list[RatedItem]] | list[RatedItem]] = deque()
    first_line = 1
    try:
        started = [pool.submit(_ready) for _ in range(jobs)]  # starts every worker now
        if not rate_here:
            started[0].result()
        while chunk := list(islice(source, chunk_lines)):
            in_flight = sum(1 for item in pending if isinstance(item, Future) and not item.done())
            workers_up = any(future.done() for future in started)
            if not rate_here or (in_flight < 2 * jobs and workers_up):
                pending.append(pool.submit(_rate_chunk, first_line, chunk))
            else:
                pending.append(here(first_line, chunk))
            first_line += len(chunk)
            while pending and (len(pending) >= 4 * jobs or _is_ready(pending[0])):
                yield from _result(pending.popleft())
        while pending:
            yield from _result(pending.popleft())
        for future in started:
            future.result()  # a worker that failed to start says why
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _is_ready(item: Future[list[RatedItem]] | list[RatedItem]) -> bool:
    return not isinstance(item, Future) or item.done()


def _result(item: Future[list[RatedItem]] | list[RatedItem]) -> list[RatedItem]:
    return item.result() if isinstance(item, Future) else item
