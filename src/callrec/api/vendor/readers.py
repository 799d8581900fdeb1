"""The query path's reader for a database: sqlite3 or async psycopg, on the event loop."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from callrec.api.vendor.page_reader import PageReader
from callrec.api.vendor.read_sqlite import SqliteReader
from callrec.api.vendor.walk_memory import WalkMemory
from callrec.store.dialect import is_sqlite


async def open_page_reader(engine: Engine) -> PageReader:
    """The query path's reader for the engine's database (same URL, its own connections)."""
    url = engine.url.render_as_string(hide_password=False)
    if is_sqlite(engine):
        return SqliteReader(url, WalkMemory())
    # Imported here: a server on SQLite never loads psycopg and its pool (~10 MB, issue 15).
    from callrec.api.vendor.read_postgres import PostgresReader

    reader = PostgresReader(url, WalkMemory())
    await reader.open()
    return reader
