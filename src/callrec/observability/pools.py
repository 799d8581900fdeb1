"""Counting database connections in use, per pool, as they are checked out and back in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from callrec.observability.metrics import DB_CONNECTIONS_IN_USE


def track_pool(engine: Engine, pool: str = "sqlalchemy") -> None:
    in_use = DB_CONNECTIONS_IN_USE.labels(pool)

    def checked_out(*_: Any) -> None:
        in_use.inc()

    def checked_in(*_: Any) -> None:
        in_use.dec()

    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "checkin", checked_in)
