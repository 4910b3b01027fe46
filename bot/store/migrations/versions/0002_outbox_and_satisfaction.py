"""Outbox delivery and satisfaction scores: notifications get the body's language and a
not-before time (retry backoff, or the lease of the worker sending it); a table holds the
customer's 1-10 answer to the closed-claim notice.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("language", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
    op.create_table(
        "satisfaction_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "score BETWEEN 1 AND 10", name=op.f("ck_satisfaction_scores_score")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_satisfaction_scores_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"],
            name=op.f("fk_satisfaction_scores_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_scores")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_satisfaction_scores_claim_id")),
    )
    op.create_index(
        op.f("ix_satisfaction_scores_customer_id"), "satisfaction_scores", ["customer_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_satisfaction_scores_customer_id"), table_name="satisfaction_scores")
    op.drop_table("satisfaction_scores")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("next_attempt_at")
        batch.drop_column("language")
