"""WeChat: the access token every replica shares. (When each follower last wrote, for the 48-hour
window, is bot.outbox.windows' channel_contacts, from 0015_notice_fallback.)

Chained after 0015_notice_fallback since w-wechat merged n-notices (the integrator re-chains).

Revision ID: 0016_wechat
Revises: 0015_notice_fallback
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_wechat"
down_revision = "0015_notice_fallback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_tokens",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("access_token", sa.String(length=512), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_wechat_tokens")),
    )


def downgrade() -> None:
    op.drop_table("wechat_tokens")
