"""The database schema, in SQLAlchemy Core.

Conventions that hold for every table:
- instants are ``BigInteger`` microseconds since the Unix epoch (UTC by definition), in
  columns named ``*_us``; a zone is applied only when rendering;
- money with a fixed 6-place scale (``pay``, ``SeptleRate``, ``SettlePay``) is integer
  micro-units in ``*_micros`` columns; rates stored "as precise as given" (``customerRate``,
  ``QuoteExchange``) are canonical decimal strings. Neither ever passes through a float, on
  any backend;
- every key of tenant data starts with ``workspace_id``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from callrec.store.dialect import byte_ordered_text

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("currency", String(3), nullable=False, default="USD"),
    Column("created_us", BigInteger, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("api_key", String(64), primary_key=True),
    # The vendor's sign is md5(key + secret + timestamp): the server must know the secret
    # itself, so it cannot be stored as a one-way hash. Protect the database file.
    Column("secret", String(128), nullable=False),
    Column("workspace_id", Integer, ForeignKey("workspaces.id"), nullable=False, index=True),
    Column("enabled", Boolean, nullable=False, default=True),
    # Space-separated CIDRs; empty means "any address".
    Column("allow_ips", Text, nullable=False, default=""),
    Column("created_us", BigInteger, nullable=False),
)

numbers = Table(
    "numbers",
    metadata,
    # E.164 digits without "+": the vendor's form. A number belongs to one workspace.
    Column("number", String(32), primary_key=True),
    Column("workspace_id", Integer, ForeignKey("workspaces.id"), nullable=False, index=True),
    Column("app_id", String(64), nullable=True),
    Column("type", String(8), nullable=True),
    Column("created_us", BigInteger, nullable=False),
)

call_records = Table(
    "call_records",
    metadata,
    Column("workspace_id", Integer, nullable=False),
    Column("start_us", BigInteger, nullable=False),
    Column("callid", byte_ordered_text(128), nullable=False),
    Column("end_us", BigInteger, nullable=False),
    Column("number", String(32), nullable=False),
    Column("number_type", String(8), nullable=True),
    Column("caller", String(64), nullable=False),
    Column("called", String(64), nullable=False),
    Column("ccode", String(8), nullable=True),
    Column("country", String(64), nullable=True),
    Column("call_source", SmallInteger, nullable=False),
    Column("call_duration", Integer, nullable=False),
    Column("charged_duration", Integer, nullable=False),
    Column("pay_micros", BigInteger, nullable=False),
    Column("sip_code", String(8), nullable=True),
    Column("recording_url", Text, nullable=False, default=""),
    Column("hangup_reason", String(64), nullable=True),
    Column("app_id", String(64), nullable=True),
    Column("charged_period", String(16), nullable=True),
    Column("customer_rate", String(40), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("quote_exchange", String(40), nullable=True),
    Column("settle_rate_micros", BigInteger, nullable=True),
    Column("settle_pay_micros", BigInteger, nullable=True),
    Column("stored_us", BigInteger, nullable=False),
    # The primary key is the page order itself: on SQLite the table is clustered on it
    # (WITHOUT ROWID), so a page is one contiguous range read with no lookups.
    PrimaryKeyConstraint("workspace_id", "start_us", "callid"),
    UniqueConstraint("workspace_id", "callid"),
    sqlite_with_rowid=False,
)
