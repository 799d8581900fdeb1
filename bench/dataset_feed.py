"""Generating the calls in a child process while this one loads them: on two cores the
generator (about a quarter of the work) then costs the loader almost nothing."""

from __future__ import annotations

import multiprocessing
import queue
from collections import Counter
from collections.abc import Iterator
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from types import TracebackType
from typing import Any

from bench.dataset_calls import CallGenerator, CdrFields
from bench.dataset_spec import own_numbers, workspace_specs
from callrec.model import RawCdr

BATCH = 2000
QUEUED_BATCHES = 16  # bounded: the generator never runs far ahead of the loader
STALL_SECONDS = 300  # a generator that sends nothing for this long has failed


def _produce(out: Queue[Any], count: int, seed: int) -> None:
    specs = workspace_specs()
    generator = CallGenerator(count, seed, specs, own_numbers(specs, seed))
    batch: list[CdrFields] = []
    for fields in generator.fields():
        batch.append(fields)
        if len(batch) == BATCH:
            out.put(batch)
            batch = []
    if batch:
        out.put(batch)
    out.put(generator.counts.by_workspace_day)


class BackgroundCalls:
    """The same calls as ``CallGenerator(count, seed, ...)``, made in a child process.

    Use as a context manager: leaving it always ends the child, even when loading failed.
    ``counts`` (calls per workspace and day) is filled in once every call was yielded.
    """

    def __init__(self, count: int, seed: int) -> None:
        self.count = count
        self.seed = seed
        self.counts: Counter[tuple[str, int]] = Counter()
        context = multiprocessing.get_context("spawn")
        self._batches: Queue[Any] = context.Queue(maxsize=QUEUED_BATCHES)
        self._child: BaseProcess = context.Process(
            target=_produce, args=(self._batches, count, seed), daemon=True
        )

    def __enter__(self) -> BackgroundCalls:
        self._child.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if self._child.is_alive():
            self._child.terminate()
        self._child.join(timeout=10)
        self._batches.close()

    def __iter__(self) -> Iterator[RawCdr]:
        while True:
            try:
                message = self._batches.get(timeout=STALL_SECONDS)
            except queue.Empty:
                raise RuntimeError("the call generator process stalled") from None
            if isinstance(message, Counter):
                self.counts = message
                return
            for fields in message:
                yield RawCdr(*fields)

    def of(self, workspace: str, day: int) -> int:
        return self.counts[(workspace, day)]
