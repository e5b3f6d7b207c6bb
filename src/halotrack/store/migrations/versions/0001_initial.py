"""Initial schema: players, gamertags, snapshots, CSR, metadata cache, watch list, views.

Create Date: 2026-11-29. Each table is frozen here as compact rows, one column a row:
`name type [flag...]`; a column is NOT NULL unless flagged `null`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

_TYPES: dict[str, Any] = {
    "int": sa.Integer,
    "bigint": sa.BigInteger,
    "float": sa.Float,
    "bool": sa.Boolean,
    "text": sa.Text,
    "ts": sa.DateTime(timezone=True),
}
_PLAYER = "xuid bigint fk=players.xuid noauto"
_FIRST_LAST = "first_seen_at ts\nlast_seen_at ts"
_TABLES = {
    "players": f"xuid bigint pk noauto\ngamertag str64 null\n{_FIRST_LAST}",
    "gamertags": f"id int pk\n{_PLAYER}\ngamertag str64\n{_FIRST_LAST}",
    "service_records": f"""id int pk
        {_PLAYER}
        kind str16
        scope_key str512
        season_id str256 null
        game_variant_category int null
        is_ranked bool null
        playlist_asset_id str64 null
        gameplay_interaction int null
        captured_at ts
        verified_at ts
        content_hash str64
        matches_completed int null
        wins int null
        losses int null
        ties int null
        kills int null
        deaths int null
        assists int null
        kda float null
        accuracy float null
        damage_dealt bigint null
        damage_taken bigint null
        time_played_seconds float null
        score bigint null
        personal_score bigint null
        raw_json text""",
    "csr_snapshots": f"""id int pk
        {_PLAYER}
        playlist_id str64
        csr_season_id str256
        captured_at ts
        verified_at ts
        content_hash str64
        current_value int null
        current_tier str32 null
        current_sub_tier int null
        matches_remaining int null
        season_max_value int null
        season_max_tier str32 null
        season_max_sub_tier int null
        all_time_max_value int null
        all_time_max_tier str32 null
        all_time_max_sub_tier int null
        raw_json text""",
    "metadata_cache": "kind str32 pk\nkey str512 pk\netag str256 null\nfetched_at ts\nbody text",
    "watch_list": f"""{_PLAYER} pk
        added_at ts
        matches_opt_in bool default=false
        options_json text default={{}}
        last_checked_at ts null
        last_played_at ts null
        last_match_count int null
        next_check_at ts null
        failure_count int default=0
        last_error text null""",
    "seasons_fetched": f"{_PLAYER} pk\nsource str128 pk\nseason_id str256 pk\nfetched_at ts",
}


def _column(row: str) -> sa.Column[Any]:
    """One row of `_TABLES`: flags `pk`, `null`, `noauto`, `fk=table.column`, `default=...`."""
    name, kind, *flags = row.split()
    opt = dict(flag.partition("=")[::2] for flag in flags)
    kind_ = sa.String(int(kind[3:])) if kind.startswith("str") else _TYPES[kind]
    default = sa.false() if opt.get("default") == "false" else opt.get("default")
    return sa.Column(
        name,
        kind_,
        *([sa.ForeignKey(opt["fk"])] if "fk" in opt else []),
        primary_key="pk" in opt,
        nullable="null" in opt,
        autoincrement=False if "noauto" in opt else "auto",
        server_default=default,
    )


def _create(table: str, *extra: Any) -> None:
    op.create_table(table, *map(_column, _TABLES[table].splitlines()), *extra)


def upgrade() -> None:
    _create("players")
    op.create_index("ix_players_gamertag", "players", ["gamertag"])
    _create("gamertags")
    op.create_index("ix_gamertags_xuid_first_seen_at", "gamertags", ["xuid", "first_seen_at"])
    op.create_index("ix_gamertags_gamertag", "gamertags", ["gamertag"])
    latest = ["xuid", "kind", "scope_key", "captured_at"]
    _create(
        "service_records",
        sa.UniqueConstraint(*latest, name="uq_service_records_xuid_kind_scope_key_captured_at"),
        sa.CheckConstraint(
            "kind IN ('matchmade', 'custom', 'local')", name="ck_service_records_kind"
        ),
    )
    op.create_index("ix_service_records_latest", "service_records", latest)
    latest = ["xuid", "playlist_id", "csr_season_id", "captured_at"]
    _create(
        "csr_snapshots",
        sa.UniqueConstraint(
            *latest, name="uq_csr_snapshots_xuid_playlist_id_csr_season_id_captured_at"
        ),
    )
    op.create_index("ix_csr_snapshots_latest", "csr_snapshots", latest)
    for table in ("metadata_cache", "watch_list", "seasons_fetched"):
        _create(table)

    # Frozen copies of the view SQL: a later change to schema.py must not rewrite history.
    same = "n.xuid = s.xuid AND n.kind = s.kind AND n.scope_key = s.scope_key"
    op.execute(_latest_view("latest_service_records", "service_records", "s", same))
    same = (
        "n.xuid = c.xuid AND n.playlist_id = c.playlist_id\n"
        "      AND n.csr_season_id = c.csr_season_id"
    )
    op.execute(_latest_view("latest_csr", "csr_snapshots", "c", same))


def _latest_view(view: str, table: str, a: str, same: str) -> str:
    """The newest row of each slice: no row of the slice (`same`) is newer, or as new with a
    higher id."""
    return f"""
CREATE VIEW {view} AS
SELECT p.gamertag AS gamertag, {a}.*
FROM {table} {a}
JOIN players p ON p.xuid = {a}.xuid
WHERE NOT EXISTS (
    SELECT 1 FROM {table} n
    WHERE {same}
      AND (n.captured_at > {a}.captured_at OR (n.captured_at = {a}.captured_at AND n.id > {a}.id))
)
"""


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS latest_csr")
    op.execute("DROP VIEW IF EXISTS latest_service_records")
    for table in reversed(list(_TABLES)):
        op.drop_table(table)
