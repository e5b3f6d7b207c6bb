"""The database schema as SQLAlchemy Core tables: what the repository queries.

Why Core and not the ORM: every write is a small, explicit statement inside one transaction,
and the tables are meant to be read by hand (sqlite3, Datasette), so names are plain words.
The migrations under `migrations/versions/` create exactly this; a test compares the two.
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


players = sa.Table(
    "players",
    metadata,
    sa.Column("xuid", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("gamertag", sa.String(64), nullable=True),
    _ts("first_seen_at", nullable=False),
    _ts("last_seen_at", nullable=False),
)
sa.Index("ix_players_gamertag", players.c.gamertag)

gamertags = sa.Table(
    "gamertags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("xuid", sa.BigInteger, sa.ForeignKey("players.xuid"), nullable=False),
    sa.Column("gamertag", sa.String(64), nullable=False),
    _ts("first_seen_at", nullable=False),
    _ts("last_seen_at", nullable=False),
)
sa.Index("ix_gamertags_xuid_first_seen_at", gamertags.c.xuid, gamertags.c.first_seen_at)
sa.Index("ix_gamertags_gamertag", gamertags.c.gamertag)

service_records = sa.Table(
    "service_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("xuid", sa.BigInteger, sa.ForeignKey("players.xuid"), nullable=False),
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
    sa.UniqueConstraint("xuid", "kind", "scope_key", "captured_at"),
    sa.CheckConstraint("kind IN ('matchmade', 'custom', 'local')", name="kind"),
)

csr_snapshots = sa.Table(
    "csr_snapshots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("xuid", sa.BigInteger, sa.ForeignKey("players.xuid"), nullable=False),
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
    sa.Column(
        "xuid",
        sa.BigInteger,
        sa.ForeignKey("players.xuid"),
        primary_key=True,
        autoincrement=False,
    ),
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
    sa.Column(
        "xuid",
        sa.BigInteger,
        sa.ForeignKey("players.xuid"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("source", sa.String(128), primary_key=True),
    sa.Column("season_id", sa.String(256), primary_key=True),
    _ts("fetched_at", nullable=False),
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
