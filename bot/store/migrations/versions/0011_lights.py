"""Escalations: a claim past its deadline (a red light) is escalated to the supervisors, with
the clock, to whom it went, why, and whether it is on the list reported to the regulator.

Revision ID: 0011_lights
Revises: 0010_coreapi
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_lights"
down_revision = "0010_coreapi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("light", sa.String(length=8), nullable=False),
        sa.Column("clock", sa.String(length=32), nullable=False),
        sa.Column("clock_due_at", sa.DateTime(), nullable=False),
        sa.Column("sent_to_role", sa.String(length=32), nullable=False),
        sa.Column("sent_to_agent_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("regulator_report", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.CheckConstraint("light IN ('red')", name=op.f("ck_escalations_light")),
        sa.CheckConstraint("sent_to_role IN ('agent', 'supervisor', 'complaint_officer')",
                           name=op.f("ck_escalations_sent_to_role")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"],
                                name=op.f("fk_escalations_claim_id_claims")),
        sa.ForeignKeyConstraint(["sent_to_agent_id"], ["agents.id"],
                                name=op.f("fk_escalations_sent_to_agent_id_agents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_escalations_dedupe_key")),
    )
    op.create_index(op.f("ix_escalations_claim_id"), "escalations", ["claim_id"])
    op.create_index(op.f("ix_escalations_regulator_report"), "escalations",
                    ["regulator_report"])


def downgrade() -> None:
    op.drop_index(op.f("ix_escalations_regulator_report"), table_name="escalations")
    op.drop_index(op.f("ix_escalations_claim_id"), table_name="escalations")
    op.drop_table("escalations")
