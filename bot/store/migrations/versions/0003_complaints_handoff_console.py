"""Complaints, disputes and the agent console: a complaint records its complainant, what it is
about and its clocks (and may come from an unverified person); notifications may address a
conversation with no known customer (an agent's reply); handoffs keep what was agreed at
hand-back; console sessions (token hashes only) and the dispute ladder get their tables.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.alter_column("customer_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("complainant_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("complainant_phone", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("about_kind", sa.String(length=16), nullable=False,
                                   server_default="other"))
        batch.add_column(sa.Column("language", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("conversation_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("complexity", sa.String(length=16), nullable=False,
                                   server_default="standard"))
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("extended_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("accepted_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_complaints_conversation_id"), ["conversation_id"])
    # The server defaults only filled existing rows; the models set the values from now on.
    with op.batch_alter_table("complaints") as batch:
        batch.alter_column("about_kind", existing_type=sa.String(length=16), server_default=None)
        batch.alter_column("complexity", existing_type=sa.String(length=16),
                           server_default=None)

    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("customer_id", existing_type=sa.Integer(), nullable=True)

    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("resolution", sa.Text(), nullable=True))

    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_sessions_agent_id_agents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_agent_sessions_token_hash")),
    )
    op.create_index(op.f("ix_agent_sessions_agent_id"), "agent_sessions", ["agent_id"])

    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "step IN ('explained', 'negotiation', 'mediation', 'arbitration', 'litigation')",
            name=op.f("ck_disputes_step"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_disputes_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_disputes_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    op.create_index(op.f("ix_disputes_claim_id"), "disputes", ["claim_id"])
    op.create_index(op.f("ix_disputes_customer_id"), "disputes", ["customer_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_disputes_customer_id"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_claim_id"), table_name="disputes")
    op.drop_table("disputes")
    op.drop_index(op.f("ix_agent_sessions_agent_id"), table_name="agent_sessions")
    op.drop_table("agent_sessions")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("resolution")
    # Rows written since the upgrade may lack a customer; they cannot go back to NOT NULL.
    op.execute("DELETE FROM notifications WHERE customer_id IS NULL")
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("customer_id", existing_type=sa.Integer(), nullable=False)
    op.execute("UPDATE complaints SET repeat_of_id = NULL WHERE repeat_of_id IN "
               "(SELECT id FROM complaints WHERE customer_id IS NULL)")
    op.execute("DELETE FROM complaints WHERE customer_id IS NULL")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_index(batch.f("ix_complaints_conversation_id"))
        for column in ("accepted_at", "decided_by", "decided_at", "extended_at",
                       "acknowledged_at", "complexity", "conversation_id", "language",
                       "about_kind", "complainant_phone", "complainant_name"):
            batch.drop_column(column)
        batch.alter_column("customer_id", existing_type=sa.Integer(), nullable=False)
