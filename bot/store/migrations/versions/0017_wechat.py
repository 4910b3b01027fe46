"""WeChat: the access token every replica shares, and when each follower last wrote (the 48-hour
customer-service window).

Revision ID: 0017_wechat
Revises: 0013_console
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_wechat"
down_revision = "0013_console"
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
    op.create_table(
        "wechat_contacts",
        sa.Column("open_id", sa.String(length=64), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("open_id", name=op.f("pk_wechat_contacts")),
    )


def downgrade() -> None:
    op.drop_table("wechat_contacts")
    op.drop_table("wechat_tokens")
