"""records search: indexes for one number's and one direction's calls of a window, and the
table of the service's own keys (the search cursor's signing key)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
# Chained after 0006 so the migrations have one head (Alembic refuses two at "head").
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On PostgreSQL, CREATE INDEX on the partitioned parent builds it on every partition and
    # on partitions created later. It locks each partition against writes while it builds
    # (CONCURRENTLY cannot run on a partitioned table): see docs/operations.md.
    op.create_index(
        "ix_call_records_number", "call_records", ["workspace_id", "number", "start_us", "callid"]
    )
    op.create_index(
        "ix_call_records_direction",
        "call_records",
        ["workspace_id", "call_source", "start_us", "callid"],
    )
    op.create_table(
        "service_keys",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("key_hex", sa.String(length=128), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_keys")),
    )


def downgrade() -> None:
    op.drop_table("service_keys")
    op.drop_index("ix_call_records_direction", table_name="call_records")
    op.drop_index("ix_call_records_number", table_name="call_records")
