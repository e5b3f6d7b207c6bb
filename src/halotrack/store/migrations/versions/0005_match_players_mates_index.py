"""An index that covers the other side of a match for `mates` (issue 13): who else played
each of a player's matches, and on which team, read from the index alone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_match_players_match_id_team_id_xuid",
        "match_players",
        ["match_id", "team_id", "xuid"],
    )


def downgrade() -> None:
    op.drop_index("ix_match_players_match_id_team_id_xuid", table_name="match_players")
