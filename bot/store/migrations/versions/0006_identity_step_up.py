"""Identity check that strangers cannot turn against the customer: wrong answers counted per
conversation and per client address, a per-policy lock only at a much higher count that grows
longer each time, and one-time SMS codes (only their salted HMAC kept).

Revision ID: 0006_identity_step_up
Revises: 0005_login_throttle
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_identity_step_up"
down_revision = "0005_login_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identity_locks") as batch:
        batch.add_column(sa.Column("window_started_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lock_level", sa.Integer(), nullable=False,
                                   server_default="0"))
    # The server default only filled existing rows; the model sets the value from now on.
    with op.batch_alter_table("identity_locks") as batch:
        batch.alter_column("lock_level", existing_type=sa.Integer(), server_default=None)
    op.create_table(
        "identity_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_counters")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_identity_counters_scope_key")),
    )
    op.create_table(
        "identity_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("policy_number", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_codes")),
    )
    op.create_index(op.f("ix_identity_codes_conversation_id"), "identity_codes",
                    ["conversation_id"])
    op.create_index(op.f("ix_identity_codes_policy_number_created_at"), "identity_codes",
                    ["policy_number", "created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_identity_codes_policy_number_created_at"),
                  table_name="identity_codes")
    op.drop_index(op.f("ix_identity_codes_conversation_id"), table_name="identity_codes")
    op.drop_table("identity_codes")
    op.drop_table("identity_counters")
    with op.batch_alter_table("identity_locks") as batch:
        batch.drop_column("lock_level")
        batch.drop_column("window_started_at")
