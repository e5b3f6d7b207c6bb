"""The API budget shared by distributed workers: one GCRA cell per service host.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_budget",
        sa.Column("host", sa.String(128), nullable=False),
        sa.Column("rate", sa.Float, nullable=False),
        sa.Column("burst", sa.Integer, nullable=False),
        sa.Column("tat", sa.Float, nullable=False, server_default="0"),
        sa.Column("paused_until", sa.Float, nullable=False, server_default="0"),
        sa.Column("since", sa.Float, nullable=True),
        sa.Column("taken", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("limited", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("host", name="pk_api_budget"),
    )


def downgrade() -> None:
    op.drop_table("api_budget")
