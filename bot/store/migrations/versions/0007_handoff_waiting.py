"""Waiting for a person: when a queued customer's messages were last acknowledged, and the
call-back they booked out of hours (time and number).

Revision ID: 0007_handoff_waiting
Revises: 0006_identity_step_up
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_handoff_waiting"
down_revision = "0006_identity_step_up"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("callback_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("callback_phone", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("callback_phone")
        batch.drop_column("callback_at")
        batch.drop_column("acknowledged_at")
