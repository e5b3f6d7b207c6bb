"""SQL behind the notification events (issue 16): the outbox insert and the reads that decide
what is worth telling.

Why a module of its own: the event derivation (`halotrack.usecases.events`) runs inside the
tracker's write transactions, so each function here takes that transaction (or any `Conn`)
and adds no unit of its own. The insert ignores a conflict on `event_id`: an event's id is
derived from its cause, so a re-run cycle, a restart or a second worker writes it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from itertools import pairwise
from typing import Any

import sqlalchemy as sa

from halotrack.store.insights import play_filter
from halotrack.store.schema import csr_snapshots, gamertags, match_players, matches, notify_events
from halotrack.store.session import Conn, insert_ignore
from halotrack.store.session import connection as _connection

ne = notify_events.c
cs = csr_snapshots.c
mp = match_players.c


def insert_event(target: Conn, values: Mapping[str, Any]) -> bool:
    """Add one event unless its `event_id` is stored already; True when it was added."""
    with _connection(target) as conn:
        return insert_ignore(conn, notify_events, values)


def existing_ids(target: Conn, event_ids: Iterable[str]) -> set[str]:
    """Which of these event ids are stored."""
    ids = sorted(set(event_ids))
    out: set[str] = set()
    with _connection(target) as conn:
        for i in range(0, len(ids), 500):
            rows = conn.execute(sa.select(ne.event_id).where(ne.event_id.in_(ids[i : i + 500])))
            out.update(r.event_id for r in rows)
    return out


def newest_events(target: Conn, limit: int, xuid: int | None = None) -> list[dict[str, Any]]:
    """The newest `limit` events (of one player), newest first."""
    q = sa.select(notify_events).order_by(ne.seq.desc()).limit(limit)
    if xuid is not None:
        q = q.where(ne.xuid == xuid)
    with _connection(target) as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def last_two_csr(
    target: Conn, xuid: int, playlist_id: str, csr_season_id: str
) -> list[dict[str, Any]]:
    """The newest CSR snapshot of a slice and the one before it, newest first."""
    q = (
        sa.select(
            cs.captured_at,
            cs.current_value,
            cs.current_tier,
            cs.current_sub_tier,
            cs.matches_remaining,
        )
        .where(
            cs.xuid == xuid,
            cs.playlist_id == playlist_id.lower(),
            cs.csr_season_id == csr_season_id,
        )
        .order_by(cs.captured_at.desc())
        .limit(2)
    )
    with _connection(target) as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def csr_seasons_before(target: Conn, xuid: int, before: datetime) -> set[str]:
    """CSR seasons of a player's snapshots captured before `before`."""
    q = sa.select(cs.csr_season_id).where(cs.xuid == xuid, cs.captured_at < before).distinct()
    with _connection(target) as conn:
        return {r.csr_season_id for r in conn.execute(q)}


def gamertag_changes(target: Conn, xuid: int) -> list[tuple[str, str, datetime]]:
    """(old, new, when first seen as new) for each change in a player's gamertag history."""
    q = (
        sa.select(gamertags.c.gamertag, gamertags.c.first_seen_at)
        .where(gamertags.c.xuid == xuid)
        .order_by(gamertags.c.first_seen_at, gamertags.c.id)
    )
    with _connection(target) as conn:
        rows = list(conn.execute(q))
    return [
        (a.gamertag, b.gamertag, b.first_seen_at)
        for a, b in pairwise(rows)
        if a.gamertag != b.gamertag
    ]


_PVP = (
    sa.select(
        mp.match_id,
        mp.start_time,
        mp.outcome,
        mp.kills,
        mp.deaths,
        mp.assists,
        mp.map_asset_id,
        mp.mode_asset_id,
        mp.playlist_asset_id,
    )
    .select_from(match_players.join(matches, matches.c.match_id == mp.match_id))
    .where(mp.xuid == sa.bindparam("xuid"), play_filter("pvp"))
    .order_by(mp.start_time, mp.match_id)
)
_PVP_AFTER = _PVP.where(
    mp.start_time >= sa.bindparam("start"),  # a range on the (xuid, start_time) index
    sa.or_(mp.start_time > sa.bindparam("start"), mp.match_id > sa.bindparam("mid")),
)


def pvp_matches(
    target: Conn, xuid: int, *, after: tuple[datetime, str] | None = None
) -> list[dict[str, Any]]:
    """A player's headline (PvP) matches, oldest first, after the (start, match id) `after`
    in that order: what a personal best is measured against (a Firefight's kills never
    set one). Built once: the tracker runs it for each player who played."""
    with _connection(target) as conn:
        if after is None:
            rows = conn.execute(_PVP, {"xuid": xuid})
        else:
            rows = conn.execute(_PVP_AFTER, {"xuid": xuid, "start": after[0], "mid": after[1]})
        return [dict(r._mapping) for r in rows]
