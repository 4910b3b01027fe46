"""Promises kept: a customer's "documents later" promise (their words and when) on the claim,
the missing-document reminders sent for it, and per checklist item whether the first documents
notice named it and when it was asked for again (rejected, or added after that notice).

Revision ID: 0010_promises
Revises: 0009_tasks_and_roles
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_promises"
down_revision = "0009_tasks_and_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("documents_promised_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("documents_promise_words", sa.Text(), nullable=True))
        batch.add_column(sa.Column("document_reminders", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("last_document_reminder_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("claim_documents") as batch:
        batch.add_column(sa.Column("first_notice", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("rerequested_at", sa.DateTime(), nullable=True))
    # Every item stored so far was created with its claim's report, whose receipt named it.
    op.execute(sa.text("UPDATE claim_documents SET first_notice = :yes").bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table("claim_documents") as batch:
        batch.drop_column("rerequested_at")
        batch.drop_column("first_notice")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("last_document_reminder_at")
        batch.drop_column("document_reminders")
        batch.drop_column("documents_promise_words")
        batch.drop_column("documents_promised_at")
