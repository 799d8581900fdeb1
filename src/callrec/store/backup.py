"""A consistent copy of a SQLite database while servers and imports keep writing to it.

SQLite's online backup API copies the database as of one read transaction: under WAL, writers
carry on meanwhile and the copy holds exactly the transactions committed before it began. The
copy is written beside its destination and renamed into place only once complete, so a failed
or interrupted backup never leaves half a file under the destination's name, and ``--force``
replaces an older backup only with a whole new one.

PostgreSQL has its own tool for this (``pg_dump``): callrec does not wrap it.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from callrec.store.dialect import UnsupportedDatabase, normalise_url
from callrec.store.errors import AlreadyExists, InvalidValue, NotFound, StoreError
from callrec.store.file_permissions import OWNER_ONLY, sqlite_path


class BackupNotSupported(StoreError):
    """The database is not a SQLite file this command can copy."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    source: Path
    destination: Path
    size_bytes: int


def pg_dump_hint(url: str) -> str:
    """What to run instead for PostgreSQL, with the password left out of the URL."""
    safe = make_url(url)._replace(drivername="postgresql", password=None)
    return (
        "callrec db backup copies SQLite databases; back up PostgreSQL with pg_dump, e.g. "
        f"pg_dump --format=custom --file callrec.dump '{safe.render_as_string()}' "
        "(see docs/deploy.md)"
    )


def _source_file(url: str) -> Path:
    try:
        normalised = normalise_url(url)
    except UnsupportedDatabase as exc:
        raise InvalidValue(f"CALLREC_DATABASE_URL: {exc}") from exc
    if make_url(normalised).get_backend_name() == "postgresql":
        raise BackupNotSupported(pg_dump_hint(normalised))
    path = sqlite_path(normalised)
    if path is None:
        raise BackupNotSupported("an in-memory SQLite database has nothing to back up")
    if not path.is_file():
        raise NotFound(f"no SQLite database at {path}: check CALLREC_DATABASE_URL")
    return path


def backup_sqlite(url: str, destination: Path, *, force: bool = False) -> BackupResult:
    """Copy the SQLite database ``url`` names to ``destination`` as one consistent snapshot."""
    source = _source_file(url)
    if destination.exists() and not force:
        raise AlreadyExists(f"{destination} exists; give --force to replace it")
    if destination.is_dir():
        raise InvalidValue(f"{destination} is a directory; give a file name")
    if destination.resolve() == source.resolve():
        raise InvalidValue(f"{destination} is the database itself; give another file")
    if not destination.parent.is_dir():
        raise NotFound(f"no directory {destination.parent} to write the backup in")
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    # The copy holds API and push secrets: owner-only from the first byte.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY))
    try:
        # Read-only URI: a backup never creates or changes the database it copies.
        with (
            closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(partial)) as copy,
        ):
            src.execute("PRAGMA busy_timeout=30000")
            # pages=-1: one step, one read snapshot. Stepping in parts would restart from the
            # beginning each time another connection writes, and might never finish.
            src.backup(copy, pages=-1)
            # One self-contained file: no -wal beside it to forget (callrec turns WAL back on
            # when it opens a restored copy).
            copy.execute("PRAGMA journal_mode=DELETE")
            problem = copy.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise StoreError(f"the backup failed its integrity check: {problem}")
        os.chmod(partial, OWNER_ONLY)
        os.replace(partial, destination)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup of {source} failed: {exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(source, destination, destination.stat().st_size)
