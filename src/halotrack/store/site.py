"""Read queries for the community site: the leaderboard, a page of a player's matches, and
the matches two players shared.

Why a module of its own: each query reads only what a page shows (a page of rows, the
watched players' aggregates), through the indexes the match tables already have, so the
site stays fast as the database grows; the tracker's queries stay untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from halotrack.models.enums import Outcome
from halotrack.store.insights import type_filter
from halotrack.store.schema import (
    csr_snapshots,
    match_players,
    matches,
    players,
    service_records,
)
from halotrack.store.session import Conn
from halotrack.store.session import connection as _connection


@dataclass(frozen=True, slots=True)
class Totals:
    """A player's match totals over a period. `above_expected` sums, over the `expected`
    matches that have a skill answer, (kills - expected kills) - (deaths - expected deaths)."""

    matches: int
    wins: int
    kills: int
    deaths: int
    expected: int = 0
    above_expected: float = 0.0


def match_totals(target: Conn, xuids: Sequence[int], since: datetime) -> dict[int, Totals]:
    """Totals per player over the stored matchmade matches started at or after `since`
    (custom and local games never count in the leaderboard)."""
    if not xuids:
        return {}
    mp = match_players.c
    q = (
        sa.select(
            mp.xuid,
            sa.func.count().label("matches"),
            sa.func.sum(sa.case((mp.outcome == int(Outcome.Win), 1), else_=0)).label("wins"),
            sa.func.sum(mp.kills).label("kills"),
            sa.func.sum(mp.deaths).label("deaths"),
            sa.func.count(mp.expected_kills).label("expected"),
            sa.func.sum((mp.kills - mp.expected_kills) - (mp.deaths - mp.expected_deaths)).label(
                "above"
            ),
        )
        .where(mp.xuid.in_(list(xuids)), mp.start_time >= since, type_filter("matchmaking"))
        .group_by(mp.xuid)
    )
    with _connection(target) as conn:
        return {
            int(r.xuid): Totals(
                int(r.matches),
                int(r.wins),
                int(r.kills),
                int(r.deaths),
                int(r.expected),
                float(r.above or 0.0),
            )
            for r in conn.execute(q)
        }


def lifetime_totals(target: Conn, xuids: Sequence[int]) -> dict[int, Totals]:
    """Totals from each player's newest matchmade lifetime service record: the game's own
    all-time numbers, complete even where match history was never synced."""
    if not xuids:
        return {}
    sr = service_records.c
    slice_ = sa.and_(sr.kind == "matchmade", sr.scope_key == "lifetime")
    newest = (
        sa.select(sr.xuid, sa.func.max(sr.captured_at).label("at"))
        .where(slice_, sr.xuid.in_(list(xuids)))
        .group_by(sr.xuid)
        .subquery()
    )
    q = sa.select(sr.xuid, sr.matches_completed, sr.wins, sr.kills, sr.deaths).join(
        newest, sa.and_(sr.xuid == newest.c.xuid, sr.captured_at == newest.c.at)
    )
    with _connection(target) as conn:
        q = q.where(slice_)
        return {
            int(r.xuid): Totals(r.matches_completed or 0, r.wins or 0, r.kills or 0, r.deaths or 0)
            for r in conn.execute(q)
        }


def current_csr(target: Conn, xuids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Each player's newest CSR value per playlist (unranked readings left out)."""
    if not xuids:
        return {}
    cs = csr_snapshots.c
    newest = (
        sa.select(cs.xuid, cs.playlist_id, sa.func.max(cs.captured_at).label("at"))
        .where(cs.xuid.in_(list(xuids)))
        .group_by(cs.xuid, cs.playlist_id)
        .subquery()
    )
    q = sa.select(cs.xuid, cs.playlist_id, cs.current_value).join(
        newest,
        sa.and_(
            cs.xuid == newest.c.xuid,
            cs.playlist_id == newest.c.playlist_id,
            cs.captured_at == newest.c.at,
        ),
    )
    out: dict[int, dict[str, int]] = {}
    with _connection(target) as conn:
        for r in conn.execute(q):
            if r.current_value is not None and r.current_value >= 0:
                out.setdefault(int(r.xuid), {})[r.playlist_id] = int(r.current_value)
    return out


def season_start(target: Conn) -> datetime | None:
    """When the season of the newest stored match began: its first stored match (custom and
    local games have no season)."""
    with _connection(target) as conn:
        newest = conn.execute(
            sa.select(matches.c.season_id)
            .where(matches.c.season_id.is_not(None))
            .order_by(matches.c.start_time.desc())
            .limit(1)
        ).first()
        if newest is None or newest.season_id is None:
            return None
        return conn.execute(
            sa.select(sa.func.min(matches.c.start_time)).where(
                matches.c.season_id == newest.season_id
            )
        ).scalar()


def player_match_total(target: Conn, xuid: int) -> int:
    """How many stored matches a player played (for pagination)."""
    with _connection(target) as conn:
        q = sa.select(sa.func.count()).where(match_players.c.xuid == xuid)
        return int(conn.execute(q).scalar() or 0)


def player_stamp(target: Conn, xuid: int) -> tuple[int, datetime | None]:
    """(how many stored matches, the newest one's start) of a player: changes whenever a
    match of theirs is stored, and reads only the player's index entries."""
    mp = match_players.c
    with _connection(target) as conn:
        q = sa.select(sa.func.count(), sa.func.max(mp.start_time)).where(mp.xuid == xuid)
        count, newest = conn.execute(q).one()
        return int(count or 0), newest


@dataclass(frozen=True, slots=True)
class SharedMatch:
    """A match two players both played, with each one's line."""

    match_id: str
    start_time: datetime
    same_team: bool
    a_outcome: int | None
    b_outcome: int | None
    a_kills: int
    a_deaths: int
    b_kills: int
    b_deaths: int


def shared_matches(target: Conn, a: int, b: int, *, limit: int = 50) -> list[SharedMatch]:
    """The newest matches both players played, newest first."""
    pa, pb = match_players.alias("pa"), match_players.alias("pb")
    q = (
        sa.select(
            pa.c.match_id,
            pa.c.start_time,
            pa.c.team_id.label("a_team"),
            pb.c.team_id.label("b_team"),
            pa.c.outcome.label("a_outcome"),
            pb.c.outcome.label("b_outcome"),
            pa.c.kills.label("a_kills"),
            pa.c.deaths.label("a_deaths"),
            pb.c.kills.label("b_kills"),
            pb.c.deaths.label("b_deaths"),
        )
        .join(pb, pb.c.match_id == pa.c.match_id)
        .where(pa.c.xuid == a, pb.c.xuid == b)
        .order_by(pa.c.start_time.desc(), pa.c.match_id)
        .limit(limit)
    )
    with _connection(target) as conn:
        return [
            SharedMatch(
                match_id=r.match_id,
                start_time=r.start_time,
                same_team=r.a_team is not None and r.a_team == r.b_team,
                a_outcome=r.a_outcome,
                b_outcome=r.b_outcome,
                a_kills=r.a_kills,
                a_deaths=r.a_deaths,
                b_kills=r.b_kills,
                b_deaths=r.b_deaths,
            )
            for r in conn.execute(q)
        ]


def stored_players(target: Conn, xuids: Iterable[int]) -> set[int]:
    """Which of these players have a page (a row in `players`): one query for a scoreboard
    or a list of mates, instead of one per name."""
    wanted = sorted(set(xuids))
    if not wanted:
        return set()
    q = sa.select(players.c.xuid).where(players.c.xuid.in_(wanted))
    with _connection(target) as conn:
        return {int(x) for x in conn.execute(q).scalars()}
