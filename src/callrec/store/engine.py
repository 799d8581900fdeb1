"""Creating engines for a database URL."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from callrec.settings import SettingsError
from callrec.store.dialect import (
    UnsupportedDatabase,
    engine_options,
    install_connection_hooks,
    normalise_url,
)
from callrec.store.file_permissions import protect_sqlite_files


def make_engine(url: str) -> Engine:
    try:
        url = normalise_url(url)
    except UnsupportedDatabase as exc:
        raise SettingsError(f"CALLREC_DATABASE_URL: {exc}") from exc
    protect_sqlite_files(url)
    engine = create_engine(url, **engine_options(url))
    install_connection_hooks(engine)
    return engine
