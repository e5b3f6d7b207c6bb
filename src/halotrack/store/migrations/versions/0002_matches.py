"""Matches: one row per player per match, teams, medals, personal scores, assets, sync state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = 64


def _ts(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _assets() -> list[sa.Column[object]]:
    return [
        sa.Column(f"{kind}_{part}_id", sa.String(ID), nullable=True)
        for kind in ("map", "mode", "playlist", "pair")
        for part in ("asset", "version")
    ]


def _facts() -> list[sa.Column[object]]:
    return [
        _ts("start_time", nullable=False),
        _ts("end_time"),
        sa.Column("duration_seconds", sa.Float, nullable=True),
        sa.Column("lifecycle_mode", sa.Integer, nullable=True),
        sa.Column("game_variant_category", sa.Integer, nullable=True),
    ]


def _match_fk() -> sa.Column[object]:
    return sa.Column(
        "match_id",
        sa.String(ID),
        sa.ForeignKey("matches.match_id"),
        primary_key=True,
    )


def upgrade() -> None:
    op.create_table(
        "matches",
        sa.Column("match_id", sa.String(ID), primary_key=True),
        *_facts(),
        sa.Column("playlist_experience", sa.Integer, nullable=True),
        sa.Column("gameplay_interaction", sa.Integer, nullable=True),
        *_assets(),
        sa.Column("season_id", sa.String(256), nullable=True),
        sa.Column("teams_enabled", sa.Boolean, nullable=True),
        sa.Column("player_count", sa.Integer, nullable=False),
        sa.Column("human_count", sa.Integer, nullable=False),
        _ts("fetched_at", nullable=False),
        sa.Column("raw_json", sa.Text, nullable=False),
        sa.Column("skill_json", sa.Text, nullable=True),
    )
    op.create_index("ix_matches_start_time", "matches", ["start_time"])

    op.create_table(
        "match_players",
        _match_fk(),
        sa.Column("player_id", sa.String(ID), primary_key=True),
        sa.Column("xuid", sa.BigInteger, nullable=True),
        sa.Column("is_bot", sa.Boolean, nullable=False),
        *_facts(),
        *_assets(),
        sa.Column("team_id", sa.Integer, nullable=True),
        sa.Column("outcome", sa.Integer, nullable=True),
        sa.Column("rank", sa.Integer, nullable=True),
        sa.Column("present_at_completion", sa.Boolean, nullable=True),
        sa.Column("time_played_seconds", sa.Float, nullable=True),
        sa.Column("kills", sa.Integer, nullable=False),
        sa.Column("deaths", sa.Integer, nullable=False),
        sa.Column("assists", sa.Integer, nullable=False),
        sa.Column("kda", sa.Float, nullable=True),
        sa.Column("accuracy", sa.Float, nullable=True),
        sa.Column("score", sa.BigInteger, nullable=True),
        sa.Column("personal_score", sa.BigInteger, nullable=True),
        sa.Column("damage_dealt", sa.BigInteger, nullable=True),
        sa.Column("damage_taken", sa.BigInteger, nullable=True),
        sa.Column("shots_fired", sa.BigInteger, nullable=True),
        sa.Column("shots_hit", sa.BigInteger, nullable=True),
        sa.Column("headshot_kills", sa.Integer, nullable=True),
        sa.Column("max_killing_spree", sa.Integer, nullable=True),
        sa.Column("medal_count", sa.Integer, nullable=False),
        sa.Column("csr_pre", sa.Integer, nullable=True),
        sa.Column("csr_pre_tier", sa.String(32), nullable=True),
        sa.Column("csr_pre_sub_tier", sa.Integer, nullable=True),
        sa.Column("csr_pre_matches_remaining", sa.Integer, nullable=True),
        sa.Column("csr_post", sa.Integer, nullable=True),
        sa.Column("csr_post_tier", sa.String(32), nullable=True),
        sa.Column("csr_post_sub_tier", sa.Integer, nullable=True),
        sa.Column("csr_matches_remaining", sa.Integer, nullable=True),
        sa.Column("expected_kills", sa.Float, nullable=True),
        sa.Column("expected_deaths", sa.Float, nullable=True),
        sa.Column("skill_kills", sa.Integer, nullable=True),
        sa.Column("skill_deaths", sa.Integer, nullable=True),
        sa.Column("team_mmr", sa.Float, nullable=True),
    )
    op.create_index("ix_match_players_xuid_start_time", "match_players", ["xuid", "start_time"])

    op.create_table(
        "match_teams",
        _match_fk(),
        sa.Column("team_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("outcome", sa.Integer, nullable=True),
        sa.Column("rank", sa.Integer, nullable=True),
        sa.Column("score", sa.BigInteger, nullable=True),
        sa.Column("personal_score", sa.BigInteger, nullable=True),
        sa.Column("kills", sa.Integer, nullable=True),
        sa.Column("deaths", sa.Integer, nullable=True),
        sa.Column("assists", sa.Integer, nullable=True),
    )

    for name, extra in (
        ("match_medals", []),
        (
            "match_personal_scores",
            [sa.Column("total_points", sa.BigInteger, nullable=False)],
        ),
    ):
        op.create_table(
            name,
            _match_fk(),
            sa.Column("player_id", sa.String(ID), primary_key=True),
            sa.Column("name_id", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("xuid", sa.BigInteger, nullable=True),
            sa.Column("count", sa.Integer, nullable=False),
            *extra,
        )
    op.create_index("ix_match_medals_xuid_name_id", "match_medals", ["xuid", "name_id"])
    op.create_index("ix_match_personal_scores_name_id", "match_personal_scores", ["name_id"])

    op.create_table(
        "match_assets",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("asset_id", sa.String(ID), primary_key=True),
        sa.Column("version_id", sa.String(ID), primary_key=True),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("found", sa.Boolean, nullable=False),
        _ts("fetched_at", nullable=False),
        sa.Column("raw_json", sa.Text, nullable=True),
    )

    op.create_table(
        "match_sync",
        sa.Column(
            "xuid",
            sa.BigInteger,
            sa.ForeignKey("players.xuid"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("newest_match_id", sa.String(ID), nullable=True),
        _ts("newest_start_time"),
        sa.Column("frontier", sa.Integer, nullable=False, server_default="0"),
        sa.Column("complete", sa.Boolean, nullable=False, server_default=sa.false()),
        _ts("updated_at", nullable=False),
    )


def downgrade() -> None:
    for table in (
        "match_sync",
        "match_assets",
        "match_personal_scores",
        "match_medals",
        "match_teams",
        "match_players",
        "matches",
    ):
        op.drop_table(table)
