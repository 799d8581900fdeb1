"""secrets at rest: versioned (sealable) secrets, and keys that require a body signature

Every stored secret gets a version prefix (``plain:`` here; ``callrec secrets rotate`` seals
them under the master key), the columns grow to hold sealed values, and API keys get the
``require_body_signature`` flag.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "secret", existing_type=sa.String(128), type_=sa.Text(), existing_nullable=False
        )
        batch_op.add_column(
            sa.Column(
                "require_body_signature", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("push_targets", schema=None) as batch_op:
        batch_op.alter_column(
            "secret", existing_type=sa.String(200), type_=sa.Text(), existing_nullable=True
        )
    op.execute("UPDATE api_keys SET secret = 'plain:' || secret")
    op.execute(
        "UPDATE push_targets SET secret = 'plain:' || secret "
        "WHERE secret IS NOT NULL AND secret <> ''"
    )


def downgrade() -> None:
    bind = op.get_bind()
    sealed = bind.execute(
        sa.text(
            "SELECT (SELECT COUNT(*) FROM api_keys WHERE secret NOT LIKE 'plain:%') "
            "+ (SELECT COUNT(*) FROM push_targets WHERE secret NOT LIKE 'plain:%')"
        )
    ).scalar()
    if sealed:
        raise RuntimeError(
            f"{sealed} secrets are encrypted under the master key; an older callrec cannot "
            "read them. Decrypt them first (callrec secrets rotate --to-plain)."
        )
    op.execute("UPDATE api_keys SET secret = substr(secret, 7)")
    op.execute("UPDATE push_targets SET secret = substr(secret, 7) WHERE secret IS NOT NULL")
    with op.batch_alter_table("push_targets", schema=None) as batch_op:
        batch_op.alter_column(
            "secret", existing_type=sa.Text(), type_=sa.String(200), existing_nullable=True
        )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("require_body_signature")
        batch_op.alter_column(
            "secret", existing_type=sa.Text(), type_=sa.String(128), existing_nullable=False
        )
