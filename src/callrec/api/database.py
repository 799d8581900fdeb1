"""The database from async handlers.

The query path reads on the event loop itself (``vendor.readers.open_page_reader``: raw
sqlite3, async psycopg). Ingest and other blocking SQLAlchemy work runs on threads
(``DatabaseRunner``): SQLite serialises on one connection anyway, and on two cores one
dedicated thread beats a pool; PostgreSQL gets as many threads as the engine has pooled connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from sqlalchemy.engine import Engine

from callrec.store.dialect import is_sqlite

P = ParamSpec("P")
T = TypeVar("T")


class DatabaseRunner:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        threads = 1 if is_sqlite(engine) else engine.pool.size()  # type: ignore[attr-defined]
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="callrec-db")

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: function(*args, **kwargs))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.engine.dispose()
