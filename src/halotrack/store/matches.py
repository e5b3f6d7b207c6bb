"""Match tables and their repository functions: one row per player per match, kept forever.

Why a module of its own: match stats never change once written, so this is an append-only
corner of the store with its own rules (store a match once, in one transaction, whichever
player's sync saw it first) beside the change-only snapshots of `repository.py`. The tables
live on the same `MetaData` as `schema.py`; migration 0002 creates them.

    rows = match_rows(stats, skill, fetched_at=now)    # pure: models -> row dicts
    with store.transaction() as tx:
        save_match(tx, rows)                           # False when already stored
    for m in player_matches(store, xuid, limit=20): ...

Every function takes a `Store`, a `StoreTx` or a SQLAlchemy `Connection`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from halotrack.models import MatchPlayer, MatchSkill, MatchStats, Stats
from halotrack.store.extract import without_flight_id
from halotrack.store.repository import Store, StoreTx
from halotrack.store.schema import UTCDateTime, metadata, metadata_cache

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------- tables

_ID = 64  # GUIDs are 36; room for whatever the API moves to


def _ts(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def _asset_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column(f"{kind}_{part}_id", sa.String(_ID), nullable=True)
        for kind in ("map", "mode", "playlist", "pair")
        for part in ("asset", "version")
    ]


matches = sa.Table(
    "matches",
    metadata,
    sa.Column("match_id", sa.String(_ID), primary_key=True),
    _ts("start_time", nullable=False),
    _ts("end_time"),
    sa.Column("duration_seconds", sa.Float, nullable=True),
    sa.Column("lifecycle_mode", sa.Integer, nullable=True),
    sa.Column("game_variant_category", sa.Integer, nullable=True),
    sa.Column("playlist_experience", sa.Integer, nullable=True),
    sa.Column("gameplay_interaction", sa.Integer, nullable=True),
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
    sa.Column("match_id", sa.String(_ID), sa.ForeignKey("matches.match_id"), primary_key=True),
    sa.Column("player_id", sa.String(_ID), primary_key=True),
    sa.Column("xuid", sa.BigInteger, nullable=True),
    sa.Column("is_bot", sa.Boolean, nullable=False),
    _ts("start_time", nullable=False),
    _ts("end_time"),
    sa.Column("duration_seconds", sa.Float, nullable=True),
    sa.Column("lifecycle_mode", sa.Integer, nullable=True),
    sa.Column("game_variant_category", sa.Integer, nullable=True),
    *_asset_columns(),
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
sa.Index("ix_match_players_xuid_start_time", match_players.c.xuid, match_players.c.start_time)

match_teams = sa.Table(
    "match_teams",
    metadata,
    sa.Column("match_id", sa.String(_ID), sa.ForeignKey("matches.match_id"), primary_key=True),
    sa.Column("team_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("outcome", sa.Integer, nullable=True),
    sa.Column("rank", sa.Integer, nullable=True),
    sa.Column("score", sa.BigInteger, nullable=True),
    sa.Column("personal_score", sa.BigInteger, nullable=True),
    sa.Column("kills", sa.Integer, nullable=True),
    sa.Column("deaths", sa.Integer, nullable=True),
    sa.Column("assists", sa.Integer, nullable=True),
)


def _award_table(name: str, *extra: sa.Column[Any]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("match_id", sa.String(_ID), sa.ForeignKey("matches.match_id"), primary_key=True),
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
    sa.Column(
        "xuid", sa.BigInteger, sa.ForeignKey("players.xuid"), primary_key=True, autoincrement=False
    ),
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

ASSET_KINDS = ("map", "mode", "playlist", "pair")
"""Kinds in `match_assets`: map variants, game variants (ugcGameVariants), playlists and
playlist map-mode pairs."""

# ---------------------------------------------------------------------------- connections

Conn = Store | StoreTx | Connection


@contextmanager
def _connection(target: Conn, write: bool = False) -> Iterator[Connection]:
    if isinstance(target, Connection):
        yield target
    elif isinstance(target, StoreTx):
        yield target.conn
    elif write:
        with target.transaction() as tx:
            yield tx.conn
    else:
        with target.reader() as tx:
            yield tx.conn


_IGNORE_STMT: dict[tuple[str, str], Any] = {}


def _insert_ignore(conn: Connection, table: sa.Table, values: Mapping[str, Any]) -> bool:
    """INSERT .. ON CONFLICT DO NOTHING; True when the row was inserted. RETURNING, not
    rowcount: psycopg reports -1 for an INSERT that hit the conflict. The statement is built
    once per dialect and table; values go in as parameters (no per-value coercion)."""
    key = (conn.dialect.name, table.name)
    stmt = _IGNORE_STMT.get(key)
    if stmt is None:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        pk = next(iter(table.primary_key.columns))
        stmt = dialect.insert(table).on_conflict_do_nothing().returning(pk)
        _IGNORE_STMT[key] = stmt
    return conn.execute(stmt, dict(values)).first() is not None


# ---------------------------------------------------------------------------- extraction


@dataclass(slots=True)
class MatchRows:
    """Everything one match stores, as row dicts ready for executemany."""

    match: dict[str, Any]
    players: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    medals: list[dict[str, Any]] = field(default_factory=list)
    personal_scores: list[dict[str, Any]] = field(default_factory=list)

    @property
    def match_id(self) -> str:
        return str(self.match["match_id"])


def _seconds(value: Any) -> float | None:
    return value.total_seconds() if value is not None else None


def _asset_values(stats: MatchStats) -> dict[str, str | None]:
    info = stats.match_info
    out: dict[str, str | None] = {}
    for kind, ref in (
        ("map", info.map_variant),
        ("mode", info.ugc_game_variant),
        ("playlist", info.playlist),
        ("pair", info.playlist_map_mode_pair),
    ):
        out[f"{kind}_asset_id"] = ref.asset_id.lower() if ref and ref.asset_id else None
        out[f"{kind}_version_id"] = ref.version_id.lower() if ref and ref.version_id else None
    return out


def asset_refs(stats: MatchStats) -> list[tuple[str, str, str]]:
    """(kind, asset id, version id) of each asset a match points at."""
    values = _asset_values(stats)
    out = []
    for kind in ASSET_KINDS:
        aid, vid = values[f"{kind}_asset_id"], values[f"{kind}_version_id"]
        if aid and vid:
            out.append((kind, aid, vid))
    return out


@dataclass(slots=True)
class _Totals:
    """A player's numbers summed over every team they played on (a switch splits them)."""

    ints: dict[str, int]
    medals: dict[int, int]
    scores: dict[int, tuple[int, int]]


_CORE_INTS = (
    "kills",
    "deaths",
    "assists",
    "score",
    "personal_score",
    "damage_dealt",
    "damage_taken",
    "shots_fired",
    "shots_hit",
    "headshot_kills",
)


def _totals(player: MatchPlayer) -> _Totals:
    entries: Sequence[Stats] = [pts.stats for pts in player.player_team_stats] or [Stats()]
    ints = dict.fromkeys(_CORE_INTS, 0)
    medals: dict[int, int] = {}
    scores: dict[int, tuple[int, int]] = {}
    for stats in entries:
        core = stats.core_stats
        for name in _CORE_INTS:
            ints[name] += getattr(core, name)
        for m in core.medals:
            medals[m.name_id] = medals.get(m.name_id, 0) + m.count
        for p in core.personal_scores:
            n, t = scores.get(p.name_id, (0, 0))
            scores[p.name_id] = (n + p.count, t + p.total_personal_score_awarded)
    return _Totals(ints, medals, scores)


def _csr_value(csr: Any) -> tuple[int | None, str | None, int | None]:
    if csr is None:
        return None, None, None
    return csr.value, (csr.tier or None), csr.sub_tier


def match_rows(
    stats: MatchStats, skill: MatchSkill | None = None, *, fetched_at: datetime
) -> MatchRows:
    """Rows for one match (and its skill answer, if any). Pure: no I/O."""
    info = stats.match_info
    mid = stats.match_id.lower()
    assets = _asset_values(stats)
    duration = _seconds(info.duration)
    shared = {
        "start_time": info.start_time,
        "end_time": info.end_time,
        "duration_seconds": duration,
        "lifecycle_mode": info.lifecycle_mode,
        "game_variant_category": info.game_variant_category,
        **assets,
    }
    humans = 0
    rows = MatchRows(match={})
    seen: dict[str, int] = {}
    skill_by_xuid = {e.xuid: e for e in skill.value} if skill is not None else {}
    for player in stats.players:
        bot = player.is_bot
        humans += not bot
        xuid = None if bot else player.xuid
        pid = player.player_id
        if not bot and xuid is None:
            # An id the store cannot key (past the signed 64-bit range, or junk): keep the
            # match and everyone else; the raw JSON still holds this player.
            log.warning("match %s: skipped player %.40r: not a usable XUID", mid, pid)
            continue
        # Two bots may share an id (`bid(19.0)`); number the repeats so none is lost.
        seen[pid] = n = seen.get(pid, 0) + 1
        if n > 1:
            pid = f"{pid}#{n}"
        t = _totals(player)
        k, d, a = t.ints["kills"], t.ints["deaths"], t.ints["assists"]
        if len(player.player_team_stats) == 1:
            core = player.player_team_stats[0].stats.core_stats
            kda: float | None = core.kda if core.kda is not None else core.average_kda
            accuracy: float | None = core.accuracy
            spree: int | None = core.max_killing_spree
        else:
            kda = round(k + a / 3 - d, 2)
            fired = t.ints["shots_fired"]
            accuracy = round(t.ints["shots_hit"] / fired * 100, 2) if fired else 0.0
            spree = max(
                (pts.stats.core_stats.max_killing_spree for pts in player.player_team_stats),
                default=None,
            )
        part = player.participation_info
        row: dict[str, Any] = {
            "match_id": mid,
            "player_id": pid,
            "xuid": xuid,
            "is_bot": bot,
            **shared,
            "team_id": player.last_team_id,
            "outcome": player.outcome,
            "rank": player.rank,
            "present_at_completion": part.present_at_completion if part else None,
            "time_played_seconds": _seconds(part.time_played) if part else None,
            **t.ints,
            "kda": kda,
            "accuracy": accuracy,
            "max_killing_spree": spree,
            "medal_count": sum(t.medals.values()),
            "csr_pre": None,
            "csr_pre_tier": None,
            "csr_pre_sub_tier": None,
            "csr_pre_matches_remaining": None,
            "csr_post": None,
            "csr_post_tier": None,
            "csr_post_sub_tier": None,
            "csr_matches_remaining": None,
            "expected_kills": None,
            "expected_deaths": None,
            "skill_kills": None,
            "skill_deaths": None,
            "team_mmr": None,
        }
        entry = skill_by_xuid.get(xuid) if xuid is not None else None
        result = entry.result if entry is not None and entry.ok else None
        if result is not None:
            recap = result.rank_recap
            if recap is not None:
                pre, post = recap.pre_match_csr, recap.post_match_csr
                row["csr_pre"], row["csr_pre_tier"], row["csr_pre_sub_tier"] = _csr_value(pre)
                row["csr_post"], row["csr_post_tier"], row["csr_post_sub_tier"] = _csr_value(post)
                if pre is not None:
                    row["csr_pre_matches_remaining"] = pre.measurement_matches_remaining
                if post is not None:
                    row["csr_matches_remaining"] = post.measurement_matches_remaining
            perf = result.stat_performances
            if perf is not None and perf.kills is not None:
                row["expected_kills"] = perf.kills.expected
                row["skill_kills"] = perf.kills.count
            if perf is not None and perf.deaths is not None:
                row["expected_deaths"] = perf.deaths.expected
                row["skill_deaths"] = perf.deaths.count
            row["team_mmr"] = result.team_mmr
        rows.players.append(row)
        for name_id, count in t.medals.items():
            rows.medals.append(
                {
                    "match_id": mid,
                    "player_id": pid,
                    "name_id": name_id,
                    "xuid": xuid,
                    "count": count,
                }
            )
        for name_id, (count, total) in t.scores.items():
            rows.personal_scores.append(
                {
                    "match_id": mid,
                    "player_id": pid,
                    "name_id": name_id,
                    "xuid": xuid,
                    "count": count,
                    "total_points": total,
                }
            )
    for team in stats.teams:
        core = team.stats.core_stats
        rows.teams.append(
            {
                "match_id": mid,
                "team_id": team.team_id,
                "outcome": team.outcome,
                "rank": team.rank,
                "score": core.score,
                "personal_score": core.personal_score,
                "kills": core.kills,
                "deaths": core.deaths,
                "assists": core.assists,
            }
        )
    rows.match = {
        "match_id": mid,
        **shared,
        "playlist_experience": info.playlist_experience,
        "gameplay_interaction": info.gameplay_interaction,
        "season_id": info.season_id,
        "teams_enabled": info.teams_enabled,
        "player_count": len(stats.players),
        "human_count": humans,
        "fetched_at": fetched_at,
        "raw_json": without_flight_id(stats.raw_bytes).decode("utf-8"),
        "skill_json": skill.raw_bytes.decode("utf-8") if skill is not None else None,
    }
    return rows


# ---------------------------------------------------------------------------- writes


def save_match(target: Conn, rows: MatchRows) -> bool:
    """Store one match and all its rows atomically; False (nothing written) when the match
    is already stored, whoever stored it. Race-free across processes: the match row is
    inserted first with ON CONFLICT DO NOTHING."""
    with _connection(target, write=True) as conn:
        if not _insert_ignore(conn, matches, rows.match):
            return False
        if rows.players:
            conn.execute(match_players.insert(), rows.players)
        for table, values in (
            (match_teams, rows.teams),
            (match_medals, rows.medals),
            (match_personal_scores, rows.personal_scores),
        ):
            if values:
                _bulk_insert(conn, table, values)
        return True


_BULK_SQL: dict[tuple[str, str, tuple[str, ...]], str] = {}


def _bulk_insert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """executemany straight to the driver for rows of plain ints and strings (medals,
    personal scores, teams: most of a match's rows). SQLAlchemy's per-row parameter
    processing cost more than the insert itself; these columns need no type conversion."""
    cols = tuple(rows[0])
    dialect = conn.dialect
    key = (dialect.name, table.name, cols)
    sql = _BULK_SQL.get(key)
    qmark = dialect.paramstyle == "qmark"
    if sql is None:
        quote = dialect.identifier_preparer.quote
        marks = ", ".join("?" if qmark else f"%({c})s" for c in cols)
        sql = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in cols)}) "
        sql += f"VALUES ({marks})"
        _BULK_SQL[key] = sql
    if qmark:
        conn.exec_driver_sql(sql, [tuple(r[c] for c in cols) for r in rows])
    else:
        conn.exec_driver_sql(sql, rows)


def stored_match_ids(target: Conn, match_ids: Iterable[str]) -> set[str]:
    """Which of these match ids are already stored (lower-case)."""
    ids = sorted({m.lower() for m in match_ids})
    out: set[str] = set()
    with _connection(target) as conn:
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = conn.execute(sa.select(matches.c.match_id).where(matches.c.match_id.in_(chunk)))
            out.update(r.match_id for r in rows)
    return out


def match_ids_with_prefix(target: Conn, prefix: str, limit: int = 10) -> list[str]:
    """Stored match ids starting with `prefix` (lower-case hex and dashes), sorted, at most
    `limit`: what a short id such as `4900726e` stands for."""
    if not prefix or any(ch not in "0123456789abcdef-" for ch in prefix):
        return []  # also keeps LIKE wildcards out of the pattern
    with _connection(target) as conn:
        rows = conn.execute(
            sa.select(matches.c.match_id)
            .where(matches.c.match_id.like(f"{prefix}%"))
            .order_by(matches.c.match_id)
            .limit(limit)
        )
        return [r.match_id for r in rows]


def player_match_ids(target: Conn, xuid: int) -> set[str]:
    """Every stored match id the player took part in."""
    with _connection(target) as conn:
        rows = conn.execute(sa.select(match_players.c.match_id).where(match_players.c.xuid == xuid))
        return {r.match_id for r in rows}


def match_player_xuids(target: Conn, xuid: int | None = None) -> set[int]:
    """XUIDs of the humans in the stored matches (of one player's matches, with `xuid`)."""
    q = sa.select(match_players.c.xuid).where(match_players.c.xuid.is_not(None)).distinct()
    if xuid is not None:
        mine = sa.select(match_players.c.match_id).where(match_players.c.xuid == xuid)
        q = q.where(match_players.c.match_id.in_(mine))
    with _connection(target) as conn:
        return {int(r.xuid) for r in conn.execute(q)}


GAMERTAG_KIND = "gamertag"  # metadata cache: key the XUID, body the gamertag


def cached_gamertags(target: Conn, xuids: Iterable[int]) -> dict[int, str]:
    """Gamertags of these XUIDs as the profile service last gave them (`put_gamertags`)."""
    keys = sorted({str(x) for x in xuids})
    out: dict[int, str] = {}
    with _connection(target) as conn:
        for i in range(0, len(keys), 500):
            rows = conn.execute(
                sa.select(metadata_cache.c.key, metadata_cache.c.body).where(
                    metadata_cache.c.kind == GAMERTAG_KIND,
                    metadata_cache.c.key.in_(keys[i : i + 500]),
                )
            )
            out.update((int(r.key), r.body) for r in rows if r.body)
    return out


def put_gamertags(store: Store, gamertags: Mapping[int, str], *, now: datetime) -> None:
    """Keep looked-up gamertags, in one transaction, for scoreboards read offline."""
    with store.transaction() as tx:
        for xuid, tag in gamertags.items():
            tx.put_metadata(GAMERTAG_KIND, str(xuid), tag, fetched_at=now)


def match_count(target: Conn, xuid: int | None = None) -> int:
    """Stored matches, in all or of one player."""
    with _connection(target) as conn:
        if xuid is None:
            q = sa.select(sa.func.count()).select_from(matches)
        else:
            q = sa.select(sa.func.count()).where(match_players.c.xuid == xuid)
        return int(conn.execute(q).scalar_one())


# ---------------------------------------------------------------------------- sync state


@dataclass(frozen=True, slots=True)
class SyncState:
    """Where a player's match sync stands.

    `newest_*`: the newest match such that every match from it down to the previous newest
    is stored (an incremental sync stops there). `frontier`: during a backfill, how many
    history entries (counted from that newest match) are stored; `complete`: the backfill
    reached the oldest match.
    """

    xuid: int
    newest_match_id: str | None = None
    newest_start_time: datetime | None = None
    frontier: int = 0
    complete: bool = False
    updated_at: datetime | None = None


def get_sync_state(target: Conn, xuid: int) -> SyncState:
    with _connection(target) as conn:
        row = conn.execute(sa.select(match_sync).where(match_sync.c.xuid == xuid)).first()
    if row is None:
        return SyncState(xuid)
    m = row._mapping
    return SyncState(**{f.name: m[f.name] for f in fields(SyncState)})


def put_sync_state(target: Conn, state: SyncState, *, now: datetime) -> None:
    """Write the player's sync state (the player row must exist: `StoreTx.upsert_player`)."""
    values = {
        "newest_match_id": state.newest_match_id,
        "newest_start_time": state.newest_start_time,
        "frontier": state.frontier,
        "complete": state.complete,
        "updated_at": now,
    }
    with _connection(target, write=True) as conn:
        res = conn.execute(
            match_sync.update().where(match_sync.c.xuid == state.xuid).values(**values)
        )
        if not res.rowcount:
            conn.execute(match_sync.insert().values(xuid=state.xuid, **values))


# ---------------------------------------------------------------------------- assets


def known_assets(target: Conn) -> set[tuple[str, str, str]]:
    """(kind, asset id, version id) of every asset fetched so far (found or not)."""
    with _connection(target) as conn:
        rows = conn.execute(
            sa.select(match_assets.c.kind, match_assets.c.asset_id, match_assets.c.version_id)
        )
        return {(r.kind, r.asset_id, r.version_id) for r in rows}


def save_asset(
    target: Conn,
    kind: str,
    asset_id: str,
    version_id: str,
    *,
    name: str | None,
    description: str | None = None,
    raw: bytes | str | None = None,
    fetched_at: datetime,
) -> None:
    """Remember an asset version's name (a version never changes: first write wins). With
    `raw` None it is recorded as not found, so it is not asked for again."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    with _connection(target, write=True) as conn:
        _insert_ignore(
            conn,
            match_assets,
            {
                "kind": kind,
                "asset_id": asset_id.lower(),
                "version_id": version_id.lower(),
                "name": name[:256] if name else None,
                "description": description,
                "found": raw is not None,
                "fetched_at": fetched_at,
                "raw_json": text,
            },
        )


def asset_names(target: Conn, kind: str) -> dict[str, str]:
    """Asset id -> the newest-fetched name of any of its versions, for one kind."""
    with _connection(target) as conn:
        rows = conn.execute(
            sa.select(match_assets.c.asset_id, match_assets.c.name)
            .where(match_assets.c.kind == kind, match_assets.c.name.is_not(None))
            .order_by(match_assets.c.fetched_at)
        )
        return {r.asset_id: r.name for r in rows}


# ---------------------------------------------------------------------------- reads


@dataclass(frozen=True, slots=True)
class PlayerMatch:
    """One match from one player's point of view, with asset names where known."""

    match_id: str
    start_time: datetime
    duration_seconds: float | None
    lifecycle_mode: int | None
    game_variant_category: int | None
    map_name: str | None
    mode_name: str | None
    playlist_name: str | None
    playlist_asset_id: str | None
    outcome: int | None
    team_id: int | None
    rank: int | None
    kills: int
    deaths: int
    assists: int
    kda: float | None
    accuracy: float | None
    score: int | None
    personal_score: int | None
    medal_count: int
    csr_pre: int | None
    csr_post: int | None
    csr_post_tier: str | None
    csr_post_sub_tier: int | None
    csr_matches_remaining: int | None
    csr_pre_matches_remaining: int | None
    expected_kills: float | None
    expected_deaths: float | None

    @property
    def ranked(self) -> bool:
        """Whether the match counted for CSR: a rank after it, or a placement match used up
        (a social match answers "unranked" before and after with nothing used)."""
        if self.csr_post is not None and self.csr_post >= 0:
            return True
        pre, post = self.csr_pre_matches_remaining, self.csr_matches_remaining
        return pre is not None and post is not None and post < pre

    @property
    def csr_delta(self) -> int | None:
        """CSR gained in the match; None while either side is unranked (-1) or unknown."""
        if self.csr_pre is None or self.csr_post is None or self.csr_pre < 0 or self.csr_post < 0:
            return None
        return self.csr_post - self.csr_pre


_PM_FIELDS = tuple(f.name for f in fields(PlayerMatch))


def _named(kind: str, prefix: str) -> tuple[Any, Any]:
    alias = match_assets.alias(f"a_{kind}")
    on = sa.and_(
        alias.c.kind == kind,
        alias.c.asset_id == match_players.c[f"{prefix}_asset_id"],
        alias.c.version_id == match_players.c[f"{prefix}_version_id"],
    )
    return alias, on


def player_matches(
    target: Conn,
    xuid: int,
    *,
    limit: int | None = 25,
    mode: str | None = None,
    playlist: str | None = None,
    since: datetime | None = None,
    ranked_only: bool = False,
) -> list[PlayerMatch]:
    """A player's stored matches, newest first. `mode`/`playlist` filter by name
    (case-insensitive substring) or exact asset id."""
    maps, on_map = _named("map", "map")
    modes, on_mode = _named("mode", "mode")
    lists, on_list = _named("playlist", "playlist")
    mp = match_players.c
    q = (
        sa.select(
            mp.match_id,
            mp.start_time,
            mp.duration_seconds,
            mp.lifecycle_mode,
            mp.game_variant_category,
            maps.c.name.label("map_name"),
            modes.c.name.label("mode_name"),
            lists.c.name.label("playlist_name"),
            mp.playlist_asset_id,
            mp.outcome,
            mp.team_id,
            mp.rank,
            mp.kills,
            mp.deaths,
            mp.assists,
            mp.kda,
            mp.accuracy,
            mp.score,
            mp.personal_score,
            mp.medal_count,
            mp.csr_pre,
            mp.csr_post,
            mp.csr_post_tier,
            mp.csr_post_sub_tier,
            mp.csr_matches_remaining,
            mp.csr_pre_matches_remaining,
            mp.expected_kills,
            mp.expected_deaths,
        )
        .select_from(
            match_players.outerjoin(maps, on_map)
            .outerjoin(modes, on_mode)
            .outerjoin(lists, on_list)
        )
        .where(mp.xuid == xuid)
        .order_by(mp.start_time.desc(), mp.match_id)
    )
    if mode:
        low = mode.lower()
        q = q.where(
            sa.or_(
                sa.func.lower(modes.c.name).contains(low, autoescape=True),
                mp.mode_asset_id == low,
            )
        )
    if playlist:
        low = playlist.lower()
        q = q.where(
            sa.or_(
                sa.func.lower(lists.c.name).contains(low, autoescape=True),
                mp.playlist_asset_id == low,
            )
        )
    if since is not None:
        q = q.where(mp.start_time >= since)
    if ranked_only:
        q = q.where(mp.csr_post.is_not(None), mp.csr_post >= 0)
    if limit is not None:
        q = q.limit(limit)
    with _connection(target) as conn:
        return [PlayerMatch(**{f: r._mapping[f] for f in _PM_FIELDS}) for r in conn.execute(q)]


@dataclass(frozen=True, slots=True)
class ScoreboardRow:
    player_id: str
    xuid: int | None
    is_bot: bool
    team_id: int | None
    outcome: int | None
    rank: int | None
    kills: int
    deaths: int
    assists: int
    kda: float | None
    accuracy: float | None
    score: int | None
    personal_score: int | None
    damage_dealt: int | None
    csr_pre: int | None
    csr_post: int | None
    csr_pre_matches_remaining: int | None
    csr_matches_remaining: int | None
    medals: dict[int, int]


@dataclass(frozen=True, slots=True)
class StoredMatch:
    """A stored match with its scoreboard (rows by team, then rank)."""

    match_id: str
    start_time: datetime
    end_time: datetime | None
    duration_seconds: float | None
    lifecycle_mode: int | None
    game_variant_category: int | None
    map_name: str | None
    mode_name: str | None
    playlist_name: str | None
    teams: list[dict[str, Any]]
    players: list[ScoreboardRow]


_SB_FIELDS = tuple(f.name for f in fields(ScoreboardRow) if f.name != "medals")


def get_match(target: Conn, match_id: str) -> StoredMatch | None:
    """A stored match and its scoreboard; None when it is not stored."""
    mid = match_id.strip().lower()
    with _connection(target) as conn:
        m = conn.execute(sa.select(matches).where(matches.c.match_id == mid)).first()
        if m is None:
            return None
        names: dict[str, str | None] = {}
        for kind in ("map", "mode", "playlist"):
            aid, vid = m._mapping[f"{kind}_asset_id"], m._mapping[f"{kind}_version_id"]
            row = conn.execute(
                sa.select(match_assets.c.name).where(
                    match_assets.c.kind == kind,
                    match_assets.c.asset_id == aid,
                    match_assets.c.version_id == vid,
                )
            ).first()
            names[kind] = row.name if row else None
        medals: dict[str, dict[int, int]] = {}
        for r in conn.execute(
            sa.select(match_medals.c.player_id, match_medals.c.name_id, match_medals.c.count).where(
                match_medals.c.match_id == mid
            )
        ):
            medals.setdefault(r.player_id, {})[r.name_id] = r._mapping["count"]
        players = [
            ScoreboardRow(
                **{f: r._mapping[f] for f in _SB_FIELDS}, medals=medals.get(r.player_id, {})
            )
            for r in conn.execute(
                sa.select(match_players)
                .where(match_players.c.match_id == mid)
                .order_by(match_players.c.team_id, match_players.c.rank, match_players.c.player_id)
            )
        ]
        teams = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(match_teams)
                .where(match_teams.c.match_id == mid)
                .order_by(match_teams.c.team_id)
            )
        ]
    mm = m._mapping
    return StoredMatch(
        match_id=mid,
        start_time=mm["start_time"],
        end_time=mm["end_time"],
        duration_seconds=mm["duration_seconds"],
        lifecycle_mode=mm["lifecycle_mode"],
        game_variant_category=mm["game_variant_category"],
        map_name=names["map"],
        mode_name=names["mode"],
        playlist_name=names["playlist"],
        teams=teams,
        players=players,
    )


def match_raw(target: Conn, match_id: str) -> dict[str, Any] | None:
    """The match stats JSON as the API sent it."""
    with _connection(target) as conn:
        row = conn.execute(
            sa.select(matches.c.raw_json).where(matches.c.match_id == match_id.strip().lower())
        ).first()
    return json.loads(row.raw_json) if row else None


def iter_raw_matches(target: Conn, *, batch: int = 200) -> Iterator[dict[str, Any]]:
    """Every stored match's raw JSON, oldest first (for analyses such as score inference)."""
    with _connection(target) as conn:
        result = conn.execution_options(yield_per=batch).execute(
            sa.select(matches.c.raw_json).order_by(matches.c.start_time, matches.c.match_id)
        )
        for row in result:
            yield json.loads(row.raw_json)


def player_medal_counts(target: Conn, xuid: int) -> dict[int, tuple[int, int]]:
    """Medal NameId -> (total earned, matches earned in) for one player."""
    with _connection(target) as conn:
        rows = conn.execute(
            sa.select(
                match_medals.c.name_id,
                sa.func.sum(match_medals.c.count).label("total"),
                sa.func.count().label("matches"),
            )
            .where(match_medals.c.xuid == xuid)
            .group_by(match_medals.c.name_id)
        )
        return {int(r.name_id): (int(r.total), int(r.matches)) for r in rows}


def medal_matches(
    target: Conn, xuid: int, name_ids: Iterable[int], *, limit: int = 50
) -> list[tuple[int, str, datetime, int]]:
    """(name id, match id, start time, count) where the player earned one of these medals,
    newest first."""
    ids = sorted(set(name_ids))
    if not ids:
        return []
    with _connection(target) as conn:
        rows = conn.execute(
            sa.select(
                match_medals.c.name_id,
                match_medals.c.match_id,
                matches.c.start_time,
                match_medals.c.count,
            )
            .join(matches, matches.c.match_id == match_medals.c.match_id)
            .where(match_medals.c.xuid == xuid, match_medals.c.name_id.in_(ids))
            .order_by(matches.c.start_time.desc())
            .limit(limit)
        )
        return [(int(r.name_id), r.match_id, r.start_time, int(r._mapping["count"])) for r in rows]
