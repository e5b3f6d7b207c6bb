"""Matches in the store: one row per player per match, kept forever, and their queries.

Why a module of its own: match stats never change once written, so this is an append-only
corner of the store with its own rules (store a match once, in one transaction, whichever
player's sync saw it first) beside the change-only snapshots of `repository.py`. The tables
are in `schema.py` with all the others; migration 0002 creates them. The queries and writes
are methods of the same reader and transaction as the rest of the store.

    rows = match_rows(stats, skill, fetched_at=now)    # pure: models -> row dicts
    with store.transaction() as tx:
        tx.save_match(rows)                            # False when already stored
    for m in store.player_matches(xuid, limit=20): ...
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from halotrack.models import MatchPlayer, MatchSkill, MatchStats, Stats
from halotrack.models.csr import csr_change
from halotrack.models.enums import history_type_of
from halotrack.store.extract import without_flight_id
from halotrack.store.insights import type_filter
from halotrack.store.schema import (
    ASSET_KINDS,
    match_assets,
    match_medals,
    match_personal_scores,
    match_players,
    match_sync,
    match_teams,
    matches,
)
from halotrack.store.session import Bound, insert_ignore, reads, writes

log = logging.getLogger(__name__)

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


_SKILL_COLUMNS = (
    "csr_pre",
    "csr_pre_tier",
    "csr_pre_sub_tier",
    "csr_pre_matches_remaining",
    "csr_post",
    "csr_post_tier",
    "csr_post_sub_tier",
    "csr_matches_remaining",
    "expected_kills",
    "expected_deaths",
    "expected_kills_sd",
    "expected_deaths_sd",
    "skill_kills",
    "skill_deaths",
    "team_mmr",
)


PERFORMANCE_COLUMNS = (
    "skill_kills",
    "expected_kills",
    "expected_kills_sd",
    "skill_deaths",
    "expected_deaths",
    "expected_deaths_sd",
)
"""A player's StatPerformances in match_players, in `Performance`'s field order."""


def _skill_values(result: Any) -> dict[str, Any]:
    """A player's skill columns from their skill `Result`; None for each one it lacks."""
    row: dict[str, Any] = dict.fromkeys(_SKILL_COLUMNS)
    if result is None:
        return row
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
        row["expected_kills_sd"] = perf.kills.std_dev
        row["skill_kills"] = perf.kills.count
    if perf is not None and perf.deaths is not None:
        row["expected_deaths"] = perf.deaths.expected
        row["expected_deaths_sd"] = perf.deaths.std_dev
        row["skill_deaths"] = perf.deaths.count
    row["team_mmr"] = result.team_mmr
    return row


def _player_values(player: MatchPlayer, t: _Totals) -> dict[str, Any]:
    """One player's own numbers: a single team's as the API computed them, or, for a player
    who switched teams, recomputed from the summed totals."""
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
    return {
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
    }


def _award_rows(key: dict[str, Any], t: _Totals) -> tuple[list[dict[str, Any]], ...]:
    """A player's medal rows and personal-score rows; `key` names the match and player."""
    medals = [{**key, "name_id": n, "count": count} for n, count in t.medals.items()]
    scores = [
        {**key, "name_id": n, "count": count, "total_points": total}
        for n, (count, total) in t.scores.items()
    ]
    return medals, scores


def _team_rows(stats: MatchStats, mid: str) -> list[dict[str, Any]]:
    rows = []
    for team in stats.teams:
        core = team.stats.core_stats
        rows.append(
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
    return rows


def _match_row(
    stats: MatchStats,
    skill: MatchSkill | None,
    shared: dict[str, Any],
    humans: int,
    fetched_at: datetime,
) -> dict[str, Any]:
    info = stats.match_info
    return {
        "match_id": stats.match_id.lower(),
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


def match_rows(
    stats: MatchStats, skill: MatchSkill | None = None, *, fetched_at: datetime
) -> MatchRows:
    """Rows for one match (and its skill answer, if any). Pure: no I/O."""
    info = stats.match_info
    mid = stats.match_id.lower()
    shared = {
        "start_time": info.start_time,
        "end_time": info.end_time,
        "duration_seconds": _seconds(info.duration),
        "lifecycle_mode": info.lifecycle_mode,
        "game_variant_category": info.game_variant_category,
        **_asset_values(stats),
    }
    humans = 0
    rows = MatchRows(match={}, teams=_team_rows(stats, mid))
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
        entry = skill_by_xuid.get(xuid) if xuid is not None else None
        result = entry.result if entry is not None and entry.ok else None
        rows.players.append(
            {
                "match_id": mid,
                "player_id": pid,
                "xuid": xuid,
                "is_bot": bot,
                **shared,
                **_player_values(player, t),
                **_skill_values(result),
            }
        )
        medals, scores = _award_rows({"match_id": mid, "player_id": pid, "xuid": xuid}, t)
        rows.medals += medals
        rows.personal_scores += scores
    rows.match = _match_row(stats, skill, shared, humans, fetched_at)
    return rows


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class SyncState:
    """Where a player's match sync stands.

    `newest_*`: the newest match such that every match from it down to the previous newest
    is stored (an incremental sync stops there). `frontier`: during a backfill, how many
    history entries (counted from that newest match) are stored; `complete`: the backfill
    reached the oldest match. One state per match history `type` (`history_type`): each
    type is its own list, with its own offsets.
    """

    xuid: int
    newest_match_id: str | None = None
    newest_start_time: datetime | None = None
    frontier: int = 0
    complete: bool = False
    updated_at: datetime | None = None
    history_type: str = "all"


@dataclass(frozen=True, slots=True)
class PlayerLine:
    """One player's line in one match: what a player's history and a scoreboard both show."""

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
    csr_pre: int | None
    csr_post: int | None
    csr_pre_matches_remaining: int | None
    csr_matches_remaining: int | None

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
        return csr_change(self.csr_pre, self.csr_post)


@dataclass(frozen=True)
class MatchLine:
    """What a player's match list and a stored match both say about the match itself.

    A field list without storage (empty `__slots__`), so that `PlayerMatch` can add it to
    `PlayerLine`'s slots; the slotted dataclasses below give every field its slot."""

    __slots__ = ()

    match_id: str
    start_time: datetime
    duration_seconds: float | None
    lifecycle_mode: int | None
    game_variant_category: int | None
    map_name: str | None
    mode_name: str | None
    playlist_name: str | None

    @property
    def history_type(self) -> str:
        """matchmaking, custom or local: the history that lists the match."""
        return history_type_of(self.lifecycle_mode)

    @property
    def game_label(self) -> str | None:
        """`Custom game` or `Local game`, shown where a matchmade match names its playlist;
        None for a matchmade match."""
        kind = self.history_type
        return None if kind == "matchmaking" else f"{kind.capitalize()} game"


@dataclass(frozen=True, slots=True)
class PlayerMatch(PlayerLine, MatchLine):
    """One match from one player's point of view, with asset names where known."""

    playlist_asset_id: str | None
    medal_count: int
    csr_post_tier: str | None
    csr_post_sub_tier: int | None
    expected_kills: float | None
    expected_deaths: float | None


_PM_FIELDS = tuple(f.name for f in fields(PlayerMatch))


def _named(kind: str, prefix: str) -> tuple[Any, Any]:
    alias = match_assets.alias(f"a_{kind}")
    on = sa.and_(
        alias.c.kind == kind,
        alias.c.asset_id == match_players.c[f"{prefix}_asset_id"],
        alias.c.version_id == match_players.c[f"{prefix}_version_id"],
    )
    return alias, on


class NameJoins:
    """The map, mode and playlist names of `match_players` rows, outer-joined from
    `match_assets` (None where an asset was not fetched yet)."""

    def __init__(self) -> None:
        self.maps, self._on_map = _named("map", "map")
        self.modes, self._on_mode = _named("mode", "mode")
        self.lists, self._on_list = _named("playlist", "playlist")

    def columns(self) -> tuple[Any, Any, Any]:
        return (
            self.maps.c.name.label("map_name"),
            self.modes.c.name.label("mode_name"),
            self.lists.c.name.label("playlist_name"),
        )

    def join(self, source: Any) -> Any:
        return (
            source.outerjoin(self.maps, self._on_map)
            .outerjoin(self.modes, self._on_mode)
            .outerjoin(self.lists, self._on_list)
        )


@dataclass(frozen=True, slots=True)
class ScoreboardRow(PlayerLine):
    player_id: str
    xuid: int | None
    is_bot: bool
    damage_dealt: int | None
    medals: dict[int, int]


@dataclass(frozen=True, slots=True)
class StoredMatch(MatchLine):
    """A stored match with its scoreboard (rows by team, then rank)."""

    end_time: datetime | None
    teams: list[dict[str, Any]]
    players: list[ScoreboardRow]


_SB_FIELDS = tuple(f.name for f in fields(ScoreboardRow) if f.name != "medals")


# ---------------------------------------------------------------------------- queries


class MatchReader(Bound):
    """The match queries of `StoreReader` (see `halotrack.store.session`)."""

    @reads
    def stored_match_ids(self, match_ids: Iterable[str]) -> set[str]:
        """Which of these match ids are already stored (lower-case)."""
        ids = sorted({m.lower() for m in match_ids})
        out: set[str] = set()
        conn = self.conn
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = conn.execute(sa.select(matches.c.match_id).where(matches.c.match_id.in_(chunk)))
            out.update(r.match_id for r in rows)
        return out

    @reads
    def skill_performance_rows(
        self, xuid: int, match_ids: Iterable[str]
    ) -> dict[str, dict[str, Any]]:
        """Match id -> the player's skill numbers in it (`PERFORMANCE_COLUMNS`: counts,
        expectations and spreads as the skill answer gave them), for the matches among
        these that the player played."""
        ids = sorted({m.lower() for m in match_ids})
        cols = [match_players.c[c] for c in PERFORMANCE_COLUMNS]
        out: dict[str, dict[str, Any]] = {}
        conn = self.conn
        for i in range(0, len(ids), 500):
            q = sa.select(match_players.c.match_id, *cols).where(
                match_players.c.xuid == xuid, match_players.c.match_id.in_(ids[i : i + 500])
            )
            for r in conn.execute(q):
                out[r.match_id] = {c: r._mapping[c] for c in PERFORMANCE_COLUMNS}
        return out

    @reads
    def match_ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        """Stored match ids starting with `prefix` (lower-case hex and dashes), sorted, at most
        `limit`: what a short id such as `4900726e` stands for."""
        if not prefix or any(ch not in "0123456789abcdef-" for ch in prefix):
            return []  # also keeps LIKE wildcards out of the pattern
        conn = self.conn
        rows = conn.execute(
            sa.select(matches.c.match_id)
            .where(matches.c.match_id.like(f"{prefix}%"))
            .order_by(matches.c.match_id)
            .limit(limit)
        )
        return [r.match_id for r in rows]

    @reads
    def player_match_ids(self, xuid: int) -> set[str]:
        """Every stored match id the player took part in."""
        conn = self.conn
        rows = conn.execute(sa.select(match_players.c.match_id).where(match_players.c.xuid == xuid))
        return {r.match_id for r in rows}

    @reads
    def match_player_xuids(self, xuid: int | None = None) -> set[int]:
        """XUIDs of the humans in the stored matches (of one player's matches, with `xuid`)."""
        q = sa.select(match_players.c.xuid).where(match_players.c.xuid.is_not(None)).distinct()
        if xuid is not None:
            mine = sa.select(match_players.c.match_id).where(match_players.c.xuid == xuid)
            q = q.where(match_players.c.match_id.in_(mine))
        conn = self.conn
        return {int(r.xuid) for r in conn.execute(q)}

    @reads
    def match_count(self, xuid: int | None = None, history_type: str = "all") -> int:
        """Stored matches, in all or of one player (of one match history `type`)."""
        conn = self.conn
        if xuid is None:
            q = sa.select(sa.func.count()).select_from(matches)
        else:
            q = sa.select(sa.func.count()).where(
                match_players.c.xuid == xuid, type_filter(history_type)
            )
        return int(conn.execute(q).scalar_one())

    @reads
    def get_sync_state(self, xuid: int, history_type: str = "all") -> SyncState:
        conn = self.conn
        ms = match_sync.c
        q = sa.select(match_sync).where(ms.xuid == xuid, ms.history_type == history_type)
        row = conn.execute(q).first()
        if row is None:
            return SyncState(xuid, history_type=history_type)
        m = row._mapping
        return SyncState(**{f.name: m[f.name] for f in fields(SyncState)})

    @reads
    def known_assets(self) -> set[tuple[str, str, str]]:
        """(kind, asset id, version id) of every asset fetched so far (found or not)."""
        conn = self.conn
        rows = conn.execute(
            sa.select(match_assets.c.kind, match_assets.c.asset_id, match_assets.c.version_id)
        )
        return {(r.kind, r.asset_id, r.version_id) for r in rows}

    @reads
    def asset_names(self, kind: str) -> dict[str, str]:
        """Asset id -> the newest-fetched name of any of its versions, for one kind."""
        return self.asset_names_of((kind,))[kind]

    @reads
    def asset_names_of(self, kinds: Iterable[str]) -> dict[str, dict[str, str]]:
        """`asset_names` of each of these kinds, in one query (a page names maps, modes
        and playlists)."""
        out: dict[str, dict[str, str]] = {kind: {} for kind in kinds}
        conn = self.conn
        rows = conn.execute(
            sa.select(match_assets.c.kind, match_assets.c.asset_id, match_assets.c.name)
            .where(match_assets.c.kind.in_(sorted(out)), match_assets.c.name.is_not(None))
            .order_by(match_assets.c.fetched_at)
        )
        for kind, asset_id, name in rows:
            out[kind][asset_id] = name
        return out

    @reads
    def player_matches(
        self,
        xuid: int,
        *,
        limit: int | None = 25,
        mode: str | None = None,
        playlist: str | None = None,
        since: datetime | None = None,
        ranked_only: bool = False,
        history_type: str = "all",
        after: tuple[datetime, str] | None = None,
    ) -> list[PlayerMatch]:
        """A player's stored matches, newest first (ties by match id). `mode`/`playlist`
        filter by name (case-insensitive substring) or exact asset id; `history_type`
        keeps the matches of one match history `type` (matchmaking, custom, local);
        `after` (start, match id) keeps those after that match in this order (a keyset
        page: matches stored later, newer, never shift it)."""
        names = NameJoins()
        mp = match_players.c
        q = (
            sa.select(
                mp.match_id,
                mp.start_time,
                mp.duration_seconds,
                mp.lifecycle_mode,
                mp.game_variant_category,
                *names.columns(),
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
            .select_from(names.join(match_players))
            .where(mp.xuid == xuid, type_filter(history_type))
            .order_by(mp.start_time.desc(), mp.match_id)
        )
        for wanted, named, asset_id in (
            (mode, names.modes, mp.mode_asset_id),
            (playlist, names.lists, mp.playlist_asset_id),
        ):
            if wanted:
                low = wanted.lower()
                q = q.where(
                    sa.or_(
                        sa.func.lower(named.c.name).contains(low, autoescape=True),
                        asset_id == low,
                    )
                )
        if since is not None:
            q = q.where(mp.start_time >= since)
        if after is not None:
            start, mid = after
            # The first term alone is what the (xuid, start_time) index seeks on.
            q = q.where(
                mp.start_time <= start,
                sa.or_(mp.start_time < start, sa.and_(mp.start_time == start, mp.match_id > mid)),
            )
        if ranked_only:
            q = q.where(mp.csr_post.is_not(None), mp.csr_post >= 0)
        if limit is not None:
            q = q.limit(limit)
        conn = self.conn
        return [PlayerMatch(**{f: r._mapping[f] for f in _PM_FIELDS}) for r in conn.execute(q)]

    @reads
    def get_match(self, match_id: str) -> StoredMatch | None:
        """A stored match and its scoreboard; None when it is not stored."""
        mid = match_id.strip().lower()
        conn = self.conn
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

    @reads
    def match_raw(self, match_id: str) -> dict[str, Any] | None:
        """The match stats JSON as the API sent it."""
        conn = self.conn
        row = conn.execute(
            sa.select(matches.c.raw_json).where(matches.c.match_id == match_id.strip().lower())
        ).first()
        return json.loads(row.raw_json) if row else None

    @reads
    def player_medal_counts(self, xuid: int) -> dict[int, tuple[int, int]]:
        """Medal NameId -> (total earned, matches earned in) for one player."""
        conn = self.conn
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

    @reads
    def medal_matches(
        self, xuid: int, name_ids: Iterable[int], *, limit: int = 50
    ) -> list[tuple[int, str, datetime, int]]:
        """(name id, match id, start time, count) where the player earned one of these medals,
        newest first."""
        ids = sorted(set(name_ids))
        if not ids:
            return []
        conn = self.conn
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

    def iter_raw_matches(self, *, batch: int = 200) -> Iterator[dict[str, Any]]:
        """Every stored match's raw JSON, oldest first (for analyses such as score inference).
        A generator outlives a call's unit, so on the unbound store it holds its own reader."""
        if self._conn is None:
            with self._unit(False) as bound:
                yield from bound.iter_raw_matches(batch=batch)
            return
        conn = self.conn
        result = conn.execution_options(yield_per=batch).execute(
            sa.select(matches.c.raw_json).order_by(matches.c.start_time, matches.c.match_id)
        )
        for row in result:
            yield json.loads(row.raw_json)


# ---------------------------------------------------------------------------- writes


class MatchWriter(MatchReader):
    """The match writes of `StoreTx`."""

    @writes
    def save_match(self, rows: MatchRows) -> bool:
        """Store one match and all its rows atomically; False (nothing written) when the match
        is already stored, whoever stored it. Race-free across processes: the match row is
        inserted first with ON CONFLICT DO NOTHING."""
        conn = self.conn
        if not insert_ignore(conn, matches, rows.match):
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

    @writes
    def put_sync_state(self, state: SyncState, *, now: datetime) -> None:
        """Write the player's sync state (the player row must exist: `StoreTx.upsert_player`)."""
        values = {
            "newest_match_id": state.newest_match_id,
            "newest_start_time": state.newest_start_time,
            "frontier": state.frontier,
            "complete": state.complete,
            "updated_at": now,
        }
        conn = self.conn
        key = {"xuid": state.xuid, "history_type": state.history_type}
        res = conn.execute(
            match_sync.update()
            .where(*(match_sync.c[k] == v for k, v in key.items()))
            .values(**values)
        )
        if not res.rowcount:
            conn.execute(match_sync.insert().values(**key, **values))

    @writes
    def save_asset(
        self,
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
        conn = self.conn
        insert_ignore(
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
