"""How precisely a claim's incident time is known: exact, part_of_day, day or unknown (a customer
who said "上周六上午" or "不记得几点了" is recorded as such, and agents see it).

Revision ID: 0008_incident_time_precision
Revises: 0007_handoff_waiting
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_incident_time_precision"
down_revision = "0007_handoff_waiting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("claims", sa.Column("incident_time_precision", sa.String(length=16),
                                      nullable=True))


def downgrade() -> None:
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the
    # claims table would fail on the foreign keys that point at it.
    op.drop_column("claims", "incident_time_precision")
