"""Initial schema: players, gamertags, snapshots, CSR, metadata cache, watch list, views.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _xuid_fk(name: str = "xuid", primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        name,
        sa.BigInteger,
        sa.ForeignKey("players.xuid"),
        nullable=False,
        primary_key=primary_key,
        autoincrement=False,
    )


def upgrade() -> None:
    op.create_table(
        "players",
        sa.Column("xuid", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("gamertag", sa.String(64), nullable=True),
        _ts("first_seen_at", nullable=False),
        _ts("last_seen_at", nullable=False),
    )
    op.create_index("ix_players_gamertag", "players", ["gamertag"])

    op.create_table(
        "gamertags",
        sa.Column("id", sa.Integer, primary_key=True),
        _xuid_fk(),
        sa.Column("gamertag", sa.String(64), nullable=False),
        _ts("first_seen_at", nullable=False),
        _ts("last_seen_at", nullable=False),
    )
    op.create_index("ix_gamertags_xuid_first_seen_at", "gamertags", ["xuid", "first_seen_at"])
    op.create_index("ix_gamertags_gamertag", "gamertags", ["gamertag"])

    op.create_table(
        "service_records",
        sa.Column("id", sa.Integer, primary_key=True),
        _xuid_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scope_key", sa.String(512), nullable=False),
        sa.Column("season_id", sa.String(256), nullable=True),
        sa.Column("game_variant_category", sa.Integer, nullable=True),
        sa.Column("is_ranked", sa.Boolean, nullable=True),
        sa.Column("playlist_asset_id", sa.String(64), nullable=True),
        sa.Column("gameplay_interaction", sa.Integer, nullable=True),
        _ts("captured_at", nullable=False),
        _ts("verified_at", nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("matches_completed", sa.Integer, nullable=True),
        sa.Column("wins", sa.Integer, nullable=True),
        sa.Column("losses", sa.Integer, nullable=True),
        sa.Column("ties", sa.Integer, nullable=True),
        sa.Column("kills", sa.Integer, nullable=True),
        sa.Column("deaths", sa.Integer, nullable=True),
        sa.Column("assists", sa.Integer, nullable=True),
        sa.Column("kda", sa.Float, nullable=True),
        sa.Column("accuracy", sa.Float, nullable=True),
        sa.Column("damage_dealt", sa.BigInteger, nullable=True),
        sa.Column("damage_taken", sa.BigInteger, nullable=True),
        sa.Column("time_played_seconds", sa.Float, nullable=True),
        sa.Column("score", sa.BigInteger, nullable=True),
        sa.Column("personal_score", sa.BigInteger, nullable=True),
        sa.Column("raw_json", sa.Text, nullable=False),
        sa.UniqueConstraint(
            "xuid",
            "kind",
            "scope_key",
            "captured_at",
            name="uq_service_records_xuid_kind_scope_key_captured_at",
        ),
        sa.CheckConstraint(
            "kind IN ('matchmade', 'custom', 'local')", name="ck_service_records_kind"
        ),
    )
    op.create_index(
        "ix_service_records_latest",
        "service_records",
        ["xuid", "kind", "scope_key", "captured_at"],
    )

    op.create_table(
        "csr_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        _xuid_fk(),
        sa.Column("playlist_id", sa.String(64), nullable=False),
        sa.Column("csr_season_id", sa.String(256), nullable=False),
        _ts("captured_at", nullable=False),
        _ts("verified_at", nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("current_value", sa.Integer, nullable=True),
        sa.Column("current_tier", sa.String(32), nullable=True),
        sa.Column("current_sub_tier", sa.Integer, nullable=True),
        sa.Column("matches_remaining", sa.Integer, nullable=True),
        sa.Column("season_max_value", sa.Integer, nullable=True),
        sa.Column("season_max_tier", sa.String(32), nullable=True),
        sa.Column("season_max_sub_tier", sa.Integer, nullable=True),
        sa.Column("all_time_max_value", sa.Integer, nullable=True),
        sa.Column("all_time_max_tier", sa.String(32), nullable=True),
        sa.Column("all_time_max_sub_tier", sa.Integer, nullable=True),
        sa.Column("raw_json", sa.Text, nullable=False),
        sa.UniqueConstraint(
            "xuid",
            "playlist_id",
            "csr_season_id",
            "captured_at",
            name="uq_csr_snapshots_xuid_playlist_id_csr_season_id_captured_at",
        ),
    )
    op.create_index(
        "ix_csr_snapshots_latest",
        "csr_snapshots",
        ["xuid", "playlist_id", "csr_season_id", "captured_at"],
    )

    op.create_table(
        "metadata_cache",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("etag", sa.String(256), nullable=True),
        _ts("fetched_at", nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )

    op.create_table(
        "watch_list",
        _xuid_fk(primary_key=True),
        _ts("added_at", nullable=False),
        sa.Column("matches_opt_in", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("options_json", sa.Text, nullable=False, server_default="{}"),
        _ts("last_checked_at"),
        _ts("last_played_at"),
        sa.Column("last_match_count", sa.Integer, nullable=True),
        _ts("next_check_at"),
        sa.Column("failure_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
    )

    op.create_table(
        "seasons_fetched",
        _xuid_fk(primary_key=True),
        sa.Column("source", sa.String(128), primary_key=True),
        sa.Column("season_id", sa.String(256), primary_key=True),
        _ts("fetched_at", nullable=False),
    )

    # Frozen copies of the view SQL: a later change to schema.py must not rewrite history.
    op.execute(
        """
CREATE VIEW latest_service_records AS
SELECT p.gamertag AS gamertag, s.*
FROM service_records s
JOIN players p ON p.xuid = s.xuid
WHERE NOT EXISTS (
    SELECT 1 FROM service_records n
    WHERE n.xuid = s.xuid AND n.kind = s.kind AND n.scope_key = s.scope_key
      AND (n.captured_at > s.captured_at OR (n.captured_at = s.captured_at AND n.id > s.id))
)
"""
    )
    op.execute(
        """
CREATE VIEW latest_csr AS
SELECT p.gamertag AS gamertag, c.*
FROM csr_snapshots c
JOIN players p ON p.xuid = c.xuid
WHERE NOT EXISTS (
    SELECT 1 FROM csr_snapshots n
    WHERE n.xuid = c.xuid AND n.playlist_id = c.playlist_id
      AND n.csr_season_id = c.csr_season_id
      AND (n.captured_at > c.captured_at OR (n.captured_at = c.captured_at AND n.id > c.id))
)
"""
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS latest_csr")
    op.execute("DROP VIEW IF EXISTS latest_service_records")
    for table in (
        "seasons_fetched",
        "watch_list",
        "metadata_cache",
        "csr_snapshots",
        "service_records",
        "gamertags",
        "players",
    ):
        op.drop_table(table)
