"""Creating engines for a database URL."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from callrec.store.dialect import engine_options, install_connection_hooks, normalise_url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    engine = create_engine(url, **engine_options(url))
    install_connection_hooks(engine)
    return engine
