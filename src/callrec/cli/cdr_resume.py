"""``callrec cdr import``'s checkpoint: resume an interrupted import after its committed part."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from callrec.cli.common import err, fail
from callrec.ingest import checkpoint
from callrec.ingest.checkpoint import Checkpoint, ReadPosition
from callrec.ingest.pipeline import IngestReport

SUFFIX = ".callrec-checkpoint"


@dataclass(frozen=True, slots=True)
class Resume:
    """Where this run starts: after ``skip_lines`` lines whose outcome is ``earlier``."""

    path: Path
    fingerprint: str
    skip_lines: int
    earlier: IngestReport
    note: str | None  # what the operator should know about the checkpoint found

    def combined(self, this_run: IngestReport) -> IngestReport:
        """The whole file's report: the earlier runs' part and this run's."""
        total = IngestReport.from_json(self.earlier.as_json())
        total.add(this_run)
        return total

    def saver(self, position: ReadPosition) -> Callable[[IngestReport], None]:
        """Called after each batch commits: records how far the committed input reaches."""

        def save(this_run: IngestReport) -> None:
            checkpoint.save(
                self.path,
                Checkpoint(
                    self.fingerprint, position.position(), self.combined(this_run).as_json()
                ),
            )

        return save

    def finish(self) -> None:
        checkpoint.discard(self.path)


def default_path(file: Path) -> Path:
    return file.with_name(file.name + SUFFIX)


def for_import(file: Path, checkpoint_path: Path | None, fingerprint: str) -> Resume | None:
    """The resume plan for importing ``file``, said on stderr; None when no checkpoint can
    be kept beside the file (an explicit ``--checkpoint`` that cannot be written fails)."""
    path = checkpoint_path or default_path(file)
    if not os.access(path.parent, os.W_OK):
        if checkpoint_path is not None:
            fail(f"--checkpoint: cannot write in {path.parent}")
        err.print(
            f"no checkpoint: cannot write in {path.parent}, so an interrupted import starts "
            "over (give --checkpoint PATH)",
            markup=False,
            highlight=False,
        )
        return None
    resume = plan(file, path, fingerprint)
    if resume.note:
        err.print(resume.note, markup=False, highlight=False)
    return resume


def plan(file: Path, path: Path, fingerprint: str) -> Resume:
    """Resume from the checkpoint at ``path`` if it is for this input and these settings."""
    found = checkpoint.load(path)
    if found is None:
        fresh_note = f"{path} is not a readable checkpoint; " if path.exists() else None
        note = None if fresh_note is None else fresh_note + "starting from line 1"
        return Resume(path, fingerprint, 0, IngestReport(), note)
    if found.fingerprint != fingerprint:
        note = (
            f"{path} is for another format, time zone or database; starting from line 1 "
            "(what is stored already counts as duplicates)"
        )
        return Resume(path, fingerprint, 0, IngestReport(), note)
    if not checkpoint.starts_with(file, found.position):
        note = (
            f"{file} no longer starts with the lines {path} covers; starting from line 1 "
            "(what is stored already counts as duplicates)"
        )
        return Resume(path, fingerprint, 0, IngestReport(), note)
    lines = found.position.lines
    note = f"resuming after line {lines}: an earlier run committed lines 1-{lines} ({path})"
    return Resume(path, fingerprint, lines, IngestReport.from_json(found.report), note)
