"""Notices that always arrive: which channel delivered a notice and why it fell back to SMS,
when each customer last wrote (WhatsApp's 24-hour and WeChat's 48-hour windows), and the
one-time web chat login links of SMS receipts.

Revision ID: 0015_notice_fallback
Revises: 0014_kpi_indexes
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_notice_fallback"
down_revision = "0014_kpi_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("delivered_channel", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("fallback_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("fell_back_at", sa.DateTime(), nullable=True))
    op.create_table(
        "channel_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_contacts")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_channel_contacts_conversation_id")),
    )
    op.create_table(
        "login_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("used_by", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"],
                                name=op.f("fk_login_links_claim_id_claims")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_login_links_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_links_token_hash")),
    )
    op.create_index(op.f("ix_login_links_claim_id"), "login_links", ["claim_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_login_links_claim_id"), table_name="login_links")
    op.drop_table("login_links")
    op.drop_table("channel_contacts")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("fell_back_at")
        batch.drop_column("fallback_reason")
        batch.drop_column("delivered_channel")
