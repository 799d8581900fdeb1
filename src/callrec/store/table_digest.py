"""A table's row count and a digest of its contents that two backends can compare.

The digest is the sum, modulo 2**256, of the SHA-256 of each row's canonical JSON encoding:
it does not depend on the order rows are read in (SQLite and PostgreSQL sort text keys
differently unless told otherwise), a missing, extra or changed row changes it, and it is
computed while streaming, in constant memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

_MODULUS = 1 << 256
_PLAIN_TYPES = (str, int, bool, type(None))


def canonical_row(values: Sequence[Any]) -> bytes:
    """One row as compact JSON; only the types callrec's schema stores are accepted."""
    for value in values:
        if not isinstance(value, _PLAIN_TYPES):
            raise TypeError(f"cannot digest a {type(value).__name__} column value")
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(slots=True)
class TableDigest:
    rows: int = 0
    _sum: int = 0

    def add(self, values: Sequence[Any]) -> None:
        self.rows += 1
        row_hash = hashlib.sha256(canonical_row(values)).digest()
        self._sum = (self._sum + int.from_bytes(row_hash, "big")) % _MODULUS

    def add_all(self, rows: Iterable[Sequence[Any]]) -> None:
        for values in rows:
            self.add(values)

    @property
    def hexdigest(self) -> str:
        return f"{self._sum:064x}"


def digest_table(conn: Connection, table: Table, batch_rows: int = 5000) -> TableDigest:
    """Count and digest every row of ``table`` as this connection sees it."""
    digest = TableDigest()
    result = conn.execution_options(yield_per=batch_rows).execute(select(table))
    for partition in result.partitions():
        digest.add_all(partition)
    return digest
