"""Call records: idempotent inserts and the page query."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, func, select, tuple_, update
from sqlalchemy.engine import Connection, Row

from callrec.model import CallRecord
from callrec.rating.rater import Pricing
from callrec.rating.status import RERATABLE, UNRATED
from callrec.store.change_notices import announce_change
from callrec.store.dialect import driver_rows, positional_placeholder
from callrec.store.page_plan import COUNT_SQL, HOURS_SQL, PAGE_AFTER_SQL, PAGE_SQL
from callrec.store.partitions import ensure_partitions
from callrec.store.push_outbox import enqueue_for_push
from callrec.store.rollups import FACT_COLUMNS, HOUR_US, add_facts, facts_from_row
from callrec.store.rollups import apply as apply_rollups
from callrec.store.rollups_batch import PreparedRollups
from callrec.store.rollups_batch import add_stored as add_stored_to_rollups
from callrec.store.rollups_batch import prepare as prepare_rollups
from callrec.store.rollups_batch import write as write_rollups
from callrec.store.schema import call_counts, call_record_ids, call_records, workspaces
from callrec.wire.money import plain, to_micros
from callrec.wire.records import STORED_COLUMNS
from callrec.wire.times import now_micros

c = call_records.c
counts = call_counts.c
ids = call_record_ids.c
ID_COLUMNS = ("workspace_id", "callid", "start_us", "stored_us")
_same_record = and_(
    c.workspace_id == ids.workspace_id, c.start_us == ids.start_us, c.callid == ids.callid
)
PAGE_COLUMNS = tuple(getattr(c, name) for name in STORED_COLUMNS)


@dataclass(frozen=True, slots=True)
class InsertOutcome:
    inserted: int
    duplicates: int
    inserted_callids: frozenset[str]


def _optional_micros(value: Any) -> int | None:
    return None if value is None else to_micros(value)


def _optional_plain(value: Any) -> str | None:
    return None if value is None else plain(value)


class StoredRecord(NamedTuple):
    """A record as the store writes it: money in micro-units, rates as text, with its
    workspace; only ``stored_us`` is added when it is written (INSERT_COLUMNS)."""

    workspace_id: int
    callid: str
    start_us: int
    end_us: int
    number: str
    number_type: str | None
    caller: str
    called: str
    ccode: str | None
    country: str | None
    call_source: int
    call_duration: int
    charged_duration: int
    pay_micros: int
    sip_code: str | None
    recording_url: str
    hangup_reason: str | None
    app_id: str | None
    charged_period: str | None
    customer_rate: str | None
    currency: str | None
    quote_exchange: str | None
    settle_rate_micros: int | None
    settle_pay_micros: int | None
    rating_status: str


INSERT_COLUMNS = (*StoredRecord._fields, "stored_us")


def record_row(workspace_id: int, r: CallRecord) -> StoredRecord:
    """The record as the store writes it."""
    return StoredRecord(
        workspace_id, r.callid, r.start_us, r.end_us, r.number, r.number_type, r.caller,
        r.called, r.ccode, r.country, r.call_source, r.call_duration, r.charged_duration,
        to_micros(r.pay), r.sip_code, r.recording_url, r.hangup_reason, r.app_id,
        r.charged_period, _optional_plain(r.customer_rate), r.currency,
        _optional_plain(r.quote_exchange), _optional_micros(r.settle_rate),
        _optional_micros(r.settle_pay), r.rating_status,
    )  # fmt: skip


def _insert_sql(conn: Connection, table: str, columns: Sequence[str], ignore: bool) -> str:
    placeholders = ", ".join([positional_placeholder(conn)] * len(columns))
    conflict = " ON CONFLICT DO NOTHING" if ignore else ""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}){conflict}"


# A stored row's rollup facts, in rollups.FACT_COLUMNS order (money already in micro-units).
_fact_values = itemgetter(*(INSERT_COLUMNS.index(name) for name in FACT_COLUMNS))


# PostgreSQL claims a whole batch in one statement (arrays); SQLite in multi-row VALUES of
# this many rows (4 parameters each, well under its 32,766-variable limit).
_CLAIM_ROWS_PER_STATEMENT = 500
_CLAIM_RETURNING = " ON CONFLICT DO NOTHING RETURNING callid"
_CLAIM_FROM_ARRAYS = (
    f"INSERT INTO {call_record_ids.name} ({', '.join(ID_COLUMNS)}) "
    "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::bigint[])" + _CLAIM_RETURNING
)


_CLAIM_ONE = (
    f"INSERT INTO {call_record_ids.name} ({', '.join(ID_COLUMNS)}) VALUES (?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)


def _claim_all_or_none(conn: Connection, rows: list[tuple[Any, ...]]) -> set[str] | None:
    """SQLite: claim the rows by ``executemany``, which says only how many it inserted. All of
    them (nearly every batch) or none (a batch stored before) says which; otherwise (None)
    the attempt is rolled back to its savepoint, for ``RETURNING`` to name them. Half the
    instructions of the multi-row ``RETURNING`` statements (4.4 -> 2.3 us a CDR)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("SAVEPOINT claim_callids")
        cursor.executemany(_CLAIM_ONE, rows)
        inserted = cursor.rowcount
        if inserted not in (0, len(rows)):
            cursor.execute("ROLLBACK TO claim_callids")
        cursor.execute("RELEASE claim_callids")
    finally:
        cursor.close()
    if inserted == len(rows):
        return {row[1] for row in rows}
    return set() if inserted == 0 else None


def _claim_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> set[str]:
    """The callids of ``rows`` (unique) this statement inserted into call_record_ids."""
    if conn.dialect.name == "postgresql":
        columns = tuple(list(column) for column in zip(*rows, strict=True))
        return {row[0] for row in conn.exec_driver_sql(_CLAIM_FROM_ARRAYS, columns)}
    all_or_none = _claim_all_or_none(conn, rows)
    if all_or_none is not None:
        return all_or_none
    claimed: set[str] = set()
    for start in range(0, len(rows), _CLAIM_ROWS_PER_STATEMENT):
        chunk = rows[start : start + _CLAIM_ROWS_PER_STATEMENT]
        values = ", ".join(["(?, ?, ?, ?)"] * len(chunk))
        sql = (
            f"INSERT INTO {call_record_ids.name} ({', '.join(ID_COLUMNS)}) VALUES {values}"
            + _CLAIM_RETURNING
        )
        parameters = tuple(value for row in chunk for value in row)
        claimed.update(row[0] for row in conn.exec_driver_sql(sql, parameters))
    return claimed


def claim_callids(
    conn: Connection, workspace_id: int, new: dict[str, StoredRecord], stored_us: int
) -> list[str]:
    """Claim the callids in call_record_ids; the ones this writer claimed, maybe none.

    A callid already stored, or committed by another writer a moment ago, is not claimed:
    that record is someone else's, and this one a duplicate. ``RETURNING`` names exactly the
    rows this statement inserted, so two writers are told apart even when their clocks agree.
    """
    rows = [(workspace_id, r.callid, r.start_us, stored_us) for r in new.values()]
    claimed = _claim_rows(conn, rows)
    return [callid for callid in new if callid in claimed]


def insert_records(
    conn: Connection, workspace_id: int, records: Sequence[CallRecord]
) -> InsertOutcome:
    """``insert_rows`` for records in their Decimal form."""
    return insert_rows(conn, workspace_id, [record_row(workspace_id, r) for r in records])


@dataclass(frozen=True, slots=True)
class PreparedRows:
    """One workspace's batch made ready before the write transaction (``prepare_rows``): the
    first row of each callid (in arrival order, and again in the records' key order), and
    their rollups as if every one of them is stored, which is what storing nearly always
    comes to."""

    workspace_id: int
    size: int  # rows given, repeats included
    first: dict[str, StoredRecord]
    rollups: PreparedRollups
    in_key_order: list[StoredRecord]


# call_records' primary key after workspace_id (start_us, callid): rows are inserted in this
# order, so that each B-tree (the table, its two indexes) is walked forwards once instead of
# being hit at random; a batch spread over 60 days cost 1.8x as much CPU to insert in arrival
# order (SQLite). Python's str order is the byte order of UTF-8, as the key's collation.
_key_order = itemgetter(
    StoredRecord._fields.index("start_us"), StoredRecord._fields.index("callid")
)


def prepare_rows(dialect: str, workspace_id: int, rows: Sequence[StoredRecord]) -> PreparedRows:
    """The part of ``insert_rows`` that needs no database, to run outside the write lock."""
    first: dict[str, StoredRecord] = {}
    for row in rows:
        first.setdefault(row.callid, row)
    in_key_order = sorted(first.values(), key=_key_order)
    # In key order the rollups' hourly and daily keys arrive nearly sorted, which their sorts
    # make short work of.
    facts = list(map(_fact_values, in_key_order))
    return PreparedRows(
        workspace_id, len(rows), first, prepare_rollups(dialect, workspace_id, facts), in_key_order
    )


def insert_rows(
    conn: Connection, workspace_id: int, rows: Sequence[StoredRecord] | PreparedRows
) -> InsertOutcome:
    """Insert what is new; a callid already stored for the workspace is a duplicate (and
    within the batch, the first of a repeated callid is the one kept).

    Runs inside the caller's transaction, so callers choose the batch that commits together.
    This is the ingest hot path, so it speaks to the driver directly: the callids are claimed
    in call_record_ids with ``ON CONFLICT DO NOTHING … RETURNING``, which is the dedupe (no
    lookup first: an unclaimed callid is a duplicate, stored before or by another writer at
    the same moment, PostgreSQL making the second wait for the first), then ``executemany``
    of plain tuples for the records this writer won. Rows prepared before the transaction
    (``prepare_rows``) keep their rollups unless some turn out to be duplicates.
    """
    if not isinstance(rows, PreparedRows):
        rows = prepare_rows(conn.dialect.name, workspace_id, rows)
    assert rows.workspace_id == workspace_id
    if not rows.first:
        return InsertOutcome(0, 0, frozenset())
    stored_us = now_micros()
    new = rows.first
    ensure_partitions(conn, (r.start_us for r in new.values()))
    ours = claim_callids(conn, workspace_id, new, stored_us)
    if ours:
        everything = len(ours) == len(new)
        if everything:
            won = rows.in_key_order
        else:
            claimed = set(ours)
            won = [row for row in rows.in_key_order if row.callid in claimed]
        conn.exec_driver_sql(
            _insert_sql(conn, call_records.name, INSERT_COLUMNS, ignore=False),
            [(*row, stored_us) for row in won],
        )
        add_to_counts(conn, workspace_id, (row.start_us for row in won))
        if everything:
            write_rollups(conn, rows.rollups)
        else:
            add_stored_to_rollups(conn, workspace_id, list(map(_fact_values, won)))
        bump_records_revision(conn, workspace_id)
        enqueue_for_push(conn, workspace_id, ours)
    inserted = frozenset(ours)
    return InsertOutcome(len(inserted), rows.size - len(inserted), inserted)


_COUNT_SQL, _HOURS_SQL, _PAGE_SQL = COUNT_SQL, HOURS_SQL, PAGE_SQL


# Statements run on the driver directly (they bypass SQLAlchemy's events, so the schema-rule
# test checks them from this list).
DRIVER_STATEMENTS = (_COUNT_SQL, _HOURS_SQL, _PAGE_SQL, PAGE_AFTER_SQL)


def _count_range(conn: Connection, workspace_id: int, start_us: int, end_us: int) -> int:
    if start_us >= end_us:
        return 0
    [(count,)] = driver_rows(conn, _COUNT_SQL, (workspace_id, start_us, end_us))
    return int(count)


def count_window(conn: Connection, workspace_id: int, start_us: int, end_us: int) -> int:
    """Records starting in [start, end): whole hours from call_counts, the edges counted.

    So a 31-day window costs ~744 counter rows and at most two partial hours of index, not a
    scan of the month. Exact: the counters change in the transactions that store records.
    """
    first_hour = -(-start_us // HOUR_US) * HOUR_US
    last_hour = end_us // HOUR_US * HOUR_US
    if first_hour >= last_hour:
        return _count_range(conn, workspace_id, start_us, end_us)
    whole_hours = conn.execute(
        select(func.coalesce(func.sum(counts.n), 0)).where(
            counts.workspace_id == workspace_id,
            counts.hour_us >= first_hour,
            counts.hour_us < last_hour,
        )
    ).scalar_one()
    return (
        int(whole_hours)
        + _count_range(conn, workspace_id, start_us, first_hour)
        + _count_range(conn, workspace_id, last_hour, end_us)
    )


# Below this offset a plain OFFSET is as cheap as consulting the counters.
DIRECT_OFFSET = 5_000


def _hourly_counts(
    conn: Connection, workspace_id: int, first_hour: int, last_hour: int
) -> list[tuple[int, int]]:
    return driver_rows(conn, _HOURS_SQL, (workspace_id, first_hour, last_hour))  # type: ignore[return-value]


def _rows_from(
    conn: Connection, workspace_id: int, seek_us: int, end_us: int, offset: int, limit: int
) -> list[tuple[Any, ...]]:
    """Plain tuples in STORED_COLUMNS order, straight from the driver."""
    return driver_rows(conn, _PAGE_SQL, (workspace_id, seek_us, end_us, limit, offset))


def read_page(
    conn: Connection, workspace_id: int, start_us: int, end_us: int, offset: int, limit: int
) -> tuple[int, list[tuple[Any, ...]]]:
    """The window's total and one page of it, for any page depth at about the same cost.

    The hourly counters give the total, and tell which hour the page's first record starts
    in: the page is read from that hour with an OFFSET smaller than one hour's calls, instead
    of skipping every record before it. Call inside one transaction (one snapshot).
    """
    first_hour = -(-start_us // HOUR_US) * HOUR_US
    last_hour = end_us // HOUR_US * HOUR_US
    if first_hour >= last_hour:
        total = _count_range(conn, workspace_id, start_us, end_us)
        rows = (
            _rows_from(conn, workspace_id, start_us, end_us, offset, limit)
            if offset < total
            else ()
        )
        return total, rows
    head = _count_range(conn, workspace_id, start_us, first_hour)
    hours = _hourly_counts(conn, workspace_id, first_hour, last_hour)
    tail = _count_range(conn, workspace_id, last_hour, end_us)
    total = head + sum(n for _hour, n in hours) + tail
    if offset >= total:
        return total, []
    if offset < max(head, DIRECT_OFFSET):
        return total, _rows_from(conn, workspace_id, start_us, end_us, offset, limit)
    seek_us, skipped = last_hour, head
    for hour, n in hours:
        if skipped + n > offset:
            seek_us = hour
            break
        skipped += n
    return total, _rows_from(conn, workspace_id, seek_us, end_us, offset - skipped, limit)


def add_to_counts(conn: Connection, workspace_id: int, start_times: Iterable[int]) -> None:
    per_hour = Counter(start // HOUR_US * HOUR_US for start in start_times)
    if not per_hour:
        return
    placeholder = positional_placeholder(conn)
    conn.exec_driver_sql(
        f"INSERT INTO {call_counts.name} (workspace_id, hour_us, n) "
        f"VALUES ({placeholder}, {placeholder}, {placeholder}) "
        f"ON CONFLICT (workspace_id, hour_us) DO UPDATE SET n = {call_counts.name}.n + excluded.n",
        [(workspace_id, hour, n) for hour, n in sorted(per_hour.items())],
    )


def page_rows(
    conn: Connection, workspace_id: int, start_us: int, end_us: int, offset: int, limit: int
) -> Sequence[Row[Any]]:
    """One page of the window, ascending by start time then callid (byte order)."""
    return conn.execute(
        select(*PAGE_COLUMNS)
        .where(c.workspace_id == workspace_id, c.start_us >= start_us, c.start_us < end_us)
        .order_by(c.start_us, c.callid)
        .offset(offset)
        .limit(limit)
    ).all()


def count_records(conn: Connection, workspace_id: int) -> int:
    return conn.execute(
        select(func.count()).select_from(call_records).where(c.workspace_id == workspace_id)
    ).scalar_one()


MICROS = 1_000_000


def record_content(record: CallRecord | StoredRecord) -> tuple[object, ...]:
    """What must match for a repeated callid to be the same call rather than a conflict."""
    return (record.caller, record.called, record.start_us // MICROS, record.end_us // MICROS,
            record.call_duration, record.sip_code)  # fmt: skip


def stored_content(
    conn: Connection, workspace_id: int, callids: Sequence[str]
) -> dict[str, tuple[object, ...]]:
    found: dict[str, tuple[object, ...]] = {}
    for start in range(0, len(callids), 500):
        rows = conn.execute(
            select(
                c.callid, c.caller, c.called, c.start_us, c.end_us, c.call_duration, c.sip_code
            ).where(c.workspace_id == workspace_id, c.callid.in_(callids[start : start + 500]))
        ).all()
        for r in rows:
            found[r.callid] = (r.caller, r.called, r.start_us // MICROS, r.end_us // MICROS,
                               r.call_duration, r.sip_code)  # fmt: skip
    return found


RERATE_COLUMNS = (
    c.callid, c.start_us, c.number, c.called, c.call_source, c.call_duration, c.rating_status,
    c.country, c.pay_micros, c.charged_duration, c.charged_period, c.customer_rate, c.currency,
    c.quote_exchange, c.settle_rate_micros, c.settle_pay_micros,
)  # fmt: skip


def reratable_chunk(
    conn: Connection,
    workspace_id: int,
    start_us: int,
    end_us: int,
    after: tuple[int, str] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """The next records rated here (not priced elsewhere), in page order after ``after``."""
    query = select(*RERATE_COLUMNS).where(
        c.workspace_id == workspace_id,
        c.start_us >= start_us,
        c.start_us < end_us,
        c.rating_status.in_(RERATABLE),
    )
    if after is not None:
        query = query.where(tuple_(c.start_us, c.callid) > tuple_(*after))
    return conn.execute(query.order_by(c.start_us, c.callid).limit(limit)).all()


def _pricing_values(pricing: Pricing) -> dict[str, Any]:
    return {
        "charged_duration": pricing.charged_duration,
        "pay_micros": to_micros(pricing.pay),
        "charged_period": pricing.charged_period,
        "customer_rate": plain(pricing.customer_rate),
        "currency": pricing.currency,
        "quote_exchange": _optional_plain(pricing.quote_exchange),
        "settle_rate_micros": _optional_micros(pricing.settle_rate),
        "settle_pay_micros": _optional_micros(pricing.settle_pay),
        "rating_status": pricing.status,
    }


def pricing_differs(row: Row[Any], pricing: Pricing) -> bool:
    return any(getattr(row, k) != v for k, v in _pricing_values(pricing).items())


def bump_records_revision(conn: Connection, workspace_id: int) -> None:
    """Mark the workspace's records as changed, in the transaction that changes them."""
    conn.execute(
        update(workspaces)
        .where(workspaces.c.id == workspace_id)
        .values(records_revision=workspaces.c.records_revision + 1)
    )
    announce_change(conn, workspace_id)


def update_pricing(
    conn: Connection, workspace_id: int, updates: Sequence[tuple[Row[Any], Pricing]]
) -> None:
    """Re-price records read by ``reratable_chunk``; their rollups follow in the same
    transaction (the old contribution out, the new one in)."""
    if not updates:
        return
    bump_records_revision(conn, workspace_id)
    deltas = add_facts({}, (facts_from_row(row) for row, _pricing in updates), sign=-1)
    add_facts(
        deltas,
        (
            facts_from_row(
                row,
                currency=pricing.currency,
                charged_duration=pricing.charged_duration,
                pay_micros=to_micros(pricing.pay),
                settle_pay_micros=_optional_micros(pricing.settle_pay),
            )
            for row, pricing in updates
        ),
    )
    apply_rollups(conn, workspace_id, deltas)
    statement = (
        update(call_records)
        .where(
            c.workspace_id == workspace_id,
            c.start_us == bindparam("b_start_us"),
            c.callid == bindparam("b_callid"),
        )
        .values({k: bindparam(k) for k in _pricing_values(updates[0][1])})
    )
    conn.execute(
        statement,
        [
            {"b_start_us": row.start_us, "b_callid": row.callid, **_pricing_values(pricing)}
            for row, pricing in updates
        ],
    )


def unrated_records(conn: Connection, workspace_id: int) -> Sequence[Row[Any]]:
    return conn.execute(
        select(c.number, c.called, c.call_source, c.call_duration, c.ccode, c.country).where(
            c.workspace_id == workspace_id, c.rating_status == UNRATED
        )
    ).all()
