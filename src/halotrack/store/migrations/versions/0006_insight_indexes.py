"""Indexes for the insights (issue 13): one that covers the other side of a match for
`mates` (who else played each of a player's matches, and on which team, read from the
index alone), and a player's matches in (start, match id) order, so a page of the newest
matches (sessions) is an index range, not a sort of the whole career (on PostgreSQL
100 ms -> 10 ms a page over 5,000 matches). The second replaces the (xuid, start) index,
which it extends.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_index(
        "ix_match_players_match_id_team_id_xuid",
        "match_players",
        ["match_id", "team_id", "xuid"],
    )
    op.create_index(
        "ix_match_players_xuid_start_time_match_id",
        "match_players",
        ["xuid", "start_time", "match_id"],
    )
    op.drop_index("ix_match_players_xuid_start_time", table_name="match_players")


def downgrade() -> None:
    op.create_index("ix_match_players_xuid_start_time", "match_players", ["xuid", "start_time"])
    op.drop_index("ix_match_players_xuid_start_time_match_id", table_name="match_players")
    op.drop_index("ix_match_players_match_id_team_id_xuid", table_name="match_players")
