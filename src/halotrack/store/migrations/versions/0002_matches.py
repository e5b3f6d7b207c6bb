"""Matches: one row per player per match, teams, medals, personal scores, assets, sync state.

Create Date: 2026-11-29. Tables frozen as compact rows like 0001's: `name type [flag...]`,
NOT NULL unless flagged `null`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

_TYPES: dict[str, Any] = {
    "int": sa.Integer,
    "bigint": sa.BigInteger,
    "float": sa.Float,
    "bool": sa.Boolean,
    "text": sa.Text,
    "id": sa.String(64),
    "ts": sa.DateTime(timezone=True),
}
_MATCH = "match_id id pk fk=matches.match_id"
_FACTS = """start_time ts
    end_time ts null
    duration_seconds float null
    lifecycle_mode int null
    game_variant_category int null"""
_ASSETS = "\n".join(
    f"{kind}_{part}_id id null"
    for kind in ("map", "mode", "playlist", "pair")
    for part in ("asset", "version")
)
_AWARD = f"{_MATCH}\nplayer_id id pk\nname_id bigint pk noauto\nxuid bigint null\ncount int"
_TABLES = {
    "matches": f"""match_id id pk
        {_FACTS}
        playlist_experience int null
        gameplay_interaction int null
        {_ASSETS}
        season_id str256 null
        teams_enabled bool null
        player_count int
        human_count int
        fetched_at ts
        raw_json text
        skill_json text null""",
    "match_players": f"""{_MATCH}
        player_id id pk
        xuid bigint null
        is_bot bool
        {_FACTS}
        {_ASSETS}
        team_id int null
        outcome int null
        rank int null
        present_at_completion bool null
        time_played_seconds float null
        kills int
        deaths int
        assists int
        kda float null
        accuracy float null
        score bigint null
        personal_score bigint null
        damage_dealt bigint null
        damage_taken bigint null
        shots_fired bigint null
        shots_hit bigint null
        headshot_kills int null
        max_killing_spree int null
        medal_count int
        csr_pre int null
        csr_pre_tier str32 null
        csr_pre_sub_tier int null
        csr_pre_matches_remaining int null
        csr_post int null
        csr_post_tier str32 null
        csr_post_sub_tier int null
        csr_matches_remaining int null
        expected_kills float null
        expected_deaths float null
        skill_kills int null
        skill_deaths int null
        team_mmr float null""",
    "match_teams": f"""{_MATCH}
        team_id int pk noauto
        outcome int null
        rank int null
        score bigint null
        personal_score bigint null
        kills int null
        deaths int null
        assists int null""",
    "match_medals": _AWARD,
    "match_personal_scores": f"{_AWARD}\ntotal_points bigint",
    "match_assets": """kind str32 pk
        asset_id id pk
        version_id id pk
        name str256 null
        description text null
        found bool
        fetched_at ts
        raw_json text null""",
    "match_sync": """xuid bigint pk noauto fk=players.xuid
        newest_match_id id null
        newest_start_time ts null
        frontier int default=0
        complete bool default=false
        updated_at ts""",
}
_INDEXES = {
    "ix_matches_start_time": ("matches", ["start_time"]),
    "ix_match_players_xuid_start_time": ("match_players", ["xuid", "start_time"]),
    "ix_match_medals_xuid_name_id": ("match_medals", ["xuid", "name_id"]),
    "ix_match_personal_scores_name_id": ("match_personal_scores", ["name_id"]),
}


def _column(row: str) -> sa.Column[Any]:
    """A row of `_TABLES` (flags: `pk`, `null`, `noauto`, `fk=table.column`, `default=...`)."""
    name, kind, *flags = row.split()
    opt = dict(flag.partition("=")[::2] for flag in flags)
    args: list[Any] = [_TYPES[kind] if kind in _TYPES else sa.String(int(kind[3:]))]
    args += [sa.ForeignKey(opt["fk"])] if "fk" in opt else []
    default = sa.false() if opt.get("default") == "false" else opt.get("default")
    keys: dict[str, Any] = {
        "primary_key": "pk" in opt,
        "nullable": "null" in opt,
        "server_default": default,
    }
    return sa.Column(name, *args, autoincrement="noauto" not in opt and "auto", **keys)


def upgrade() -> None:
    for table, rows in _TABLES.items():
        op.create_table(table, *map(_column, rows.splitlines()))
        for index, (on, columns) in _INDEXES.items():
            if on == table:
                op.create_index(index, table, columns)


def downgrade() -> None:
    for table in reversed(list(_TABLES)):
        op.drop_table(table)
