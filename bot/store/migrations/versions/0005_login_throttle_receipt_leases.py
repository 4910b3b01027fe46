"""Login throttle shared by every replica and kept across restarts, and inbound receipts that are
claimed while a turn runs and marked done after it (a crash mid-turn lets the platform's retry
through).

Revision ID: 0005_login_throttle
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_login_throttle"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_key_at"), "login_failures", ["key", "at"])
    op.create_index(op.f("ix_login_failures_at"), "login_failures", ["at"])
    with op.batch_alter_table("inbound_receipts") as batch:
        # Receipts written before this revision were marked when the turn began: take them as
        # done.
        batch.add_column(sa.Column("done_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
    op.execute("UPDATE inbound_receipts SET done_at = received_at")


def downgrade() -> None:
    with op.batch_alter_table("inbound_receipts") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("done_at")
    op.drop_index(op.f("ix_login_failures_at"), table_name="login_failures")
    op.drop_index(op.f("ix_login_failures_key_at"), table_name="login_failures")
    op.drop_table("login_failures")
