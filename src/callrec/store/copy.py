"""Moving a SQLite installation to PostgreSQL, every row of every table, verified.

The source is read in one snapshot (a single read transaction: under WAL a server may keep
writing, and the copy is the database as of its start). The target must be empty: it is
migrated to the newest schema first, then every table is copied in foreign-key order, in
batches, in one transaction (``COPY`` through psycopg), so a failed copy leaves it empty
again. Rows are copied as stored: sealed secrets stay sealed (their associated data is the
API key or workspace id, which are kept), so the copy is served with the same master key.
Afterwards the workspace id sequence is moved past the copied ids, and every table is counted
and digested on both sides (callrec.store.table_digest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from psycopg import sql
from sqlalchemy import Table, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine

from callrec.store.errors import InvalidValue, StoreError
from callrec.store.migrate import current_revision, is_current, is_known_revision, upgrade
from callrec.store.partitions import ensure_partitions
from callrec.store.schema import call_records, metadata
from callrec.store.table_digest import digest_table

DEFAULT_BATCH_ROWS = 5000

# (table name, rows copied so far, rows in the table)
CopyProgress = Callable[[str, int, int], None]


class TargetNotEmpty(StoreError):
    pass


@dataclass(frozen=True, slots=True)
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_digest: str
    target_digest: str

    @property
    def matches(self) -> bool:
        return (self.source_rows, self.source_digest) == (self.target_rows, self.target_digest)


@dataclass(frozen=True, slots=True)
class CopyReport:
    tables: tuple[TableCheck, ...]

    @property
    def verified(self) -> bool:
        return all(check.matches for check in self.tables)

    @property
    def rows(self) -> int:
        return sum(check.source_rows for check in self.tables)


def _no_progress(_table: str, _done: int, _total: int) -> None:
    pass


def _check_engines(source: Engine, target: Engine) -> None:
    if source.dialect.name != "sqlite":
        raise InvalidValue("db copy moves a SQLite database: CALLREC_DATABASE_URL must be one")
    if target.dialect.name != "postgresql":
        raise InvalidValue("--to must be a PostgreSQL URL (postgresql://user@host/database)")
    if not is_current(source):
        raise StoreError("the source schema is not current: run `callrec db upgrade` on it first")


def nonempty_tables(target: Engine) -> list[str]:
    """callrec's tables in the target that already hold rows."""
    existing = set(inspect(target).get_table_names())
    with target.connect() as conn:
        return [
            table.name
            for table in metadata.sorted_tables
            if table.name in existing
            and conn.execute(select(1).select_from(table).limit(1)).first() is not None
        ]


def _prepare_target(target: Engine) -> None:
    revision = current_revision(target)
    if revision is not None and not is_known_revision(revision):
        raise TargetNotEmpty(
            f"the target is at schema revision {revision}, which this callrec does not know"
        )
    busy = nonempty_tables(target)
    if busy:
        raise TargetNotEmpty(
            f"the target database is not empty ({', '.join(busy)} hold rows); "
            "copy into an empty database"
        )
    upgrade(target)


def _start_times(conn: Connection, batch_rows: int) -> Iterator[int]:
    result = conn.execution_options(yield_per=batch_rows).execute(select(call_records.c.start_us))
    for partition in result.partitions():
        for (start_us,) in partition:
            yield start_us


def _copy_table(
    source: Connection,
    target: Connection,
    table: Table,
    batch_rows: int,
    progress: CopyProgress,
) -> None:
    total = source.execute(select(func.count()).select_from(table)).scalar_one()
    progress(table.name, 0, total)
    copied = 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(column.name) for column in table.columns),
    )
    result = source.execution_options(yield_per=batch_rows).execute(select(table))
    # COPY inside the copy's transaction, through the driver: several times the rows a second
    # of INSERTs, which moved a 10M-call database in over an hour.
    cursor = target.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement) as rows_in:
        for partition in result.partitions():
            for row in partition:
                rows_in.write_row(row)
            copied += len(partition)
            progress(table.name, copied, total)


def _reset_sequences(target: Connection) -> None:
    """Move each serial column's sequence past the ids copied in, as inserts would have."""
    for table in metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        target.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE(MAX({column.name}), 1), MAX({column.name}) IS NOT NULL) "
                f"FROM {table.name}"
            ),
            {"table": table.name, "column": column.name},
        )


def copy_database(
    source: Engine,
    target: Engine,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: CopyProgress = _no_progress,
) -> CopyReport:
    """Copy every callrec table from ``source`` (SQLite) into the empty ``target``."""
    _check_engines(source, target)
    _prepare_target(target)
    with source.connect() as read, read.begin():
        with target.connect() as ddl:
            # Partition DDL must not run inside the copy's transaction: it would wait for the
            # lock that transaction's inserts hold on the parent table.
            ensure_partitions(ddl, _start_times(read, batch_rows))
        with target.begin() as write:
            for table in metadata.sorted_tables:
                _copy_table(read, write, table, batch_rows, progress)
            _reset_sequences(write)
        # Read again, apart from the copy, in the snapshot the copy was made from.
        source_digests = {t.name: digest_table(read, t, batch_rows) for t in metadata.sorted_tables}
    checks = []
    with target.connect() as verify, verify.begin():
        for table in metadata.sorted_tables:
            copied = digest_table(verify, table, batch_rows)
            original = source_digests[table.name]
            checks.append(
                TableCheck(
                    table.name, original.rows, copied.rows, original.hexdigest, copied.hexdigest
                )
            )
    return CopyReport(tuple(checks))
