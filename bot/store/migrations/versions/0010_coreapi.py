"""Core-system decisions: a claim keeps the decision as it came (amount make-up, payment, denial
clause); a checklist item may be rejected (when and why, both languages) and says how it was
received; core-system calls made with an Idempotency-Key keep their answer for a while.

Revision ID: 0010_coreapi
Revises: 0009_tasks_and_roles
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_coreapi"
down_revision = "0009_tasks_and_roles"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('missing', 'received', 'waived')"
NEW_STATUSES = "status IN ('missing', 'received', 'waived', 'rejected')"


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("decision", sa.JSON(), nullable=True))
    with op.batch_alter_table("claim_documents") as batch:
        batch.add_column(sa.Column("received_via", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("rejected_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("rejection_reason_zh", sa.Text(), nullable=True))
        batch.add_column(sa.Column("rejection_reason_en", sa.Text(), nullable=True))
        batch.drop_constraint(op.f("ck_claim_documents_status"), type_="check")
        batch.create_check_constraint(op.f("ck_claim_documents_status"), NEW_STATUSES)
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=255), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("key", name=op.f("uq_idempotency_keys_key")),
    )
    op.create_index(op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_keys_expires_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.execute("UPDATE claim_documents SET status = 'missing' WHERE status = 'rejected'")
    with op.batch_alter_table("claim_documents") as batch:
        batch.drop_constraint(op.f("ck_claim_documents_status"), type_="check")
        batch.create_check_constraint(op.f("ck_claim_documents_status"), OLD_STATUSES)
        batch.drop_column("rejection_reason_en")
        batch.drop_column("rejection_reason_zh")
        batch.drop_column("rejected_at")
        batch.drop_column("received_via")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("decision")
