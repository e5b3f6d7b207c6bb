"""SQL behind the insights (breakdowns, sessions, streaks, mates, head-to-head, CSR history).

Why a module of its own: the match tables' SQL stays here. A player's whole career
(breakdowns, streaks, CSR history, sessions) is one read of their rows (`player_rows`)
that the use-case layer (`halotrack.usecases.insights`) sums: a query over a career costs
its row lookups (7 to 15 ms for 800 matches on SQLite), summing the rows in Python a
fraction of that, so one read for every section beats one GROUP BY per section; a session
alone (the API's) reads the rows of the matches it spans. Mates (a self-join: thousands of
pairs, which cost more to bring into Python than to group), versus and the other bounded
reads are summed by the database.

Which matches count is a `play` filter: `pvp` (matchmade, not PvE: the headline numbers),
`pve` (matchmade Firefight and other PvE), `custom` (custom and local games) or `all`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from halotrack.models.enums import GameplayInteraction, GameVariantCategory, LifecycleMode, Outcome
from halotrack.store.schema import match_players, matches, metadata_cache
from halotrack.store.session import Conn
from halotrack.store.session import connection as _connection

Play = Literal["pvp", "pve", "custom", "all"]
PLAYS: tuple[Play, ...] = ("pvp", "pve", "custom", "all")
By = Literal["mode", "map", "playlist"]

mp = match_players.c
mt = matches.c

IS_PVE = sa.or_(
    sa.func.coalesce(mt.gameplay_interaction, 0) == int(GameplayInteraction.PvE),
    sa.func.coalesce(mp.game_variant_category, 0) == int(GameVariantCategory.MultiplayerFirefight),
)
"""A match against the AI: the match says PvE, or it is Firefight (older matches say
nothing of the interaction). Its kills never count in the headline K/D."""

IS_MATCHMADE = sa.func.coalesce(mp.lifecycle_mode, 0) == int(LifecycleMode.Matchmade)

LOSS = (int(Outcome.Loss), int(Outcome.DidNotFinish))
"""Leaving early is a loss, as the CSR counts it."""


def play_filter(play: Play) -> Any:
    """The WHERE clause of a `play` scope (match_players joined with matches)."""
    if play == "pvp":
        return sa.and_(IS_MATCHMADE, sa.not_(IS_PVE))
    if play == "pve":
        return sa.and_(IS_MATCHMADE, IS_PVE)
    if play == "custom":
        return sa.not_(IS_MATCHMADE)
    return sa.true()


def type_filter(kind: str) -> Any:
    """The WHERE clause of a match history `type` (`HISTORY_TYPES`) on match_players alone:
    what `matches --type`, the sync's counts and the site's matchmade numbers select."""
    if kind == "matchmaking":
        return IS_MATCHMADE
    lifecycle = sa.func.coalesce(mp.lifecycle_mode, 0)
    if kind == "custom":
        return lifecycle == int(LifecycleMode.Custom)
    if kind == "local":
        return lifecycle.not_in((int(LifecycleMode.Custom), int(LifecycleMode.Matchmade)))
    return sa.true()


def type_of() -> Any:
    """The history type (`matchmaking`, `custom`, `local`) of a match_players row, as SQL:
    the type whose `type_filter` selects it."""
    kinds = ("matchmaking", "custom")
    return sa.case(*((type_filter(k), k) for k in kinds), else_="local")


def season_filter(season: str) -> Any:
    """Matches of a season given as a number (`5`: `Season5.json`, `CsrSeason5-1.json`) or
    as any part of the season id."""
    low = season.strip().lower()
    col = sa.func.lower(mt.season_id)
    if low.isdigit():
        return sa.or_(
            col.like(f"%season{low}.json"), col.like(f"%season{low}-%"), col == f"season{low}"
        )
    return col.contains(low, autoescape=True)


def _joined() -> Any:
    return match_players.join(matches, matches.c.match_id == match_players.c.match_id)


def _where(xuid: int, play: Play, season: str | None) -> list[Any]:
    out = [mp.xuid == xuid, play_filter(play)]
    if season:
        out.append(season_filter(season))
    return out


def _count(cond: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def totals_columns(cols: Any = mp) -> list[Any]:
    """Sums of one player's rows: matches, outcomes, K/D/A and the skill service's
    expectations (summed over the matches that have one; `expected_matches` says how many)."""
    zero = sa.literal(0)
    return [
        sa.func.count().label("matches"),
        _count(cols.outcome == int(Outcome.Win)).label("wins"),
        _count(cols.outcome.in_(LOSS)).label("losses"),
        _count(cols.outcome == int(Outcome.Tie)).label("ties"),
        sa.func.coalesce(sa.func.sum(cols.kills), zero).label("kills"),
        sa.func.coalesce(sa.func.sum(cols.deaths), zero).label("deaths"),
        sa.func.coalesce(sa.func.sum(cols.assists), zero).label("assists"),
        sa.func.sum(cols.expected_kills).label("expected_kills"),
        sa.func.sum(cols.expected_deaths).label("expected_deaths"),
        sa.func.count(cols.expected_kills).label("expected_matches"),
    ]


TOTAL_FIELDS = (
    "matches",
    "wins",
    "losses",
    "ties",
    "kills",
    "deaths",
    "assists",
    "expected_kills",
    "expected_deaths",
    "expected_matches",
)


def _plain(row: Any) -> dict[str, Any]:
    """Row -> dict of Python numbers (PostgreSQL sums come back as Decimal or bigint)."""
    out: dict[str, Any] = {}
    for name, value in row._mapping.items():
        if value is not None and name in TOTAL_FIELDS:
            value = float(value) if name in _FLOATS else int(value)
        out[name] = value
    return out


_FLOATS = frozenset({"expected_kills", "expected_deaths"})


BY_COLUMN = {"mode": "mode_asset_id", "map": "map_asset_id", "playlist": "playlist_asset_id"}


def player_rows(
    target: Conn,
    xuid: int,
    *,
    season: str | None = None,
    between: tuple[datetime, datetime] | None = None,
    only: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Every stored match of a player (of a season, with `season`; started from the first
    to the last time of `between`), oldest first, with what the insights read: the row's
    times, numbers, skill numbers (`PERFORMANCE_COLUMNS`), assets, CSR and
    placements left, the match's season, its `play` (the `play_filter` it falls in: pvp,
    pve or custom), its history `kind` (`type_of`) and whether it `counted` for CSR. One
    read of the player's rows that a page's breakdowns, streaks, CSR history and sessions
    derive from: the row lookups, not the summing, are what a query over a career costs.
    `only` names the columns a caller reads (of those above): a route that shows one
    section reads half the columns, in half the time on SQLite."""
    from halotrack.store.matches import PERFORMANCE_COLUMNS  # it imports this module

    play = sa.case(
        (play_filter("pvp"), sa.literal_column("'pvp'")),
        (play_filter("pve"), sa.literal_column("'pve'")),
        else_=sa.literal_column("'custom'"),
    )
    where = [mp.xuid == xuid] if between is None else _between(xuid, *between)
    if season:
        where.append(season_filter(season))
    columns = [
        mp.match_id,
        mp.start_time,
        mp.end_time,
        *(mp[c] for c in BY_COLUMN.values()),
        mp.game_variant_category,
        mt.season_id,
        *(mp[c] for c in ROW_NUMBERS),
        *(mp[c] for c in PERFORMANCE_COLUMNS if c not in ROW_NUMBERS),
        play.label("play"),
        type_of().label("kind"),
        _counted().label("counted"),
    ]
    if only is not None:
        wanted = set(only)
        columns = [c for c in columns if c.name in wanted]
        if unknown := wanted - {c.name for c in columns}:
            raise ValueError(f"player_rows has no column {sorted(unknown)}")
    q = (
        sa.select(*columns)
        .select_from(_joined())
        .where(*where)
        .order_by(mp.start_time, mp.match_id)
    )
    with _connection(target) as conn:
        result = conn.execute(q)
        keys = list(result.keys())
        return [dict(zip(keys, row, strict=True)) for row in result.all()]


ROW_NUMBERS = (
    "outcome",
    "kills",
    "deaths",
    "assists",
    "expected_kills",
    "expected_deaths",
    "csr_pre",
    "csr_post",
    "csr_pre_matches_remaining",
    "csr_matches_remaining",
)


# ---------------------------------------------------------------------------- sessions


def match_times(
    target: Conn, xuid: int, *, before: tuple[datetime, str] | None = None, limit: int = 200
) -> list[tuple[str, datetime, datetime | None, bool]]:
    """(match id, start, end, matchmade or not) of a player's matches, newest first, after
    the (start, match id) `before` in that order: sessions are cut from these a page at a
    time."""
    q = (
        sa.select(mp.match_id, mp.start_time, mp.end_time, type_filter("matchmaking").label("made"))
        .where(mp.xuid == xuid)
        .order_by(mp.start_time.desc(), mp.match_id.desc())
        .limit(limit)
    )
    if before is not None:
        start, mid = before
        # The first term alone is what an index seeks on (the OR alone is walked from
        # the newest match, page after page).
        q = q.where(
            mp.start_time <= start,
            sa.or_(mp.start_time < start, sa.and_(mp.start_time == start, mp.match_id < mid)),
        )
    with _connection(target) as conn:
        return [(r.match_id, r.start_time, r.end_time, bool(r.made)) for r in conn.execute(q)]


def _ranked_delta() -> Any:
    both = sa.and_(mp.csr_pre.is_not(None), mp.csr_post.is_not(None))
    both = sa.and_(both, mp.csr_pre >= 0, mp.csr_post >= 0)
    return sa.case((both, mp.csr_post - mp.csr_pre), else_=None)


def _between(xuid: int, first: datetime, last: datetime) -> list[Any]:
    return [mp.xuid == xuid, mp.start_time >= first, mp.start_time <= last]


def skill_answers(target: Conn, match_ids: Iterable[str]) -> dict[str, str]:
    """Match id -> the stored skill answer (JSON text) of each of these matches that has one."""
    ids = sorted(set(match_ids))
    out: dict[str, str] = {}
    with _connection(target) as conn:
        for i in range(0, len(ids), 500):
            q = sa.select(mt.match_id, mt.skill_json).where(
                mt.match_id.in_(ids[i : i + 500]), mt.skill_json.is_not(None)
            )
            out.update((r.match_id, r.skill_json) for r in conn.execute(q))
    return out


# ---------------------------------------------------------------------------- mates


def mates(
    target: Conn, xuid: int, *, limit: int = 10, kind: str = "matchmaking"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(same team, other side): the humans most often on the player's team and on the
    other side, with the player's outcomes and K/D/A in those matches of the history type
    `kind`. One self-join of match_players, grouped by (mate, side), each side's first
    `limit` numbered by the database: the pairs are read once for both sides."""
    me = match_players.alias("me")
    other = match_players.alias("other")
    together = sa.and_(me.c.team_id.is_not(None), me.c.team_id == other.c.team_id)
    # Literal SQL, not bound parameters: PostgreSQL matches the GROUP BY by its text.
    side = sa.case((together, sa.literal_column("1")), else_=sa.literal_column("0"))
    pairs = me.join(
        other,
        sa.and_(
            other.c.match_id == me.c.match_id,
            other.c.xuid.is_not(None),
            other.c.xuid != xuid,
        ),
    )
    order = (sa.func.count().desc(), other.c.xuid)
    grouped = (
        sa.select(
            other.c.xuid.label("xuid"),
            side.label("same"),
            *totals_columns(me.c),
            sa.func.row_number().over(partition_by=side, order_by=order).label("place"),
        )
        .select_from(pairs)
        .where(
            me.c.xuid == xuid,
            sa.or_(together, sa.not_(together)),  # a team unknown on one side: neither
            _on(me, type_filter(kind)),
        )
        .group_by(other.c.xuid, side)
        .subquery()
    )
    q = (
        sa.select(grouped)
        .where(grouped.c.place <= limit)
        .order_by(grouped.c.same.desc(), grouped.c.place)
    )
    out: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    with _connection(target) as conn:
        for r in conn.execute(q):
            row = _plain(r)
            out[0 if row.pop("same") else 1].append(row)
            del row["place"]
    return out


def _on(alias: Any, clause: Any) -> Any:
    """A clause on match_players (`type_filter`) for an alias of it."""
    return sa.sql.util.ClauseAdapter(alias).traverse(clause)


# ---------------------------------------------------------------------------- versus


def _pair(xuid: int, other: int) -> tuple[Any, Any, Any, Any, Any]:
    a = match_players.alias("a")
    b = match_players.alias("b")
    joined = a.join(b, b.c.match_id == a.c.match_id)
    same = sa.and_(a.c.team_id.is_not(None), a.c.team_id == b.c.team_id)
    return a, b, joined, sa.and_(a.c.xuid == xuid, b.c.xuid == other), same


def versus(target: Conn, xuid: int, other: int) -> list[dict[str, Any]]:
    """Every stored match both played (any history type), newest first: both rows side by
    side, and the history type of the game (`type`: matchmaking, custom or local)."""
    a, b, joined, where, same = _pair(xuid, other)
    q = (
        sa.select(
            a.c.match_id,
            a.c.start_time,
            a.c.map_asset_id,
            a.c.mode_asset_id,
            a.c.playlist_asset_id,
            a.c.game_variant_category,
            _on(a, type_of()).label("type"),
            same.label("same_team"),
            *(a.c[c].label(f"a_{c}") for c in ("outcome", "kills", "deaths", "assists")),
            *(b.c[c].label(f"b_{c}") for c in ("outcome", "kills", "deaths", "assists")),
        )
        .select_from(joined)
        .where(where)
        .order_by(a.c.start_time.desc(), a.c.match_id)
    )
    with _connection(target) as conn:
        return [dict(r._mapping) | {"same_team": bool(r.same_team)} for r in conn.execute(q)]


def versus_totals(
    target: Conn, xuid: int, other: int, *, kind: str = "matchmaking"
) -> dict[bool, dict[str, Any]]:
    """Same team (True) or not (False) -> the first player's totals in the shared matches
    of the history type `kind`, and the other's kills and deaths."""
    a, b, joined, where, same = _pair(xuid, other)
    q = (
        sa.select(
            same.label("same_team"),
            *totals_columns(a.c),
            sa.func.coalesce(sa.func.sum(b.c.kills), 0).label("other_kills"),
            sa.func.coalesce(sa.func.sum(b.c.deaths), 0).label("other_deaths"),
        )
        .select_from(joined)
        .where(where, _on(a, type_filter(kind)))
        .group_by(same)
    )
    with _connection(target) as conn:
        out = {}
        for r in conn.execute(q):
            row = _plain(r)
            row["other_kills"], row["other_deaths"] = int(r.other_kills), int(r.other_deaths)
            out[bool(r.same_team)] = row
        return out


# ---------------------------------------------------------------------------- CSR


def _counted() -> Any:
    """The match counted for CSR (the SQL of `PlayerMatch.ranked`)."""
    pre, post = mp.csr_pre_matches_remaining, mp.csr_matches_remaining
    return sa.or_(
        sa.and_(mp.csr_post.is_not(None), mp.csr_post >= 0),
        sa.and_(pre.is_not(None), post.is_not(None), post < pre),
    )


def skill_rows(
    target: Conn, xuid: int, *, play: Play = "pvp"
) -> list[tuple[str, datetime, str | None, str]]:
    """(match id, start, playlist asset id, skill JSON) of every match with a skill answer,
    oldest first: the performance trend reads each answer's spread."""
    q = (
        sa.select(mp.match_id, mp.start_time, mp.playlist_asset_id, mt.skill_json)
        .select_from(_joined())
        .where(*_where(xuid, play, None), mt.skill_json.is_not(None))
        .order_by(mp.start_time, mp.match_id)
    )
    with _connection(target) as conn:
        return [tuple(r) for r in conn.execute(q)]


# ---------------------------------------------------------------------------- names


def xuid_by_cached_gamertag(target: Conn, gamertag: str) -> int | None:
    """A player met in matches (not tracked) by the gamertag last looked up for them."""
    from halotrack.store.repository import GAMERTAG_KIND

    q = sa.select(metadata_cache.c.key).where(
        metadata_cache.c.kind == GAMERTAG_KIND,
        sa.func.lower(metadata_cache.c.body) == gamertag.strip().lower(),
    )
    with _connection(target) as conn:
        keys = [r.key for r in conn.execute(q.limit(2))]
    return int(keys[0]) if len(keys) == 1 and keys[0].isdigit() else None
