"""call rollups: per-hour sums of call records for a window's stats, filled from the records

Revision ID: 0006
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported: a migration must keep doing what it did when it
# was written. Same rules as callrec.store.rollups.sums_of; the hour floors (Python's //).
_HOUR = "(start_us - ((start_us % 3600000000) + 3600000000) % 3600000000)"
_CURRENCY = "COALESCE(currency, 'USD')"
BACKFILL = f"""
INSERT INTO call_rollups (workspace_id, hour_us, country, call_source, number, currency,
    attempts, answered, talk_seconds, charged_seconds, pay_micros, settle_micros,
    settle_missing)
SELECT workspace_id, {_HOUR}, COALESCE(country, ''), call_source, number, {_CURRENCY},
    COUNT(*),
    SUM(CASE WHEN call_duration > 0 THEN 1 ELSE 0 END),
    SUM(call_duration),
    SUM(charged_duration),
    SUM(pay_micros),
    SUM(CASE WHEN {_CURRENCY} = 'USD' THEN pay_micros ELSE COALESCE(settle_pay_micros, 0) END),
    SUM(CASE WHEN {_CURRENCY} <> 'USD' AND settle_pay_micros IS NULL THEN 1 ELSE 0 END)
FROM call_records
GROUP BY workspace_id, {_HOUR}, COALESCE(country, ''), call_source, number, {_CURRENCY}
"""


def upgrade() -> None:
    op.create_table(
        "call_rollups",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("hour_us", sa.BigInteger(), nullable=False),
        sa.Column("country", sa.String(length=64), nullable=False),
        sa.Column("call_source", sa.SmallInteger(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("answered", sa.BigInteger(), nullable=False),
        sa.Column("talk_seconds", sa.BigInteger(), nullable=False),
        sa.Column("charged_seconds", sa.BigInteger(), nullable=False),
        sa.Column("pay_micros", sa.BigInteger(), nullable=False),
        sa.Column("settle_micros", sa.BigInteger(), nullable=False),
        sa.Column("settle_missing", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id",
            "hour_us",
            "country",
            "call_source",
            "number",
            "currency",
            name=op.f("pk_call_rollups"),
        ),
        sqlite_with_rowid=False,
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("call_rollups")
