"""The SQLite file holds API and push secrets: it is created readable by its owner only.

SQLite gives its ``-wal`` and ``-shm`` files the permissions of the database file, so creating
the database ``0600`` covers them. Files that already exist keep their owner and group
permissions (an operator may share them with a backup group on purpose) but lose any access
for other users, with a warning naming the file.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger("callrec.store")

OWNER_ONLY = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def sqlite_path(url: str) -> Path | None:
    """The database file a SQLite URL names; None for other backends and in-memory ones."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _create_owner_only(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    except FileExistsError:
        return
    except OSError:
        return  # a missing directory and the like: SQLite reports it when it connects
    os.close(descriptor)
    os.chmod(path, OWNER_ONLY)  # independent of the umask


def _drop_access_for_others(path: Path) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o007:
        os.chmod(path, mode & ~0o007)
        log.warning(
            "%s was accessible to other users (mode %o); it holds secrets, now %o",
            path,
            mode,
            mode & ~0o007,
        )


def protect_sqlite_files(url: str) -> None:
    path = sqlite_path(url)
    if path is None:
        return
    _create_owner_only(path)
    for suffix in SQLITE_COMPANIONS:
        _drop_access_for_others(Path(f"{path}{suffix}"))
