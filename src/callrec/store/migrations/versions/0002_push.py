"""push: webhook targets, the push outbox and delivery batches; workspace time zones

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:57:26.694319
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _callid() -> sa.types.TypeEngine[str]:
    return sa.String(length=128).with_variant(sa.String(length=128, collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False)
        )

    op.create_table(
        "push_targets",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.Column("batch_sequence", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("delivered_records", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_success_us", sa.BigInteger(), nullable=True),
        sa.Column("last_failure_us", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_push_targets_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_push_targets")),
    )

    op.create_table(
        "push_outbox",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("callid", _callid(), nullable=False),
        sa.Column("enqueued_us", sa.BigInteger(), nullable=False),
        sa.Column("batch_number", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("workspace_id", "callid", name=op.f("pk_push_outbox")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("push_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_push_outbox_batch",
            ["workspace_id", "batch_number", "enqueued_us", "callid"],
            unique=False,
        )

    op.create_table(
        "push_batches",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("batch_number", sa.BigInteger(), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_us", sa.BigInteger(), nullable=False),
        sa.Column("lease_until_us", sa.BigInteger(), nullable=True),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("parked_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("workspace_id", "batch_number", name=op.f("pk_push_batches")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("push_batches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_push_batches_due", ["workspace_id", "state", "next_attempt_us"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("push_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_push_batches_due")
    op.drop_table("push_batches")

    with op.batch_alter_table("push_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_push_outbox_batch")
    op.drop_table("push_outbox")

    op.drop_table("push_targets")

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
