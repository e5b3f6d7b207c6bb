"""The API budget shared by distributed workers: one GCRA cell per service host.

Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    counter: dict[str, Any] = {"nullable": False, "server_default": "0"}
    op.create_table(
        "api_budget",
        sa.Column("host", sa.String(128), nullable=False),
        sa.Column("rate", sa.Float, nullable=False),
        sa.Column("burst", sa.Integer, nullable=False),
        *(sa.Column(name, sa.Float, **counter) for name in ("tat", "paused_until")),
        sa.Column("since", sa.Float, nullable=True),
        *(sa.Column(name, sa.BigInteger, **counter) for name in ("taken", "limited")),
        sa.PrimaryKeyConstraint("host", name="pk_api_budget"),
    )


def downgrade() -> None:
    op.drop_table("api_budget")
