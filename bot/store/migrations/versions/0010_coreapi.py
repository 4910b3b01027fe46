"""Core-system decisions: a claim keeps the decision as it came (amount make-up, payment, denial
clause); a checklist item may be rejected (when and why, both languages) and says how it was
received; core-system calls made with an Idempotency-Key keep their answer for a while.

Revision ID: 0010_coreapi
Revises: 0009_tasks_and_roles
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import List

import sqlalchemy as sa
from alembic import op

revision = "0010_coreapi"
down_revision = "0009_tasks_and_roles"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('missing', 'received', 'waived')"
NEW_STATUSES = "status IN ('missing', 'received', 'waived', 'rejected')"
BASE_COLUMNS = ["id", "claim_id", "code", "label_zh", "label_en", "mandatory",
                "fetched_by_insurer", "status", "received_at"]
NEW_COLUMNS = ["received_via", "rejected_at", "rejection_reason_zh", "rejection_reason_en"]


def _new_columns() -> List[sa.Column]:
    return [sa.Column("received_via", sa.String(length=16), nullable=True),
            sa.Column("rejected_at", sa.DateTime(), nullable=True),
            sa.Column("rejection_reason_zh", sa.Text(), nullable=True),
            sa.Column("rejection_reason_en", sa.Text(), nullable=True)]


def _rebuild_documents_on_sqlite(statuses: str, with_new_columns: bool) -> None:
    """SQLite cannot change a CHECK constraint in place. The table is rebuilt the way its
    foreign keys allow inside the migration's transaction: the keys of received_files are
    deferred, the rows are kept aside, the table is dropped and made again, and the rows put
    back, so every file points at its document again before the commit checks the keys. What
    the older table lacks starts empty; going down, the newer columns are left behind."""
    listed = ", ".join(BASE_COLUMNS)  # the columns both versions of the table have
    # The SQLite driver opens the transaction at the first write; the pragma holds only inside
    # one (outside, it ends with its own statement), so a write that changes nothing comes first.
    op.execute("UPDATE claim_documents SET id = id WHERE 1 = 0")
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute(f"CREATE TEMPORARY TABLE claim_documents_0010 AS SELECT {listed} "
               "FROM claim_documents")
    op.drop_table("claim_documents")
    op.create_table(
        "claim_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label_zh", sa.String(length=100), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.Column("fetched_by_insurer", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        *(_new_columns() if with_new_columns else []),
        sa.CheckConstraint(statuses, name=op.f("ck_claim_documents_status")),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_documents_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_documents")),
        sa.UniqueConstraint("claim_id", "code", name=op.f("uq_claim_documents_claim_id_code")),
    )
    op.execute(f"INSERT INTO claim_documents ({listed}) SELECT {listed} "
               "FROM claim_documents_0010")
    op.execute("DROP TABLE claim_documents_0010")


def upgrade() -> None:
    # Plain ADD COLUMN: a batch copy of the claims table would fail on the keys pointing at it.
    op.add_column("claims", sa.Column("decision", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_documents_on_sqlite(NEW_STATUSES, with_new_columns=True)
    else:
        for column in _new_columns():
            op.add_column("claim_documents", column)
        op.drop_constraint(op.f("ck_claim_documents_status"), "claim_documents", type_="check")
        op.create_check_constraint(op.f("ck_claim_documents_status"), "claim_documents",
                                   NEW_STATUSES)
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
    # A rejected item is outstanding: before this revision that was "missing".
    op.execute("UPDATE claim_documents SET status = 'missing' WHERE status = 'rejected'")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_documents_on_sqlite(OLD_STATUSES, with_new_columns=False)
    else:
        op.drop_constraint(op.f("ck_claim_documents_status"), "claim_documents", type_="check")
        op.create_check_constraint(op.f("ck_claim_documents_status"), "claim_documents",
                                   OLD_STATUSES)
        for column in reversed(NEW_COLUMNS):
            op.drop_column("claim_documents", column)
    op.drop_column("claims", "decision")
