"""Where an interrupted file import resumes: how far its committed batches reached.

After each batch commits, the importer writes a small JSON file: the input lines and bytes
the committed part was read from, a SHA-256 of those bytes, and the report so far. A rerun
with the same input, settings and database checks the file still starts with those bytes,
reads past those lines without parsing them, and goes on. Callids keep storage exactly-once
regardless: if the process dies after a commit but before its checkpoint is written, the rerun
finds that one batch stored already and counts it as duplicates.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
_READ_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Position:
    """The first ``lines`` lines of the input, ``bytes`` long, with this SHA-256."""

    lines: int
    bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    fingerprint: str  # the settings that shape the items and where they are stored
    position: Position
    report: dict[str, Any]  # IngestReport.as_json() of everything before ``position``


class ReadPosition:
    """Counts and hashes lines from the start of the input, so a checkpoint can say how far
    the committed part reaches: either the lines handed on (``track``, for a reader that
    commits what it has read) or the lines of each chunk once it committed (``add``)."""

    def __init__(self) -> None:
        self.lines = 0
        self.bytes = 0
        self._sha256 = hashlib.sha256()

    def track(self, lines: Iterable[bytes]) -> Iterator[bytes]:
        for line in lines:
            self.add((line,))
            yield line

    def add(self, lines: Iterable[bytes]) -> None:
        for line in lines:
            self.lines += 1
            self.bytes += len(line)
            self._sha256.update(line)

    def position(self) -> Position:
        return Position(self.lines, self.bytes, self._sha256.hexdigest())


def fingerprint(*parts: str) -> str:
    """One digest of the settings a checkpoint is valid for (secrets in them stay hidden)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def starts_with(file: Path, position: Position) -> bool:
    """Whether ``file`` still begins with the bytes the checkpoint was read from."""
    digest = hashlib.sha256()
    remaining = position.bytes
    with file.open("rb") as handle:
        while remaining > 0:
            chunk = handle.read(min(remaining, _READ_CHUNK))
            if not chunk:
                return False
            digest.update(chunk)
            remaining -= len(chunk)
    return digest.hexdigest() == position.sha256


def load(path: Path) -> Checkpoint | None:
    """The checkpoint at ``path``; None when there is none or it cannot be read."""
    try:
        value = json.loads(path.read_bytes())
        position = value["position"]
        if value["version"] != FORMAT_VERSION:
            return None
        return Checkpoint(
            fingerprint=str(value["fingerprint"]),
            position=Position(int(position["lines"]), int(position["bytes"]), position["sha256"]),
            report=dict(value["report"]),
        )
    except (OSError, ValueError, KeyError, TypeError):  # absent, or not a checkpoint
        return None


def save(path: Path, checkpoint: Checkpoint) -> None:
    """Replace the checkpoint atomically: a crash leaves the old one or the new one."""
    document = {
        "version": FORMAT_VERSION,
        "fingerprint": checkpoint.fingerprint,
        "position": {
            "lines": checkpoint.position.lines,
            "bytes": checkpoint.position.bytes,
            "sha256": checkpoint.position.sha256,
        },
        "report": checkpoint.report,
    }
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)
