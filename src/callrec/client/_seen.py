"""Which served records are new: each record is yielded once even when pages shift."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from callrec.client._models import Record


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """How far a walk got: every record starting before ``start_time``'s second, and those
    of that second whose callids are listed, were already taken.

    ``callrec fetch --resume`` builds one from the file it continues.
    """

    start_time: datetime
    callids: frozenset[str] = frozenset()


class SeenRecords:
    """Remembers what one window's walk has yielded, to skip what pages serve again.

    Records arrive ascending by start time (the contract's order). When a record is stored
    behind the walk's position, every later page moves by one and serves again a record that
    was already taken: such repeats always start at or before the last record taken. So it is
    enough to keep a high-water mark (the last start second taken) and the callids taken in
    that second (start times on the wire are whole seconds): memory stays constant however
    large the window. A record stored behind the mark while the walk runs is not part of this
    walk; the next fetch of the window has it.

    A page whose own records are not in ascending order means a server that orders otherwise;
    the window then falls back to remembering every callid it has yielded.
    """

    def __init__(self, checkpoint: Checkpoint | None = None) -> None:
        self._mark: datetime | None = None
        self._at_mark: set[str] = set()
        self._every: set[str] | None = None
        if checkpoint is not None:
            self._mark = checkpoint.start_time.replace(microsecond=0)
            self._at_mark = set(checkpoint.callids)

    @property
    def remembers_every_callid(self) -> bool:
        return self._every is not None

    def admit(self, records: Sequence[Record]) -> list[Record]:
        """The records of one page that were not yielded before, in the page's order."""
        if self._every is None and not _ascending(records):
            self._every = set(self._at_mark)
        return [record for record in records if self._is_new(record)]

    def _is_new(self, record: Record) -> bool:
        if self._every is not None:
            if record.callid in self._every:
                return False
            self._every.add(record.callid)
            return True
        if self._mark is not None and record.start_time < self._mark:
            return False
        if record.start_time == self._mark:
            if record.callid in self._at_mark:
                return False
        else:
            self._mark = record.start_time
            self._at_mark = set()
        self._at_mark.add(record.callid)
        return True


def _ascending(records: Sequence[Record]) -> bool:
    return all(a.start_time <= b.start_time for a, b in pairwise(records))
