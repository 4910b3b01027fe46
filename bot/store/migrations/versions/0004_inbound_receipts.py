"""Inbound receipts: the webhook deliveries each messaging channel has accepted, so that a
delivery the platform retries (Telegram update_id, Twilio MessageSid) is handled once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_receipts")),
        sa.UniqueConstraint("channel", "external_id",
                            name=op.f("uq_inbound_receipts_channel_external_id")),
    )
    op.create_index(op.f("ix_inbound_receipts_received_at"), "inbound_receipts",
                    ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_receipts_received_at"), table_name="inbound_receipts")
    op.drop_table("inbound_receipts")
