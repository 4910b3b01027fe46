"""Tasks and agent roles: every promise the assistant makes, and every clock that runs out,
becomes a task with an owner role, an assignee and a due time; agents get a role (agent,
supervisor, complaint officer) that says which tasks they may work.

Revision ID: 0009_tasks_and_roles
Revises: 0008_incident_time_precision
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_tasks_and_roles"
down_revision = "0008_incident_time_precision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("role", sa.String(length=32), nullable=False,
                                   server_default="agent"))
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("owner_role", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.CheckConstraint("status IN ('open', 'taken', 'done', 'cancelled')",
                           name=op.f("ck_tasks_status")),
        sa.CheckConstraint("owner_role IN ('agent', 'supervisor', 'complaint_officer')",
                           name=op.f("ck_tasks_owner_role")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_tasks_claim_id_claims")),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"],
                                name=op.f("fk_tasks_complaint_id_complaints")),
        sa.ForeignKeyConstraint(["assignee_id"], ["agents.id"],
                                name=op.f("fk_tasks_assignee_id_agents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_tasks_dedupe_key")),
    )
    op.create_index(op.f("ix_tasks_kind"), "tasks", ["kind"])
    op.create_index(op.f("ix_tasks_claim_id"), "tasks", ["claim_id"])
    op.create_index(op.f("ix_tasks_complaint_id"), "tasks", ["complaint_id"])
    op.create_index(op.f("ix_tasks_conversation_id"), "tasks", ["conversation_id"])
    op.create_index(op.f("ix_tasks_status_due_at"), "tasks", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tasks_status_due_at"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_conversation_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_complaint_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_claim_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_kind"), table_name="tasks")
    op.drop_table("tasks")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("role")
