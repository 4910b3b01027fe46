"""The agent console's claim workspace: internal notes customers never see, the agent who owns a
case (首问负责制), where a handoff is routed (its case owner, or a colleague or role it was
transferred to), and where an offline complaint came from (hotline, letter, email, regulator).

Revision ID: 0013_console
Revises: 0012_promises
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_console"
down_revision = "0012_promises"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "internal_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"],
                                name=op.f("fk_internal_notes_claim_id_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_internal_notes")),
    )
    op.create_index(op.f("ix_internal_notes_claim_id"), "internal_notes", ["claim_id"])
    op.create_index(op.f("ix_internal_notes_conversation_id"), "internal_notes",
                    ["conversation_id"])
    op.create_table(
        "case_owners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_key", sa.String(length=300), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"],
                                name=op.f("fk_case_owners_agent_id_agents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_owners")),
        sa.UniqueConstraint("case_key", name=op.f("uq_case_owners_case_key")),
    )
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("routed_to_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("routed_role", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("routed_why", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("transferred_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("transferred_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("transfer_note", sa.Text(), nullable=True))
        batch.create_foreign_key(op.f("fk_handoffs_routed_to_id_agents"), "agents",
                                 ["routed_to_id"], ["id"])
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("source", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("source")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_constraint(op.f("fk_handoffs_routed_to_id_agents"), type_="foreignkey")
        batch.drop_column("transfer_note")
        batch.drop_column("transferred_by")
        batch.drop_column("transferred_at")
        batch.drop_column("routed_why")
        batch.drop_column("routed_role")
        batch.drop_column("routed_to_id")
    op.drop_table("case_owners")
    op.drop_index(op.f("ix_internal_notes_conversation_id"), table_name="internal_notes")
    op.drop_index(op.f("ix_internal_notes_claim_id"), table_name="internal_notes")
    op.drop_table("internal_notes")
