"""What a source parser yields for each item it reads: a raw CDR, a rejection or a skip."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from callrec.model import RawCdr


@dataclass(frozen=True, slots=True)
class Rejected:
    """An item that cannot be stored. ``item`` locates it (``"line 12"``); ``reason`` names
    the field and the problem."""

    item: str
    reason: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """An item deliberately not stored (a FreeSWITCH B-leg that repeats its A-leg)."""

    item: str
    reason: str


SourceItem = RawCdr | Rejected | Skipped
SourceItems = Iterable[SourceItem]


def only_cdrs(items: SourceItems) -> Iterator[RawCdr]:
    for item in items:
        if isinstance(item, RawCdr):
            yield item
