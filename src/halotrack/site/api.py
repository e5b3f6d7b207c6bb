"""The JSON API under /api/v1/: the data of every page, with pagination on lists. Litestar
derives the OpenAPI document (/api/v1/openapi.json) from these signatures and Structs.

Extension point: `ROUTES` lists the API handlers; the insights add theirs there.
"""

from __future__ import annotations

import csv
import io
import urllib.parse
from collections.abc import Callable
from typing import Annotated, Any, Concatenate, Literal, ParamSpec, TypeVar

import msgspec
from litestar import MediaType, Request, Response, Router, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter

from halotrack.models.enums import HistoryType
from halotrack.report.data import ListedMatch
from halotrack.site import data
from halotrack.site.common import board_of, insights_of, now_of, store_of, xuid_in_path
from halotrack.site.http import etag_middleware
from halotrack.store import StoreReader
from halotrack.store.insights import Play
from halotrack.usecases import insights

Offset = Annotated[int, Parameter(ge=0, le=10_000_000, description="rows to skip")]
Limit = Annotated[int, Parameter(ge=1, le=200, description="rows to return")]
P = ParamSpec("P")
T = TypeVar("T")
CSV_PER_MINUTE = 6
"""CSV exports per client per minute: a full export reads every stored match of a player."""


class PlayerList(msgspec.Struct, frozen=True):
    total: int
    offset: int
    limit: int
    items: list[data.PlayerRef]


class LeaderboardPage(msgspec.Struct, frozen=True):
    total: int
    offset: int
    limit: int
    board: data.Leaderboard


def _xuid(text: str) -> int:
    x = xuid_in_path(text)
    if x is None:
        raise NotFoundException(f"{text} is not a XUID")
    return x


def _player(state: State, text: str) -> int:
    x = _xuid(text)
    with store_of(state).reader() as tx:
        if tx.get_player(x) is None:
            raise NotFoundException(f"no player with XUID {x} in this database")
    return x


def _insight(
    state: State,
    xuid: str,
    use_case: Callable[Concatenate[StoreReader, str, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """An insight route's answer: the player of the path, through the app's cache."""
    x = _player(state, xuid)
    return data.answer(store_of(state), x, insights_of(state), use_case, *args, **kwargs)


@get("/players", sync_to_thread=True)
def players(state: State, offset: Offset = 0, limit: Limit = 50) -> PlayerList:
    """Stored players by gamertag."""
    with store_of(state).reader() as tx:
        everyone = tx.list_players()
    items = [data.PlayerRef(str(p.xuid), p.gamertag or str(p.xuid)) for p in everyone]
    return PlayerList(len(items), offset, limit, items[offset : offset + limit])


@get("/players/{xuid:str}", sync_to_thread=True, raises=[NotFoundException])
def player(state: State, xuid: FromPath[str]) -> data.PlayerView:
    """A player's names, lifetime record and current CSR."""
    view = data.player_view(store_of(state), _xuid(xuid))
    if view is None:
        raise NotFoundException(f"no player with XUID {xuid} in this database")
    return view


@get("/players/{xuid:str}/records", sync_to_thread=True, raises=[NotFoundException])
def records(state: State, xuid: FromPath[str]) -> list[data.RecordPoint]:
    """The lifetime matchmade service record's snapshots, oldest first."""
    return data.record_history(store_of(state), _player(state, xuid))


@get("/players/{xuid:str}/csr", sync_to_thread=True, raises=[NotFoundException])
def csr(state: State, xuid: FromPath[str]) -> list[data.CsrPoint]:
    """CSR snapshots, oldest first."""
    return data.csr_history(store_of(state), _player(state, xuid))


Cursor = Annotated[
    str | None,
    Parameter(
        max_length=200,
        description="where a page starts: the `next_cursor` of the page before (instead of "
        "offset; matches stored since never shift it)",
    ),
]


@get(
    "/players/{xuid:str}/matches",
    sync_to_thread=True,
    raises=[NotFoundException, ValidationException],
)
def player_matches(
    state: State,
    xuid: FromPath[str],
    offset: Offset = 0,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> data.MatchPage:
    """A page of the player's stored matches, newest first. Follow `next` (a cursor) to
    page through them all: unlike an offset, it neither repeats nor skips a match when
    new ones are stored meanwhile."""
    x = _player(state, xuid)
    after = None
    if cursor is not None:
        after = data.parse_cursor(cursor)
        if after is None:
            raise ValidationException("cursor is not one this API gave")
        if offset:
            raise ValidationException("give cursor or offset, not both")
    page = data.matches_page(store_of(state), x, offset=offset, limit=limit, after=after)
    if page.next_cursor is None:
        return page
    query = urllib.parse.urlencode({"limit": limit, "cursor": page.next_cursor})
    return msgspec.structs.replace(page, next=f"/api/v1/players/{x}/matches?{query}")


CSV_FIELDS = [f for f in ListedMatch.__struct_fields__]
csv_limit = RateLimitConfig(rate_limit=("minute", CSV_PER_MINUTE))


@get(
    "/players/{xuid:str}/matches.csv",
    sync_to_thread=True,
    media_type="text/csv",
    raises=[NotFoundException],
    middleware=[csv_limit.middleware],
    responses={429: ResponseSpec(None, description="too many exports from this client")},
)
def player_matches_csv(state: State, xuid: FromPath[str]) -> Response[str]:
    """Every stored match of the player as CSV; limited per client."""
    x = _player(state, xuid)
    page = data.matches_page(store_of(state), x, offset=0, limit=10_000_000)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for m in page.items:
        row = msgspec.to_builtins(m)
        writer.writerow([_cell(row[f]) for f in CSV_FIELDS])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="matches-{x}.csv"'},
    )


def _cell(value: object) -> object:
    """No cell starts a spreadsheet formula (a map or mode name is anyone's text)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


@get("/matches/{match_id:str}", sync_to_thread=True, raises=[NotFoundException])
def match(state: State, match_id: FromPath[str]) -> data.MatchView:
    """A stored match's scoreboard by team."""
    view = data.match_view(store_of(state), match_id)
    if view is None:
        raise NotFoundException("no such match in this database")
    return view


@get("/leaderboard", sync_to_thread=True)
def leaderboard(
    state: State,
    period: FromQuery[Literal["week", "season", "all"]] = "week",
    sort: FromQuery[str] = "kd",
    offset: Offset = 0,
    limit: Limit = 50,
) -> LeaderboardPage:
    """Watched players over a period; `sort` is kd, win_rate, matches, matches_week,
    vs_expected, gamertag or csr:<playlist id> (unknown keys sort by kd)."""
    board = board_of(state).get(store_of(state), period=period, sort=sort, now=now_of(state))
    rows = board.rows[offset : offset + limit]
    return LeaderboardPage(
        len(board.rows), offset, limit, msgspec.structs.replace(board, rows=rows)
    )


@get("/players/{xuid:str}/sessions", sync_to_thread=True, raises=[NotFoundException])
def sessions(
    state: State,
    xuid: FromPath[str],
    last: Annotated[int, Parameter(ge=1, le=50, description="how many sessions")] = 5,
) -> list[insights.Session]:
    """The newest sessions (matches less than an hour apart), newest first: per playlist
    totals and CSR change, PvP and PvE apart, the best match."""
    return _insight(state, xuid, insights.sessions, last=last)


@get("/players/{xuid:str}/breakdown", sync_to_thread=True, raises=[NotFoundException])
def breakdown(
    state: State,
    xuid: FromPath[str],
    by: FromQuery[Literal["mode", "map", "playlist"]] = "mode",
    play: FromQuery[Play] = "pvp",
) -> insights.Breakdown:
    """The player's stored matches grouped by mode, map or playlist; rows sum to `total`."""
    return _insight(state, xuid, insights.breakdown, by, play=play)


@get("/players/{xuid:str}/streaks", sync_to_thread=True, raises=[NotFoundException])
def streaks(state: State, xuid: FromPath[str], play: FromQuery[Play] = "pvp") -> insights.Streaks:
    """Current and longest runs of wins, losses and matches with more kills than deaths."""
    return _insight(state, xuid, insights.streaks, play=play)


@get("/players/{xuid:str}/mates", sync_to_thread=True, raises=[NotFoundException])
def mates(
    state: State,
    xuid: FromPath[str],
    limit: Annotated[int, Parameter(ge=1, le=50, description="players per side")] = 10,
    kind: Annotated[
        HistoryType, QueryParameter(name="type", description="matchmaking, custom, local or all")
    ] = "matchmaking",
) -> insights.Mates:
    """The players most often on the same team and on the other side, in matchmade games
    unless `type` asks for custom, local (LAN) or all games."""
    return _insight(state, xuid, insights.mates, limit=limit, kind=kind)


@get("/players/{xuid:str}/csr/matches", sync_to_thread=True, raises=[NotFoundException])
def csr_matches(state: State, xuid: FromPath[str]) -> insights.CsrHistory:
    """CSR per ranked playlist and season (end and max), the all-time max, and CSR after
    every counted match, from the stored skill answers."""
    return _insight(state, xuid, insights.csr_history)


ROUTES: list[HTTPRouteHandler] = [
    players,
    player,
    records,
    csr,
    player_matches,
    player_matches_csv,
    match,
    leaderboard,
    sessions,
    breakdown,
    streaks,
    mates,
    csr_matches,
]


def _not_found(_request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any]:
    """JSON on every route, the CSV one included (its 200 is text/csv, its 404 is not)."""
    return Response(
        {"status_code": 404, "detail": exc.detail},
        status_code=404,
        media_type=MediaType.JSON,
    )


def router() -> Router:
    return Router(
        path="/api/v1",
        route_handlers=ROUTES,
        exception_handlers={NotFoundException: _not_found},
        middleware=[etag_middleware],
        response_headers={"Cache-Control": "no-cache"},
    )
