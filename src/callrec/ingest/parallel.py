"""One file on several cores: chunks of its lines parsed, routed, rated and stored by worker
processes, which take turns at storing so that chunks commit in file order.

Each chunk of ``chunk_lines`` lines (``cdr import --batch-size``, default ``CHUNK_LINES``) is
one batch (one write transaction), and carries the number of its first line: an import that
resumes after line N starts its chunks at line N + 1, and each committed chunk is reported
(``on_chunk``) in file order, which is where ``cdr import`` moves its checkpoint. Rating, the larger
part of the work, runs side by side; storing runs one chunk at a time, in file order, as a
one-process import would (``import_here`` does exactly the same chunks in this process). So
exactly-once, the "first version stays" rule for repeated callids, the counts and the order
of the report's rejections are those of ``--jobs 1``. Formats with one item per line only
(``jsonl``, ``asterisk``): a chunk of lines parses on its own there.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from multiprocessing.synchronize import Condition
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from callrec.ingest.items import Rejected, Skipped, SourceItem
from callrec.ingest.pipeline import IngestReport, ItemError, Pipeline, StorePlan
from callrec.ingest.rated import RatedCdr
from callrec.ingest.runner import BATCH_SIZE
from callrec.ingest.sources.asterisk import read_master_csv
from callrec.ingest.sources.tabular import read_jsonl
from callrec.model import RawCdr
from callrec.store import make_engine

CHUNK_LINES = BATCH_SIZE  # a chunk is a batch: one notion, ``cdr import --batch-size``
# A file import is one long writer per process: it keeps more of the database's pages.
STORE_CACHE_MIB = 64
TURN_POLL_SECONDS = 0.5
Parser = Callable[[Iterable[bytes], ZoneInfo | None, int], Iterator[SourceItem]]
ChunkItem = RatedCdr | Rejected | Skipped


@dataclass(frozen=True, slots=True)
class Chunk:
    first_line: int  # its number in the file
    lines: list[bytes]


# Called after each chunk commits, in file order: the report so far and that chunk.
OnChunk = Callable[[IngestReport, Chunk], None]


def _jsonl(lines: Iterable[bytes], tz: ZoneInfo | None, first_line: int) -> Iterator[SourceItem]:
    return read_jsonl(lines, tz, first_line=first_line)


def _asterisk(lines: Iterable[bytes], tz: ZoneInfo | None, first_line: int) -> Iterator[SourceItem]:
    assert tz is not None
    return read_master_csv(lines, tz, first_line=first_line)


PARSERS: dict[str, Parser] = {"jsonl": _jsonl, "asterisk": _asterisk}


@dataclass(frozen=True, slots=True)
class PreparedChunk:
    report: IngestReport
    plan: StorePlan | None  # None: nothing in the chunk to store


class ChunkImporter:
    """Parses, rates and stores chunks with one pipeline (so its rating cache stays warm)."""

    def __init__(self, pipeline: Pipeline, source_format: str, tz: ZoneInfo | None) -> None:
        self.pipeline = pipeline
        pipeline.keep_store_pages(STORE_CACHE_MIB)
        self.parse = PARSERS[source_format]
        self.tz = tz

    def rate(self, first_line: int, lines: list[bytes]) -> list[ChunkItem]:
        items = list(self.parse(lines, self.tz, first_line))
        rated = iter(self.pipeline.rate([item for item in items if isinstance(item, RawCdr)]))
        return [next(rated) if isinstance(item, RawCdr) else item for item in items]

    def prepare(self, items: list[ChunkItem]) -> PreparedChunk:
        """The chunk's report so far (in item order, as ``runner`` reports a batch) and its
        rated CDRs planned for storing: what needs no turn at the database."""
        report = IngestReport()
        batch: list[RatedCdr] = []
        for item in items:
            if isinstance(item, RatedCdr):
                batch.append(item)
            elif isinstance(item, Rejected):
                report.rejected.append(ItemError(item.item, item.reason))
            else:
                report.skipped += 1
        return PreparedChunk(report, self.pipeline.plan(batch) if batch else None)

    def store(self, chunk: PreparedChunk) -> IngestReport:
        """Store a prepared chunk in one transaction."""
        if chunk.plan is not None:
            chunk.report.add(self.pipeline.store_plan(chunk.plan))
        return chunk.report

    def import_chunk(self, chunk: Chunk) -> IngestReport:
        return self.store(self.prepare(self.rate(chunk.first_line, chunk.lines)))


def chunks(lines: Iterable[bytes], size: int = CHUNK_LINES, first_line: int = 1) -> Iterator[Chunk]:
    """The lines in chunks of ``size``, the first of them numbered ``first_line``."""
    source = iter(lines)
    while batch := list(islice(source, size)):
        yield Chunk(first_line, batch)
        first_line += len(batch)


def import_here(
    pipeline: Pipeline,
    source_format: str,
    tz: ZoneInfo | None,
    lines: Iterable[bytes],
    on_chunk: OnChunk | None = None,
    chunk_lines: int = CHUNK_LINES,
    first_line: int = 1,
) -> IngestReport:
    """The same chunks as ``import_in_workers``, all in this process (``--jobs 1``)."""
    importer = ChunkImporter(pipeline, source_format, tz)
    report = IngestReport()
    for chunk in chunks(lines, chunk_lines, first_line):
        report.add(importer.import_chunk(chunk))
        if on_chunk is not None:
            on_chunk(report, chunk)
    return report


class _Turns:
    """Which chunk may store next, shared by the workers; ``failed`` stops them all."""

    def __init__(self, turn: Any, changed: Condition, failed: Any) -> None:
        self.turn = turn
        self.changed = changed
        self.failed = failed

    def wait_for(self, index: int) -> None:
        with self.changed:
            while self.turn.value != index and not self.failed.value:
                self.changed.wait(TURN_POLL_SECONDS)
            if self.failed.value:
                raise ChunkAbandoned(f"an earlier chunk failed; chunk {index} not stored")

    def pass_on(self, index: int) -> None:
        with self.changed:
            self.turn.value = index + 1
            self.changed.notify_all()

    def abandon(self) -> None:
        with self.changed:
            self.failed.value = 1
            self.changed.notify_all()


class ChunkAbandoned(RuntimeError):
    pass


_importer: ChunkImporter | None = None
_turns: _Turns | None = None


def _start_worker(
    database_url: str, source_format: str, tz: ZoneInfo | None, turns: _Turns
) -> None:
    global _importer, _turns
    _exit_with_parent()
    _importer = ChunkImporter(Pipeline(make_engine(database_url)), source_format, tz)
    _turns = turns


def _exit_with_parent() -> None:
    """A worker whose import process died, killed say, stops too, rather than storing chunks
    nobody will checkpoint or report, or waiting forever for its next one. (Its OS parent is
    the fork server, so it watches the import process's end of the pipe it was started by.)"""
    parent = multiprocessing.parent_process()
    assert parent is not None

    def watch() -> None:
        parent.join()
        os._exit(1)  # whatever was not committed rolls back

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _ready() -> None:
    """A task that returns once a worker has started (its initializer ran)."""


def _import_chunk(index: int, first_line: int, lines: list[bytes]) -> IngestReport:
    assert _importer is not None
    assert _turns is not None
    try:
        prepared = _importer.prepare(_importer.rate(first_line, lines))
        _turns.wait_for(index)
        report = _importer.store(prepared)
    except BaseException:
        _turns.abandon()  # the chunks after this one must not be stored
        raise
    _turns.pass_on(index)
    return report


def _worker_preload() -> list[str]:
    """What a worker needs, for the fork server to import once instead of each worker doing
    so: this module, and the main module, which a worker runs again as spawn does (by name
    for ``python -m``; a script's, such as the ``callrec`` console script's, imports: Python
    3.11's fork server skips ``__main__`` given by path, and the script re-run in each worker
    then finds them imported)."""
    main = sys.modules["__main__"]
    name = getattr(getattr(main, "__spec__", None), "name", None)
    # A package's __main__ (python -m pytest) would run, not just import: workers skip it too.
    by_name = [name] if name is not None and not name.endswith("__main__") else []
    return ["__main__", __name__, *by_name, *sorted(_modules_imported_by(main))]


def _modules_imported_by(module: ModuleType) -> set[str]:
    """The modules whose names (or the modules themselves) ``module`` imported."""
    found = set()
    for value in vars(module).values():
        origin = (
            value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        )
        if isinstance(origin, str) and origin in sys.modules and "__main__" not in origin:
            found.add(origin)
    return found


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers forked from a fork server: a fresh single-threaded process (no inherited engine,
    threads or locks, as with spawn) that has imported callrec once, so that each worker
    starts without importing it again (about 1.3 s of CPU each, issue 15)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_worker_preload())
    return context


def import_in_workers(
    pipeline: Pipeline,
    source_format: str,
    tz: ZoneInfo | None,
    lines: Iterable[bytes],
    jobs: int,
    on_chunk: OnChunk | None = None,
    chunk_lines: int = CHUNK_LINES,
    start_here: bool = True,
    first_line: int = 1,
) -> IngestReport:
    """``import_here`` with ``jobs`` worker processes.

    Until the first worker has started (a second or more: each imports callrec) this process
    imports the chunks itself, unless ``start_here`` is false. At most two chunks per worker
    are in flight, so memory stays bounded however long the file. If a chunk fails, the
    chunks after it are not stored and the error is raised here.
    """
    context = _worker_context()
    turns = _Turns(context.Value("q", 0), context.Condition(), context.Value("b", 0))
    url = pipeline.engine.url.render_as_string(hide_password=False)
    pool = ProcessPoolExecutor(
        jobs,
        mp_context=context,
        initializer=_start_worker,
        initargs=(url, source_format, tz, turns),
    )
    here = ChunkImporter(pipeline, source_format, tz)
    report = IngestReport()
    pending: deque[tuple[Chunk, Future[IngestReport]]] = deque()

    def collect(chunk: Chunk, future: Future[IngestReport]) -> None:
        report.add(future.result())
        if on_chunk is not None:
            on_chunk(report, chunk)

    try:
        started = [pool.submit(_ready) for _ in range(jobs)]  # starts every worker now
        if not start_here:
            started[0].result()
        index = 0
        for chunk in chunks(lines, chunk_lines, first_line):
            if pending or any(future.done() for future in started):
                future = pool.submit(_import_chunk, index, chunk.first_line, chunk.lines)
                pending.append((chunk, future))
                index += 1
            else:  # nothing in flight: this chunk is next in file order anyway
                report.add(here.import_chunk(chunk))
                if on_chunk is not None:
                    on_chunk(report, chunk)
            while pending and (len(pending) >= 2 * jobs or pending[0][1].done()):
                collect(*pending.popleft())
        while pending:
            collect(*pending.popleft())
        for future in started:
            future.result()  # a worker that failed to start says why
    except BaseException:
        turns.abandon()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return report
