"""Indexes for the supervisors' dashboard (bot/kpis/series.py): each per-day series reads one
table by the time its rows happened, and the claims still in play are found from the final
stage events before a period.

Revision ID: 0015_dashboard
Revises: 0013_console
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0015_dashboard"
down_revision = "0013_console"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_claims_reported_at", "claims", ["reported_at"]),
    ("ix_claim_events_to_stage_at", "claim_events", ["to_stage", "at"]),
    ("ix_notifications_created_at", "notifications", ["created_at"]),
    ("ix_complaints_received_at", "complaints", ["received_at"]),
    ("ix_handoffs_created_at", "handoffs", ["created_at"]),
    ("ix_satisfaction_scores_answered_at", "satisfaction_scores", ["answered_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
