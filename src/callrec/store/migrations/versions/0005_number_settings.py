"""number settings: rental due date, auto-renew, operator's disable flag, routing and voicemail

The fields the vendor's number API (``/v3/number/queryPage``, ``/v3/number/edit``) lists and
edits. Existing numbers get no due date (they never expire), auto-renew off, enabled, empty
routing fields and voicemail off.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("auto_renew", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("out_ip", sa.String(50), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("in_ip", sa.String(50), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("inbound_prefix", sa.String(32), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("remark", sa.String(50), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("enable_voicemail", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("voicemail_file_id", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("voicemail_file_name", sa.String(255), nullable=True))
        batch_op.add_column(sa.Column("voicemail_max_hangup", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("numbers", schema=None) as batch_op:
        for column in (
            "voicemail_max_hangup",
            "voicemail_file_name",
            "voicemail_file_id",
            "enable_voicemail",
            "remark",
            "inbound_prefix",
            "in_ip",
            "out_ip",
            "disabled",
            "auto_renew",
            "due_date",
        ):
            batch_op.drop_column(column)
