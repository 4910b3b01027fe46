"""Promises kept: a customer's "documents later" promise (their words and when) on the claim,
the missing-document reminders sent for it, and per checklist item whether the first documents
notice named it and when it was asked for again (rejected, or added after that notice).

Revision ID: 0012_promises
Revises: 0011_lights
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_promises"
down_revision = "0011_lights"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("claims", sa.Column("documents_promised_at", sa.DateTime(), nullable=True))
    op.add_column("claims", sa.Column("documents_promise_words", sa.Text(), nullable=True))
    op.add_column("claims", sa.Column("document_reminders", sa.Integer(), nullable=False,
                                      server_default="0"))
    op.add_column("claims", sa.Column("last_document_reminder_at", sa.DateTime(),
                                      nullable=True))
    op.add_column("claim_documents", sa.Column("first_notice", sa.Boolean(), nullable=True))
    op.add_column("claim_documents", sa.Column("rerequested_at", sa.DateTime(), nullable=True))
    # Every item stored so far was created with its claim's report, whose receipt named it.
    op.execute(sa.text("UPDATE claim_documents SET first_notice = :yes").bindparams(yes=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL), as 0008: a batch copy of
    # these tables would fail on the foreign keys that point at them.
    for column in ("rerequested_at", "first_notice"):
        op.drop_column("claim_documents", column)
    for column in ("last_document_reminder_at", "document_reminders", "documents_promise_words",
                   "documents_promised_at"):
        op.drop_column("claims", column)
