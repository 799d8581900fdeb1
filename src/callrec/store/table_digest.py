"""A table's row count and a digest of its contents that two backends can compare.

The digest is the sum, modulo 2**256, of the SHA-256 of each row's canonical JSON encoding
(msgspec's): it does not depend on the order rows are read in (SQLite and PostgreSQL sort
text keys differently unless told otherwise), a missing, extra or changed row changes it, and
it is computed while streaming, in constant memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

_MODULUS = 1 << 256
_PLAIN_TYPES = frozenset({str, int, bool, type(None)})
_encoder = msgspec.json.Encoder()


def canonical_row(values: Sequence[Any]) -> bytes:
    """One row as compact JSON (UTF-8, no escapes beyond JSON's own); only the types
    callrec's schema stores are accepted, so a value cannot pass for another type's text."""
    for value in values:
        if type(value) not in _PLAIN_TYPES:
            raise TypeError(f"cannot digest a {type(value).__name__} column value")
    return _encoder.encode(list(values))


@dataclass(slots=True)
class TableDigest:
    rows: int = 0
    _sum: int = 0

    def add(self, values: Sequence[Any]) -> None:
        self.add_all((values,))

    def add_all(self, rows: Iterable[Sequence[Any]]) -> None:
        # Summed unreduced and reduced once: a row adds 256 bits, a table's count a few more.
        total, count = self._sum, 0
        for values in rows:
            total += int.from_bytes(hashlib.sha256(canonical_row(values)).digest(), "big")
            count += 1
        self._sum = total % _MODULUS
        self.rows += count

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
