"""The database schema as SQLAlchemy Core tables: every table the store reads and writes.

Why Core and not the ORM: every write is a small, explicit statement inside one transaction,
and the tables are meant to be read by hand (sqlite3, Datasette), so names are plain words.
The migrations under `migrations/versions/` create exactly this, each from its own frozen
copy (they import nothing from halotrack); a test compares a migrated database with this.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on every backend.

    SQLite has no timezone type, so values are stored there as naive UTC and given `UTC`
    back on read; PostgreSQL stores `timestamptz`.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: halotrack stores UTC-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # a view column on SQLite may come back untyped
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def _player_key(primary_key: bool = True) -> sa.Column[int]:
    """`xuid` pointing at `players`: the key of a per-player table, or a plain reference."""
    return sa.Column(
        "xuid",
        sa.BigInteger,
        sa.ForeignKey("players.xuid"),
        nullable=False,
        primary_key=primary_key,
        autoincrement=False,
    )


def _player_row() -> list[sa.Column[Any]]:
    """A numbered row about one player (one of many per player)."""
    return [sa.Column("id", sa.Integer, primary_key=True), _player_key(primary_key=False)]


def _seen() -> list[sa.Column[Any]]:
    """When a player or a gamertag was first and last seen."""
    return [_ts("first_seen_at", nullable=False), _ts("last_seen_at", nullable=False)]


def _snapshot_stamp() -> list[sa.Column[Any]]:
    """When a snapshot was taken, when it was last found unchanged, and its body's hash."""
    return [
        _ts("captured_at", nullable=False),
        _ts("verified_at", nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
    ]


def _optional(type_: Any, *names: str) -> list[sa.Column[Any]]:
    """Nullable columns of one type: the numbers a body may lack."""
    return [sa.Column(name, type_, nullable=True) for name in names]


def _tier(prefix: str) -> list[sa.Column[Any]]:
    """A CSR reading as value, tier and sub-tier columns named `<prefix>_...`."""
    return [
        sa.Column(f"{prefix}_value", sa.Integer, nullable=True),
        sa.Column(f"{prefix}_tier", sa.String(32), nullable=True),
        sa.Column(f"{prefix}_sub_tier", sa.Integer, nullable=True),
    ]


players = sa.Table(
    "players",
    metadata,
    sa.Column("xuid", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("gamertag", sa.String(64), nullable=True),
    *_seen(),
)
sa.Index("ix_players_gamertag", players.c.gamertag)

gamertags = sa.Table(
    "gamertags",
    metadata,
    *_player_row(),
    sa.Column("gamertag", sa.String(64), nullable=False),
    *_seen(),
)
sa.Index("ix_gamertags_xuid_first_seen_at", gamertags.c.xuid, gamertags.c.first_seen_at)
sa.Index("ix_gamertags_gamertag", gamertags.c.gamertag)

service_records = sa.Table(
    "service_records",
    metadata,
    *_player_row(),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("scope_key", sa.String(512), nullable=False),
    sa.Column("season_id", sa.String(256), nullable=True),
    sa.Column("game_variant_category", sa.Integer, nullable=True),
    sa.Column("is_ranked", sa.Boolean, nullable=True),
    sa.Column("playlist_asset_id", sa.String(64), nullable=True),
    sa.Column("gameplay_interaction", sa.Integer, nullable=True),
    *_snapshot_stamp(),
    *_optional(
        sa.Integer, "matches_completed", "wins", "losses", "ties", "kills", "deaths", "assists"
    ),
    *_optional(sa.Float, "kda", "accuracy"),
    *_optional(sa.BigInteger, "damage_dealt", "damage_taken"),
    sa.Column("time_played_seconds", sa.Float, nullable=True),
    *_optional(sa.BigInteger, "score", "personal_score"),
    sa.Column("raw_json", sa.Text, nullable=False),
    sa.UniqueConstraint("xuid", "kind", "scope_key", "captured_at"),
    sa.CheckConstraint("kind IN ('matchmade', 'custom', 'local')", name="kind"),
)

csr_snapshots = sa.Table(
    "csr_snapshots",
    metadata,
    *_player_row(),
    sa.Column("playlist_id", sa.String(64), nullable=False),
    sa.Column("csr_season_id", sa.String(256), nullable=False),
    *_snapshot_stamp(),
    *_tier("current"),
    sa.Column("matches_remaining", sa.Integer, nullable=True),
    *_tier("season_max"),
    *_tier("all_time_max"),
    sa.Column("raw_json", sa.Text, nullable=False),
    sa.UniqueConstraint("xuid", "playlist_id", "csr_season_id", "captured_at"),
)

metadata_cache = sa.Table(
    "metadata_cache",
    metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("etag", sa.String(256), nullable=True),
    _ts("fetched_at", nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

watch_list = sa.Table(
    "watch_list",
    metadata,
    _player_key(),
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

seasons_fetched = sa.Table(
    "seasons_fetched",
    metadata,
    _player_key(),
    sa.Column("source", sa.String(128), primary_key=True),
    sa.Column("season_id", sa.String(256), primary_key=True),
    _ts("fetched_at", nullable=False),
)

# Matches: append-only, one row per player per match (migration 0002 creates these).

_ID = 64  # GUIDs are 36; room for whatever the API moves to

ASSET_KINDS = ("map", "mode", "playlist", "pair")
"""Kinds in `match_assets`: map variants, game variants (ugcGameVariants), playlists and
playlist map-mode pairs."""


def _match_key() -> sa.Column[str]:
    return sa.Column(
        "match_id", sa.String(_ID), sa.ForeignKey("matches.match_id"), primary_key=True
    )


def _match_facts() -> list[sa.Column[Any]]:
    """When and what was played: on `matches`, and again on each player's row so a player's
    history needs no join."""
    return [
        _ts("start_time", nullable=False),
        _ts("end_time"),
        sa.Column("duration_seconds", sa.Float, nullable=True),
        *_optional(sa.Integer, "lifecycle_mode", "game_variant_category"),
    ]


def _asset_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column(f"{kind}_{part}_id", sa.String(_ID), nullable=True)
        for kind in ASSET_KINDS
        for part in ("asset", "version")
    ]


matches = sa.Table(
    "matches",
    metadata,
    sa.Column("match_id", sa.String(_ID), primary_key=True),
    *_match_facts(),
    *_optional(sa.Integer, "playlist_experience", "gameplay_interaction"),
    *_asset_columns(),
    sa.Column("season_id", sa.String(256), nullable=True),
    sa.Column("teams_enabled", sa.Boolean, nullable=True),
    sa.Column("player_count", sa.Integer, nullable=False),
    sa.Column("human_count", sa.Integer, nullable=False),
    _ts("fetched_at", nullable=False),
    sa.Column("raw_json", sa.Text, nullable=False),
    sa.Column("skill_json", sa.Text, nullable=True),
)
sa.Index("ix_matches_start_time", matches.c.start_time)

match_players = sa.Table(
    "match_players",
    metadata,
    _match_key(),
    sa.Column("player_id", sa.String(_ID), primary_key=True),
    sa.Column("xuid", sa.BigInteger, nullable=True),
    sa.Column("is_bot", sa.Boolean, nullable=False),
    *_match_facts(),
    *_asset_columns(),
    *_optional(sa.Integer, "team_id", "outcome", "rank"),
    sa.Column("present_at_completion", sa.Boolean, nullable=True),
    sa.Column("time_played_seconds", sa.Float, nullable=True),
    sa.Column("kills", sa.Integer, nullable=False),
    sa.Column("deaths", sa.Integer, nullable=False),
    sa.Column("assists", sa.Integer, nullable=False),
    *_optional(sa.Float, "kda", "accuracy"),
    *_optional(sa.BigInteger, "score", "personal_score", "damage_dealt", "damage_taken"),
    *_optional(sa.BigInteger, "shots_fired", "shots_hit"),
    *_optional(sa.Integer, "headshot_kills", "max_killing_spree"),
    sa.Column("medal_count", sa.Integer, nullable=False),
    sa.Column("csr_pre", sa.Integer, nullable=True),
    sa.Column("csr_pre_tier", sa.String(32), nullable=True),
    *_optional(sa.Integer, "csr_pre_sub_tier", "csr_pre_matches_remaining", "csr_post"),
    sa.Column("csr_post_tier", sa.String(32), nullable=True),
    *_optional(sa.Integer, "csr_post_sub_tier", "csr_matches_remaining"),
    *_optional(sa.Float, "expected_kills", "expected_deaths"),
    *_optional(sa.Integer, "skill_kills", "skill_deaths"),
    sa.Column("team_mmr", sa.Float, nullable=True),
    # The skill answer's spread (StdDev) of the expected kills and deaths: with them the
    # performance index is read from this row, no skill answer decoded.
    *_optional(sa.Float, "expected_kills_sd", "expected_deaths_sd"),
)
# A player's matches in time order, ties by match id: pages of them are index ranges.
sa.Index(
    "ix_match_players_xuid_start_time_match_id",
    match_players.c.xuid,
    match_players.c.start_time,
    match_players.c.match_id,
)
# Covers the other players' side of a match (`store.insights.mates`): no table row read.
sa.Index(
    "ix_match_players_match_id_team_id_xuid",
    match_players.c.match_id,
    match_players.c.team_id,
    match_players.c.xuid,
)

match_teams = sa.Table(
    "match_teams",
    metadata,
    _match_key(),
    sa.Column("team_id", sa.Integer, primary_key=True, autoincrement=False),
    *_optional(sa.Integer, "outcome", "rank"),
    *_optional(sa.BigInteger, "score", "personal_score"),
    *_optional(sa.Integer, "kills", "deaths", "assists"),
)


def _award_table(name: str, *extra: sa.Column[Any]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        _match_key(),
        sa.Column("player_id", sa.String(_ID), primary_key=True),
        # NameIds are uint32 (4294967295 occurs): too big for a 32-bit INTEGER.
        sa.Column("name_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("xuid", sa.BigInteger, nullable=True),
        sa.Column("count", sa.Integer, nullable=False),
        *extra,
    )


match_medals = _award_table("match_medals")
sa.Index("ix_match_medals_xuid_name_id", match_medals.c.xuid, match_medals.c.name_id)

match_personal_scores = _award_table(
    "match_personal_scores", sa.Column("total_points", sa.BigInteger, nullable=False)
)
sa.Index("ix_match_personal_scores_name_id", match_personal_scores.c.name_id)

match_assets = sa.Table(
    "match_assets",
    metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("asset_id", sa.String(_ID), primary_key=True),
    sa.Column("version_id", sa.String(_ID), primary_key=True),
    sa.Column("name", sa.String(256), nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("found", sa.Boolean, nullable=False),
    _ts("fetched_at", nullable=False),
    sa.Column("raw_json", sa.Text, nullable=True),
)

match_sync = sa.Table(
    "match_sync",
    metadata,
    _player_key(),
    # One paging state per match history `type` (`all`, `matchmaking`, `custom`, `local`).
    sa.Column("history_type", sa.String(16), primary_key=True, server_default="all"),
    sa.Column("newest_match_id", sa.String(_ID), nullable=True),
    _ts("newest_start_time"),
    sa.Column("frontier", sa.Integer, nullable=False, server_default="0"),
    sa.Column("complete", sa.Boolean, nullable=False, server_default=sa.false()),
    _ts("updated_at", nullable=False),
)

MATCH_TABLES = (
    matches,
    match_players,
    match_teams,
    match_medals,
    match_personal_scores,
    match_assets,
    match_sync,
)

SNAPSHOT_INDEXES = (
    sa.Index(
        "ix_service_records_latest",
        service_records.c.xuid,
        service_records.c.kind,
        service_records.c.scope_key,
        service_records.c.captured_at,
    ),
    sa.Index(
        "ix_csr_snapshots_latest",
        csr_snapshots.c.xuid,
        csr_snapshots.c.playlist_id,
        csr_snapshots.c.csr_season_id,
        csr_snapshots.c.captured_at,
    ),
)

# Views for people querying by hand (created by the migrations, SQL frozen there): the newest
# snapshot of each (player, kind, scope) and of each (player, playlist, CSR season).
VIEWS = ("latest_service_records", "latest_csr")

# The API budget shared by every worker (issue 15, `halotrack.store.budget`): one GCRA cell
# per API service host. Times are seconds since the epoch on the database's own clock, so
# workers on machines with skewed clocks still share one schedule.
api_budget = sa.Table(
    "api_budget",
    metadata,
    sa.Column("host", sa.String(128), primary_key=True),
    sa.Column("rate", sa.Float, nullable=False),
    sa.Column("burst", sa.Integer, nullable=False),
    sa.Column("tat", sa.Float, nullable=False, server_default="0"),
    sa.Column("paused_until", sa.Float, nullable=False, server_default="0"),
    sa.Column("since", sa.Float, nullable=True),
    sa.Column("taken", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("limited", sa.BigInteger, nullable=False, server_default="0"),
)

# Notifications (issue 16): a transactional outbox. An event is written in the transaction of
# the snapshot or match that caused it, and `event_id` is derived from that cause, so a re-run,
# a restart or a second worker never writes it twice. `seq` orders events (per player, delivery
# follows it). Webhook URLs never enter the database: a delivery names its target by the opaque
# id it has in the owner-only targets file.
notify_events = sa.Table(
    "notify_events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("xuid", sa.BigInteger, nullable=True),
    _ts("occurred_at", nullable=False),
    _ts("created_at", nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("data_json", sa.Text, nullable=False, server_default="{}"),
)
sa.Index("ix_notify_events_xuid_seq", notify_events.c.xuid, notify_events.c.seq)

notify_deliveries = sa.Table(
    "notify_deliveries",
    metadata,
    sa.Column(
        "event_seq",
        sa.Integer,
        sa.ForeignKey("notify_events.seq"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("target", sa.String(64), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    _ts("next_attempt_at"),
    _ts("delivered_at"),
    sa.Column("last_error", sa.Text, nullable=True),
)
sa.Index(
    "ix_notify_deliveries_target_status_event_seq",
    notify_deliveries.c.target,
    notify_deliveries.c.status,
    notify_deliveries.c.event_seq,
)
