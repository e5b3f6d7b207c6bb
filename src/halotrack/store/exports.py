"""SQL behind `halotrack export matches`: every stored player row of every match, a page
at a time.

Why pages (keyset, not OFFSET and not one long cursor): an export of a long career must not
hold it in memory, and between pages the use case reads the skill answers and names of the
page's matches on the same connection, which an open streaming cursor would forbid on
some drivers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from halotrack.store.insights import IS_PVE, _ranked_delta
from halotrack.store.matches import NameJoins
from halotrack.store.schema import match_players, matches
from halotrack.store.session import Conn
from halotrack.store.session import connection as _connection

mp = match_players.c
mt = matches.c

PAGE = 500

_ORDER = (mp.start_time, mp.match_id, mp.player_id)


def export_pages(
    target: Conn, xuid: int | None, *, page: int = PAGE
) -> Iterator[list[dict[str, Any]]]:
    """Pages of match player rows (of one player, or of everyone with `xuid` None), oldest
    match first, each row with the match's own facts and the asset names where known."""
    names = NameJoins()
    q = (
        sa.select(
            *(c for c in match_players.c),
            mt.season_id,
            mt.playlist_experience,
            mt.gameplay_interaction,
            mt.teams_enabled,
            mt.player_count,
            mt.human_count,
            *names.columns(),
            IS_PVE.label("pve"),
            _ranked_delta().label("csr_delta"),
        )
        .select_from(names.join(match_players.join(matches, mt.match_id == mp.match_id)))
        .order_by(*_ORDER)
        .limit(page)
    )
    if xuid is not None:
        q = q.where(mp.xuid == xuid)
    after: tuple[Any, ...] | None = None
    while True:
        step = q if after is None else q.where(sa.tuple_(*_ORDER) > after)
        with _connection(target) as conn:
            rows = [dict(r._mapping) for r in conn.execute(step)]
        if not rows:
            return
        yield rows
        if len(rows) < page:
            return
        last = rows[-1]
        after = (last["start_time"], last["match_id"], last["player_id"])


def export_size(target: Conn, xuid: int | None) -> int:
    """How many rows `export_pages` yields: the progress bar's total."""
    q = sa.select(sa.func.count()).select_from(match_players)
    if xuid is not None:
        q = q.where(mp.xuid == xuid)
    with _connection(target) as conn:
        return int(conn.execute(q).scalar_one())
