"""Indexes the service KPIs and the dashboard's per-day series need (bot/kpis): each KPI picks
its cases by a moment in the period (reported, paid, moved, received, decided, created,
answered), so each of those moments is indexed. Timings before and after: benchmarks/kpis.py.

Revision ID: 0014_kpi_indexes
Revises: 0013_console
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0014_kpi_indexes"
down_revision = "0013_console"
branch_labels = None
depends_on = None

# (table, columns): names follow the models' naming convention, ix_<table>_<columns>.
INDEXES = (
    # Extra columns make an index covering: the dashboard's per-day series over weeks read a
    # large share of a table, and SQLite (no range statistics) would otherwise look up each row.
    ("claims", ["reported_at", "stage", "channel", "policy_id"]),
    ("claims", ["paid_at", "documents_completed_at"]),
    # The moves of a period by kind (decisions, key nodes), the claims that moved in a period,
    # and each claim's events in order (time in stage), all read from the index alone.
    ("claim_events", ["to_stage", "at", "from_stage", "claim_id"]),
    ("claim_events", ["at", "claim_id"]),
    ("claim_events", ["claim_id", "at", "to_stage"]),
    ("complaints", ["received_at"]),
    ("complaints", ["decided_at"]),
    ("handoffs", ["created_at", "taken_at"]),
    ("satisfaction_scores", ["answered_at", "score"]),
    ("escalations", ["created_at"]),
    ("notifications", ["created_at", "channel", "status"]),
)


def _name(table: str, columns: list[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table, columns in INDEXES:
        op.create_index(op.f(_name(table, columns)), table, columns)


def downgrade() -> None:
    for table, columns in reversed(INDEXES):
        op.drop_index(op.f(_name(table, columns)), table_name=table)
