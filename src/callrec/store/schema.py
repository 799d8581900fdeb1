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
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    false,
    text,
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
    # Bumped by every rate-deck import, so ingest processes know when to reload the deck.
    Column("rating_revision", Integer, nullable=False, default=0, server_default="0"),
    # Bumped in every transaction that changes the workspace's records (insert, rerate,
    # purge): API processes cache rendered pages under it, so a change retires them at once.
    Column("records_revision", BigInteger, nullable=False, default=0, server_default="0"),
    # IANA zone that pushed records' times are rendered in (queryPage uses the request's).
    Column("time_zone", String(64), nullable=False, default="UTC", server_default="UTC"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("api_key", String(64), primary_key=True),
    # The vendor's sign is md5(key + secret + timestamp): the server must know the secret
    # itself, so it cannot be stored as a one-way hash. Stored versioned, sealed under the
    # master key when one is set (callrec.store.secret_box).
    Column("secret", Text, nullable=False),
    Column("workspace_id", Integer, ForeignKey("workspaces.id"), nullable=False, index=True),
    Column("enabled", Boolean, nullable=False, default=True),
    # Space-separated CIDRs; empty means "any address".
    Column("allow_ips", Text, nullable=False, default=""),
    Column("created_us", BigInteger, nullable=False),
    # Requests must also carry X-Callrec-Signature, an HMAC over the body (wire.body_sign).
    Column(
        "require_body_signature", Boolean, nullable=False, default=False, server_default=false()
    ),
    # The secret before the last rotation, still accepted until previous_secret_until_us
    # (callrec.operations.keys.rotate_key); sealed like secret.
    Column("previous_secret", Text, nullable=True),
    Column("previous_secret_until_us", BigInteger, nullable=True),
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
    # The rental and the customer's routing settings (the vendor's number API; store/numbers.py
    # holds their rules). No due date: the rental never expires.
    Column("due_date", Date, nullable=True),
    Column("auto_renew", Boolean, nullable=False, default=False, server_default=false()),
    Column("disabled", Boolean, nullable=False, default=False, server_default=false()),
    Column("out_ip", String(50), nullable=False, default="", server_default=text("''")),
    Column("in_ip", String(50), nullable=False, default="", server_default=text("''")),
    Column("inbound_prefix", String(32), nullable=False, default="", server_default=text("''")),
    Column("remark", String(50), nullable=False, default="", server_default=text("''")),
    Column("enable_voicemail", Boolean, nullable=False, default=False, server_default=false()),
    # Opaque id of the greeting in the file store (store/greetings.py), new on every upload.
    Column("voicemail_file_id", String(64), nullable=True),
    Column("voicemail_file_name", String(255), nullable=True),
    Column("voicemail_max_hangup", Integer, nullable=True),
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
    # How the price came about (callrec.rating.status): priced elsewhere and imported as
    # given, rated here, or stored unrated / without an exchange rate for rerate to fill.
    Column(
        "rating_status", String(8), nullable=False, default="external", server_default="external"
    ),
    # The primary key is the page order itself: on SQLite the table is clustered on it
    # (WITHOUT ROWID), so a page is one contiguous range read with no lookups. On PostgreSQL
    # the table is partitioned by month of start time (callrec.store.partitions), which is why
    # callid uniqueness lives in call_record_ids: a partitioned table cannot enforce a unique
    # key that leaves out the partition key.
    PrimaryKeyConstraint("workspace_id", "start_us", "callid"),
    # The records search's indexed filters (callrec.store.record_search): one number's or one
    # direction's calls of a window, already in page order. On PostgreSQL an index on the
    # partitioned table is created on every partition, present and future.
    Index("ix_call_records_number", "workspace_id", "number", "start_us", "callid"),
    Index("ix_call_records_direction", "workspace_id", "call_source", "start_us", "callid"),
    sqlite_with_rowid=False,
    postgresql_partition_by="RANGE (start_us)",
)

call_record_ids = Table(
    "call_record_ids",
    metadata,
    # One row per stored record: the dedupe key, and where the record sits in page order.
    Column("workspace_id", Integer, nullable=False),
    Column("callid", byte_ordered_text(128), nullable=False),
    Column("start_us", BigInteger, nullable=False),
    # Which write stored it: lets a writer tell its own rows from a concurrent writer's.
    Column("stored_us", BigInteger, nullable=False),
    PrimaryKeyConstraint("workspace_id", "callid"),
    Index("ix_call_record_ids_workspace_start", "workspace_id", "start_us"),
    sqlite_with_rowid=False,
)

call_counts = Table(
    "call_counts",
    metadata,
    # Records per workspace and UTC hour of start, kept in the transaction that stores them:
    # a window's total is the sum of its whole hours plus exact counts of its two edges.
    Column("workspace_id", Integer, nullable=False),
    Column("hour_us", BigInteger, nullable=False),
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("workspace_id", "hour_us"),
    sqlite_with_rowid=False,
)

call_rollups = Table(
    "call_rollups",
    metadata,
    # Sums of a workspace's calls per UTC hour (grain "h") and per UTC day ("d"), each broken
    # down along one dimension at a time: "all" (no breakdown), "country", "number" or
    # "source" (callSource). Kept in the transactions that store, rerate and purge records
    # (callrec.store.rollups), so a window's stats read ~days x (countries + numbers) rows
    # instead of the window's records.
    Column("workspace_id", Integer, nullable=False),
    Column("grain", String(1), nullable=False),
    Column("dimension", String(8), nullable=False),
    Column("period_us", BigInteger, nullable=False),
    Column("value", String(64), nullable=False),  # "" for "all" and for a missing country
    Column("currency", String(3), nullable=False),  # the record's, USD when it has none
    Column("attempts", BigInteger, nullable=False),
    Column("answered", BigInteger, nullable=False),  # talk time above zero
    Column("talk_seconds", BigInteger, nullable=False),
    Column("charged_seconds", BigInteger, nullable=False),
    Column("pay_micros", BigInteger, nullable=False),
    # USD amounts (SettlePay, or pay itself in USD), and how many records lack theirs.
    Column("settle_micros", BigInteger, nullable=False),
    Column("settle_missing", BigInteger, nullable=False),
    PrimaryKeyConstraint("workspace_id", "grain", "dimension", "period_us", "value", "currency"),
    sqlite_with_rowid=False,
)

service_keys = Table(
    "service_keys",
    metadata,
    # Random keys the service makes for itself, shared by all its processes: "records_cursor"
    # signs the records search's cursors (callrec.store.record_cursor).
    Column("name", String(32), primary_key=True),
    Column("key_hex", String(128), nullable=False),
    Column("created_us", BigInteger, nullable=False),
)

rate_deck = Table(
    "rate_deck",
    metadata,
    Column("workspace_id", Integer, ForeignKey("workspaces.id"), nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("direction", String(3), nullable=False),  # in | out | any
    Column("effective_from_us", BigInteger, nullable=False),
    Column("rate", String(40), nullable=False),  # per minute, quote currency, plain decimal
    Column("charged_period", String(16), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    PrimaryKeyConstraint("workspace_id", "prefix", "direction", "effective_from_us"),
)

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("currency", String(3), nullable=False),
    Column("effective_from_us", BigInteger, nullable=False),
    Column("rate", String(40), nullable=False),  # settle currency (USD) per quote unit
    Column("created_us", BigInteger, nullable=False),
    PrimaryKeyConstraint("currency", "effective_from_us"),
)

unrouted_cdrs = Table(
    "unrouted_cdrs",
    metadata,
    # One entry per callid: the same CDR quarantined twice (a retry, a second path) is one.
    Column("callid", String(128), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("caller", String(64), nullable=False),
    Column("called", String(64), nullable=False),
    Column("start_us", BigInteger, nullable=False),
    Column("answer_us", BigInteger, nullable=True),
    Column("end_us", BigInteger, nullable=False),
    Column("talk_seconds", Integer, nullable=True),
    Column("sip_code", String(8), nullable=True),
    Column("hangup_reason", String(64), nullable=True),
    Column("recording_url", Text, nullable=False, default=""),
    Column("reason", String(200), nullable=False),
    Column("received_us", BigInteger, nullable=False),
)

ingest_sources = Table(
    "ingest_sources",
    metadata,
    Column("name", String(64), primary_key=True),
    # HTTP Basic user name for FreeSWITCH; the password doubles as the Bearer token.
    Column("username", String(64), nullable=False, unique=True),
    Column("secret_sha256", String(64), nullable=False),
    Column("encode_values", Boolean, nullable=False, default=True),
    Column("skip_b_legs", Boolean, nullable=False, default=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_us", BigInteger, nullable=False),
)


push_targets = Table(
    "push_targets",
    metadata,
    # Where a workspace's new records are pushed (callrec.push); one URL per workspace.
    Column("workspace_id", Integer, ForeignKey("workspaces.id"), primary_key=True),
    Column("url", Text, nullable=False),
    # HMAC key for the push signature; must be known to sign: stored like api_keys.secret.
    Column("secret", Text, nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    # The workspace's last batch number: batches are numbered 1, 2, ... per workspace.
    Column("batch_sequence", BigInteger, nullable=False, default=0, server_default="0"),
    Column("delivered_records", BigInteger, nullable=False, default=0, server_default="0"),
    Column("last_success_us", BigInteger, nullable=True),
    Column("last_failure_us", BigInteger, nullable=True),
    Column("last_error", Text, nullable=True),
)

push_outbox = Table(
    "push_outbox",
    metadata,
    # One row per record waiting to be pushed, written in the transaction that stored the
    # record. batch_number is NULL until a worker gathers the row into a batch.
    Column("workspace_id", Integer, nullable=False),
    Column("callid", byte_ordered_text(128), nullable=False),
    Column("enqueued_us", BigInteger, nullable=False),
    Column("batch_number", BigInteger, nullable=True),
    PrimaryKeyConstraint("workspace_id", "callid"),
    # A workspace's unbatched rows, oldest first; a batch's rows.
    Index("ix_push_outbox_batch", "workspace_id", "batch_number", "enqueued_us", "callid"),
    sqlite_with_rowid=False,
)

push_batches = Table(
    "push_batches",
    metadata,
    # Up to 100 records sent together, retried together under one delivery id. Deleted once
    # delivered; parked after the last failed try until `callrec push retry`.
    Column("workspace_id", Integer, nullable=False),
    Column("batch_number", BigInteger, nullable=False),
    Column("delivery_id", String(36), nullable=False),  # a UUID, the same on every try
    Column("state", String(8), nullable=False),  # pending | parked
    Column("record_count", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_us", BigInteger, nullable=False),
    # Claimed by the worker holding lease_token until lease_until_us; NULL when unclaimed.
    Column("lease_until_us", BigInteger, nullable=True),
    Column("lease_token", String(32), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("parked_us", BigInteger, nullable=True),
    PrimaryKeyConstraint("workspace_id", "batch_number"),
    # A workspace's due batches: one range probe, however many wait for a later try.
    Index("ix_push_batches_due", "workspace_id", "state", "next_attempt_us"),
    sqlite_with_rowid=False,
)


admin_tokens = Table(
    "admin_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    # sha256 of the token: tokens are 256 random bits, so a fast hash cannot be brute-forced,
    # and nothing ever needs the token back (unlike an API secret, which signs).
    Column("token_sha256", String(64), nullable=False, unique=True),
    # NULL: an operator token (every workspace); else the one workspace it may see.
    Column("workspace_id", Integer, ForeignKey("workspaces.id"), nullable=True),
    Column("read_only", Boolean, nullable=False, default=False),
    Column("created_us", BigInteger, nullable=False),
    Column("revoked_us", BigInteger, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    # One row per change to an account object, written in the change's own transaction.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("at_us", BigInteger, nullable=False),
    Column("actor", String(80), nullable=False),  # "token:NAME" or "cli"
    Column("action", String(40), nullable=False),  # e.g. key.rotate
    Column("object_type", String(20), nullable=False),
    Column("object_id", String(200), nullable=False),
    # The workspace the object belonged to (no foreign key: the trail outlives a workspace).
    Column("workspace_id", Integer, nullable=True),
    Column("before_json", Text, nullable=True),
    Column("after_json", Text, nullable=True),
    Index("ix_audit_log_workspace", "workspace_id", "id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # A POST's answer under its Idempotency-Key, per token, for 24 hours.
    Column("token_id", Integer, nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_sha256", String(64), nullable=False),
    Column("status", Integer, nullable=True),  # NULL while the first request is under way
    Column("body", Text, nullable=True),
    Column("created_us", BigInteger, nullable=False),
    PrimaryKeyConstraint("token_id", "key"),
)

console_users = Table(
    "console_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),  # argon2id, PHC string format
    # NULL: an operator (every workspace); else the one workspace the user sees.
    Column("workspace_id", Integer, ForeignKey("workspaces.id"), nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_us", BigInteger, nullable=False),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # sha256 of the cookie's token: a stolen database copy holds no usable session.
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("seen_us", BigInteger, nullable=False),  # for the idle timeout
    Column("expires_us", BigInteger, nullable=False),  # the absolute limit
    Index("ix_console_sessions_user_id", "user_id"),
)
