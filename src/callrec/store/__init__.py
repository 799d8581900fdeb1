"""Storage: schema, migrations, accounts and call records, on SQLite or PostgreSQL."""

from callrec.store.engine import make_engine
from callrec.store.errors import AlreadyExists, NotFound, StoreError
from callrec.store.migrate import upgrade

__all__ = ["AlreadyExists", "NotFound", "StoreError", "make_engine", "upgrade"]
