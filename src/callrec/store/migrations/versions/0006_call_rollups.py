"""call rollups: per-hour and per-day sums of call records for a window's stats, filled from
the records already stored

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported: a migration must keep doing what it did when it
# was written. The same rules as callrec.store.rollups (periods floor like Python's //).
_CURRENCY = "COALESCE(NULLIF(currency, ''), 'USD')"
_GRAINS = {"h": 3_600_000_000, "d": 86_400_000_000}
_DIMENSIONS = {
    "all": "''",
    "country": "COALESCE(country, '')",
    "number": "number",
    "source": "CAST(call_source AS VARCHAR(8))",
}


def backfill_statements() -> list[str]:
    statements = []
    for grain, length in _GRAINS.items():
        period = f"(start_us - ((start_us % {length}) + {length}) % {length})"
        for dimension, value in _DIMENSIONS.items():
            by_value = "" if dimension == "all" else f", {value}"  # PostgreSQL: no '' here
            statements.append(
                f"""
INSERT INTO call_rollups (workspace_id, grain, dimension, period_us, value, currency,
    attempts, answered, talk_seconds, charged_seconds, pay_micros, settle_micros,
    settle_missing)
SELECT workspace_id, '{grain}', '{dimension}', {period}, {value}, {_CURRENCY},
    COUNT(*),
    SUM(CASE WHEN call_duration > 0 THEN 1 ELSE 0 END),
    SUM(call_duration),
    SUM(charged_duration),
    SUM(pay_micros),
    SUM(CASE WHEN {_CURRENCY} = 'USD' THEN pay_micros ELSE COALESCE(settle_pay_micros, 0) END),
    SUM(CASE WHEN {_CURRENCY} <> 'USD' AND settle_pay_micros IS NULL THEN 1 ELSE 0 END)
FROM call_records
GROUP BY workspace_id, {period}{by_value}, {_CURRENCY}
"""
            )
    return statements


def upgrade() -> None:
    op.create_table(
        "call_rollups",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("dimension", sa.String(length=8), nullable=False),
        sa.Column("period_us", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
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
            "grain",
            "dimension",
            "period_us",
            "value",
            "currency",
            name=op.f("pk_call_rollups"),
        ),
        sqlite_with_rowid=False,
    )
    for statement in backfill_statements():
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("call_rollups")
