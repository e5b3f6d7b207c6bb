"""The site's pages, rendered on the server: they work without script.

Extension point: `PAGES` lists the page routes; the insights (breakdowns, sessions, mates)
add theirs there, each a handler that reads through `halotrack.site.data`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from litestar import MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from halotrack.errors import ConfigError, Unknown
from halotrack.report.build import build_page_data
from halotrack.report.insights import PageInsights, read_insights
from halotrack.report.render import assets, content_security_policy, render_page
from halotrack.site import data
from halotrack.site.common import (
    board_of,
    find,
    insights_of,
    now_of,
    open_of,
    store_of,
    xuid_in_path,
)
from halotrack.site.opening import OpenSearch
from halotrack.site.render import page_csp, render
from halotrack.store import Scope, StoreReader
from halotrack.store.site import stored_players
from halotrack.waypoint.players import parse_player

PAGE_SIZE = 50


def html(text: str, *, status: int = 200, csp: str | None = None) -> Response[str]:
    return Response(
        text,
        status_code=status,
        media_type=MediaType.HTML,
        headers={"Content-Security-Policy": csp or page_csp(), "Cache-Control": "no-store"},
    )


def missing(
    message: str, *, hint: str | None = None, status: int = 404, title: str = "Not found"
) -> Response[str]:
    page = render("missing.html.j2", message=message, hint=hint, title=title)
    return html(page, status=status)


def being_fetched(xuid: int, gamertag: str, *, status: int = 200) -> Response[str]:
    """A watched player with nothing stored yet: the tracker fetches them on its next round."""
    return html(render("queued.html.j2", xuid=str(xuid), gamertag=gamertag), status=status)


@get("/", sync_to_thread=True, include_in_schema=False)
def home(
    state: State,
    period: FromQuery[Literal["week", "season", "all"]] = "week",
    sort: FromQuery[str] = "kd",
    page: FromQuery[int] = 1,
) -> Response[str]:
    board = board_of(state).get(store_of(state), period=period, sort=sort, now=now_of(state))
    page = max(1, page)
    offset = (page - 1) * PAGE_SIZE
    sorts = [(f"csr:{p.id}", f"{p.name} CSR") for p in board.playlists] + [
        ("kd", "K/D"),
        ("win_rate", "Win rate"),
        ("matches", "Matches"),
        ("vs_expected", "Vs expected"),
        ("matches_week", "This week"),
        ("gamertag", "Gamertag"),
    ]
    sort_words = dict(sorts).get(board.sort, board.sort)
    return html(
        render(
            "leaderboard.html.j2",
            b=board,
            rows=board.rows[offset : offset + PAGE_SIZE],
            offset=offset,
            page=page,
            periods=data.PERIODS,
            sort_words=sort_words,
            sorts=sorts,
        )
    )


def _player_html(state: State, xuid: int, now: datetime) -> str:
    """The stats page (report/), with the site's own section of mates linked to their pages
    added at the end of its main column: the same mates the stats page read (its insight
    sections), not a second read of them. The sections come from the app's InsightCache:
    a page visited again before the player has a new match sums nothing."""
    store = store_of(state)
    cache = insights_of(state)

    def sections(tx: StoreReader, x: int, label: Callable[[str], str]) -> PageInsights | None:
        return cache.within(tx, x, ("page",), lambda t: read_insights(t, x, label))

    page_data = build_page_data(store, xuid, now=now, insights=sections)
    text = render_page(page_data, home_url="/", match_url="/match/")
    if page_data.insights is None:
        return text
    mates = page_data.insights.mates
    shown = mates.teammates + mates.opponents
    if not shown:
        return text
    linked = stored_players(store, (m.xuid for m in shown))
    section = render(
        "player_mates.html.j2",
        xuid=str(xuid),
        gamertag=page_data.player.gamertag,
        sides=[("Same team", "team", mates.teammates), ("Other side", "other", mates.opponents)],
        linked=linked,
        open=open_of(state) is not None,
    )
    head, sep, tail = text.rpartition("</main>")
    return head + section + sep + tail if sep else text


@get("/player/{xuid:str}", sync_to_thread=True, include_in_schema=False)
def player(state: State, xuid: FromPath[str]) -> Response[str]:
    x = xuid_in_path(xuid)
    if x is None:
        return missing(f"{xuid} is not a XUID.")
    with store_of(state).reader() as tx:
        watched = tx.watch_get(x)
        pending = (
            watched is not None
            and watched.last_checked_at is None
            and tx.latest_record(x, "matchmade", Scope()) is None
        )
    if watched is not None and pending:
        return being_fetched(x, watched.gamertag or str(x))
    try:
        text = _player_html(state, x, now_of(state))
    except Unknown:
        return missing(f"No player with XUID {x} in this database.")
    a = assets()
    return html(text, csp=content_security_policy(a.uplot_js, a.page_js, forms=True))


@get("/match/{match_id:str}", sync_to_thread=True, include_in_schema=False)
def match(state: State, match_id: FromPath[str]) -> Response[str]:
    store = store_of(state)
    view = data.match_view(store, match_id)
    if view is None:
        return missing("No such match in this database.")
    shown = [int(line.xuid) for t in view.teams for line in t.players if line.xuid is not None]
    linked = {str(x) for x in stored_players(store, shown)}
    return html(render("match.html.j2", m=view, linked=linked))


@get("/search", sync_to_thread=True, include_in_schema=False)
def search(
    state: State, request: Request[Any, Any, Any], q: FromQuery[str] = ""
) -> Response[str] | Redirect:
    """A stored player's page; with `--open`, an unknown one is looked up and watched."""
    found = find(store_of(state), q) if q.strip() else None
    if found is not None:
        return Redirect(f"/player/{found.xuid}", status_code=303)
    opened = open_of(state)
    if opened is None or not q.strip():
        return missing(
            "No player by that gamertag or XUID in this database.",
            hint="This site shows the players it tracks; whoever runs it adds more with "
            "`halotrack watch add`.",
        )
    return _queue(opened, request, q.strip())


def _queue(opened: OpenSearch, request: Request[Any, Any, Any], q: str) -> Response[str]:
    """Validate first (nothing malformed reaches the store or the API), then spend one of
    the client's lookups."""
    try:
        parse_player(q)
    except ConfigError as exc:
        return missing(f"{exc.message}.", status=400, title="Not a gamertag")
    client = request.client.host if request.client is not None else "unknown"
    wait = opened.budget.take(client)
    if wait:
        page = missing(
            "This browser has looked up enough new players for now.",
            hint=f"Try again in {(wait + 59) // 60} minutes, or search for a player "
            "already on the leaderboard.",
            status=429,
            title="Too many new players",
        )
        page.headers["Retry-After"] = str(wait)
        return page
    queued = opened.enqueue(q)
    if queued.xuid is None or queued.error is not None:
        return missing(f"Halo Waypoint found no player {q!r}: {queued.error or 'no XUID'}.")
    return being_fetched(queued.xuid, queued.gamertag or q, status=202)


@get("/vs", sync_to_thread=True, include_in_schema=False)
def versus(state: State, a: FromQuery[str] = "", b: FromQuery[str] = "") -> Response[str]:
    store = store_of(state)
    pa, pb = find(store, a), find(store, b)
    if pa is None or pb is None:
        return missing("Head-to-head needs two players stored in this database.")
    return html(render("h2h.html.j2", h=data.head_to_head(store, pa, pb)))


PAGES: list[HTTPRouteHandler] = [home, player, match, search, versus]
