"""The aiohttp application: every Waypoint host under `/<host>/...`, auth, faults, control.

Why: a client switches to the simulator by changing its root URL only; it then meets the real
API's paths, statuses, auth rules and failure modes, on a clock the test controls.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import os
import re
import secrets
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import msgspec
from aiohttp import hdrs, web

from halotrack.models.enums import GameplayInteraction
from halotrack.models.hosts import IDENTITY_HOSTS, WAYPOINT_HOSTS
from halotrack.simulator import datacontract, extras, views
from halotrack.simulator.faults import Faults
from halotrack.simulator.formats import timestamp, to_ms
from halotrack.simulator.limits import RateLimits, retry_after
from halotrack.simulator.png import sprite_sheet
from halotrack.simulator.world import (
    GUEST_BASE,
    LIFECYCLE_CUSTOM,
    LIFECYCLE_LOCAL,
    LIFECYCLE_MATCHMADE,
    Filters,
    SimPlayer,
    World,
)

SPARTAN_HEADER = "x-343-authorization-spartan"
CLEARANCE_HEADER = "343-clearance"
TOKEN_LIFETIME = timedelta(hours=4)
MAX_PAGE = 25
# Match history `type`, by name or by its number (the index here), as clients send either.
MATCH_TYPES = ("all", "matchmaking", "custom", "local")

Plugin = Callable[[web.Application, "SimState"], None]
Handler = Callable[[web.Request, "Call"], Awaitable[web.StreamResponse]]

_encode = msgspec.json.Encoder().encode
_SERVICE_BY_HOST = {h: s for s, h in {**WAYPOINT_HOSTS, **IDENTITY_HOSTS}.items()}


class ApiFailure(Exception):
    """Stop a handler with a status (and optional body), as the real service would."""

    def __init__(self, status: int, body: bytes = b"") -> None:
        super().__init__(status)
        self.status = status
        self.body = body


@dataclass
class Call:
    """What the dispatcher found: the endpoint, captured path parts, the caller's XUID."""

    endpoint: str
    params: dict[str, str]
    xuid: int | None


class SimState:
    """Mutable server state: world, issued tokens, faults, counters, request log."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.clearance_id = world.clearance_id
        self.faults = Faults()
        self.limits = RateLimits()
        self._tokens: dict[str, tuple[int, int]] = {}
        self.by_endpoint: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.by_endpoint_status: Counter[str] = Counter()
        self.log: deque[dict[str, Any]] = deque(maxlen=20_000)
        self.match_cache: OrderedDict[str, bytes] = OrderedDict()
        self._static: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}

    # ---------------------------------------------------------------- tokens
    def issue_spartan_token(self, xuid: int | str) -> tuple[str, datetime]:
        """A fresh opaque Spartan token for a world player, valid 4 h of simulated time."""
        x = int(str(xuid).removeprefix("xuid(").removesuffix(")"))
        expires = self.world.clock.now() + TOKEN_LIFETIME
        # HALOTRACK_SIM_TOKEN_PREFIX marks every token (a canary the test suite hunts for).
        token = "v4=" + os.environ.get("HALOTRACK_SIM_TOKEN_PREFIX", "") + secrets.token_urlsafe(48)
        self._tokens[token] = (x, to_ms(expires))
        return token, expires

    def token_xuid(self, token: str | None) -> int | None:
        """The XUID behind a valid, unexpired token; None otherwise."""
        if not token:
            return None
        hit = self._tokens.get(token)
        if hit is None or hit[1] <= self.world.clock.now_ms():
            return None
        return hit[0]

    # ---------------------------------------------------------------- stats
    def count(self, endpoint: str, status: int, method: str, path: str, query: str) -> None:
        self.by_endpoint[endpoint] += 1
        self.by_status[status] += 1
        self.by_endpoint_status[f"{endpoint} {status}"] += 1
        self.log.append({"method": method, "path": path, "query": query, "status": status})

    def stats(self) -> dict[str, Any]:
        return {
            "total": sum(self.by_endpoint.values()),
            "by_endpoint": dict(self.by_endpoint),
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "by_endpoint_status": dict(self.by_endpoint_status),
            "process_cpu_seconds": time.process_time(),
            **self.limits.stats(),
        }

    def reset_stats(self) -> None:
        self.by_endpoint.clear()
        self.by_status.clear()
        self.by_endpoint_status.clear()
        self.log.clear()
        self.limits.reset_stats()

    def static(self, key: str, build: Callable[[], bytes]) -> bytes:
        body = self._static.get(key)
        if body is None:
            body = self._static[key] = build()
        return body


SIM_STATE = web.AppKey("sim_state", SimState)
ENDPOINT = web.RequestKey("sim_endpoint", str)


# ------------------------------------------------------------------------- helpers
def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=_encode(data), status=status, content_type="application/json")


def _raw(body: bytes, content_type: str = "application/json") -> web.Response:
    return web.Response(body=body, content_type=content_type)


def _maybe_xml(request: web.Request, root: str, body: bytes) -> web.Response:
    """The JSON body, or its XML form (enum values by name) when the caller asks for XML."""
    if datacontract.wants_xml(request.headers.get("Accept", "")):
        request[ENDPOINT] = request[ENDPOINT] + ".xml"  # counted apart in /_sim/stats
        return _raw(datacontract.to_xml(root, msgspec.json.decode(body)), datacontract.XML_TYPE)
    return _raw(body)


def _cached(p: SimPlayer, key: Any, build: Callable[[], Any]) -> bytes:
    """The player's encoded answer for `key`, built once (the world does not change)."""
    body = p.cache.get(key)
    if body is None:
        body = p.cache[key] = _encode(build())
    return body


def _player(world: World, ident: str, *, xuid_only: bool = False) -> SimPlayer:
    low = ident.lower()
    if low.startswith("xuid("):
        digits = low[5:-1] if low.endswith(")") else ""
        if not digits.isdigit() or len(digits) > 20:
            raise ApiFailure(400)
        p = world.by_xuid.get(int(digits))
    elif xuid_only or low.startswith("bid("):
        raise ApiFailure(400)
    else:
        p = world.by_tag.get(low)
    if p is None:
        raise ApiFailure(404)
    return p


def _int(value: str | None, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiFailure(400) from None


# ------------------------------------------------------------------------- handlers
def _state(request: web.Request) -> SimState:
    state: SimState = request.app[SIM_STATE]
    return state


async def h_service_record(request: web.Request, call: Call) -> web.StreamResponse:
    state = _state(request)
    world = state.world
    p = _player(world, call.params["player"])
    kind = call.params["kind"].lower()
    q = request.query
    f = Filters(
        lifecycle={
            "matchmade": LIFECYCLE_MATCHMADE,
            "custom": LIFECYCLE_CUSTOM,
            "local": LIFECYCLE_LOCAL,
        }[kind]
    )
    f.season = q.get("seasonId") or None
    if kind == "matchmade":
        if q.get("gameVariantCategory"):
            f.category = _int(q["gameVariantCategory"], 0, "gameVariantCategory")
        if q.get("isRanked"):
            val = q["isRanked"].lower()
            if val not in ("true", "false"):
                raise ApiFailure(400)
            f.ranked = val == "true"
        f.playlist = q.get("playlistAssetId") or None
        gi = q.get("gameplayInteraction")
        if gi:
            if gi.isdigit():
                f.interaction = int(gi)
            else:
                names = {m.name.lower(): int(m) for m in GameplayInteraction}
                if gi.lower() not in names:
                    raise ApiFailure(400)
                f.interaction = names[gi.lower()]
    body = _cached(p, ("sr", f.key()), lambda: views.service_record(world, p, f))
    return _maybe_xml(request, "PlayerServiceRecord", body)


async def h_matches(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    p = _player(world, call.params["player"])
    q = request.query
    start = _int(q.get("start"), 0, "start")
    count = _int(q.get("count"), MAX_PAGE, "count")
    if start < 0 or count < 0:
        raise ApiFailure(400)
    count = min(count, MAX_PAGE)
    kind = (q.get("type") or "all").lower()
    kind = MATCH_TYPES[int(kind)] if kind.isdigit() and int(kind) < len(MATCH_TYPES) else kind
    if kind not in MATCH_TYPES:
        raise ApiFailure(400)
    key = ("hist", start, count, kind)
    return _raw(_cached(p, key, lambda: views.history_page(world, p, start, count, kind)))


async def h_match_count(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    p = _player(world, call.params["player"])
    return _raw(_cached(p, "count", lambda: views.match_count(world, p)))


async def h_match_stats(request: web.Request, call: Call) -> web.StreamResponse:
    state = _state(request)
    mid = call.params["match"].lower()
    body = state.match_cache.get(mid)
    if body is None:
        m = state.world.find_match(mid)
        if m is None:
            raise ApiFailure(404)
        body = _encode(views.match_stats(state.world, m))
        state.match_cache[mid] = body
        if len(state.match_cache) > 512:
            state.match_cache.popitem(last=False)
    else:
        state.match_cache.move_to_end(mid)
    return _maybe_xml(request, "MatchStats", body)


def _list_param(request: web.Request, key: str) -> list[str]:
    """A list parameter as the real API takes it: the key repeated, comma-separated values
    (`players=xuid(A),xuid(B)`, as production clients send it), or both mixed."""
    out = [v.strip() for raw in request.query.getall(key, []) for v in raw.split(",")]
    if not out or not all(out):
        raise ApiFailure(400)
    return out


def _players_param(request: web.Request) -> list[str]:
    return _list_param(request, "players")


async def h_csrs(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    pl = world.playlist_by_id.get(call.params["playlist"].lower())
    ids = _players_param(request)
    players = [_player(world, i, xuid_only=True) for i in ids]
    if pl is None:
        raise ApiFailure(404)
    season = request.query.get("season") or None
    if season is not None and world.csr_season(season) is None:
        raise ApiFailure(404)
    return _json({"Value": [views.csr_entry(world, p, pl, season) for p in players]})


async def h_skill(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    ids = _players_param(request)
    wanted: list[int] = []
    for ident in ids:
        low = ident.lower()
        if not (low.startswith("xuid(") and low.endswith(")") and low[5:-1].isdigit()):
            raise ApiFailure(400)  # bots (bid(..)) and gamertags break this endpoint
        wanted.append(int(low[5:-1]))
    m = world.find_match(call.params["match"])
    if m is None or m.lifecycle != LIFECYCLE_MATCHMADE:
        raise ApiFailure(404)  # the skill service rates matchmade games only
    by_xuid = {s.xuid: s for s in world.roster(m) if s.xuid is not None}
    out = []
    for x in wanted:
        s = by_xuid.get(x)
        if s is None:
            out.append({"Id": f"xuid({x})", "ResultCode": 1, "Result": None})
        else:
            out.append(views.skill_result(world, s))
    return _json({"Value": out})


async def h_season_calendar(request: web.Request, call: Call) -> web.StreamResponse:
    state = _state(request)
    return _raw(state.static("cal", lambda: _encode(views.season_calendar(state.world))))


async def h_csr_calendar(request: web.Request, call: Call) -> web.StreamResponse:
    state = _state(request)
    return _raw(state.static("csrcal", lambda: _encode(views.csr_calendar(state.world))))


async def h_career_track(request: web.Request, call: Call) -> web.StreamResponse:
    return _raw(views.data_text("careerrank1.json").encode())


async def h_progression_file(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    path = call.params["path"]
    data = views.season_metadata(world, path) or extras.operation_track(world, path)
    if data is None:
        raise ApiFailure(404)
    return _json(data)


async def h_medals(request: web.Request, call: Call) -> web.StreamResponse:
    return _raw(views.data_text("medals-metadata.json").encode())


async def h_playlist_asset(request: web.Request, call: Call) -> web.StreamResponse:
    state = _state(request)
    pl = state.world.playlist_by_id.get(call.params["id"].lower())
    if pl is None:
        raise ApiFailure(404)
    return _json(views.playlist_asset(pl, state.world.seed))


async def h_image(request: web.Request, call: Call) -> web.StreamResponse:
    state = _state(request)
    meta = views.data_json("medals-metadata.json")
    want = call.params["path"].lower()
    for sprite in meta["sprites"].values():
        if sprite["path"].lower() == want:
            medals = meta["medals"]
            order = sorted(medals, key=lambda m: m["spriteIndex"])
            diffs = [0] * (max(m["spriteIndex"] for m in medals) + 1)
            for m in order:
                diffs[m["spriteIndex"]] = m["difficultyIndex"]
            columns, size = int(sprite["columns"]), int(sprite["size"])

            def build(d: list[int] = diffs, c: int = columns, z: int = size) -> bytes:
                return sprite_sheet(len(d), c, z, d)

            body = state.static(want, build)
            return _raw(body, "image/png")
    raise ApiFailure(404)


async def h_discovery(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    kind = call.params["kind"].lower()
    data = views.discovery_asset(world, kind, call.params["id"], call.params.get("ver"))
    if data is None:
        raise ApiFailure(404)
    return _json(data)


def _profile_of(world: World, xuid: int) -> dict[str, Any] | None:
    p = world.by_xuid.get(xuid)
    if p is not None:
        return views.user(p.xuid, p.gamertag)
    if GUEST_BASE <= xuid < GUEST_BASE + 10**10:
        return views.user(xuid, views.guest_tag(xuid))
    return None


async def h_user_me(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    data = _profile_of(world, call.xuid or 0)
    if data is None:
        raise ApiFailure(404)
    return _json(data)


async def h_user_gt(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    p = world.by_tag.get(call.params["gt"].lower())
    if p is None:
        raise ApiFailure(404)
    return _json(views.user(p.xuid, p.gamertag))


async def h_user_xuid(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    raw = call.params["x"]
    if not raw.isdigit():
        raise ApiFailure(400)
    data = _profile_of(world, int(raw))
    if data is None:
        raise ApiFailure(404)
    return _json(data)


async def h_users(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    raw = _list_param(request, "xuids")
    if not all(x.isdigit() for x in raw):
        raise ApiFailure(400)
    out = [d for d in (_profile_of(world, int(x)) for x in raw) if d is not None]
    if not out:
        raise ApiFailure(404)
    return _json(out)


async def h_career_progress(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    p = _player(world, call.params["player"])
    return _raw(_cached(p, "career", lambda: views.career_progress(world, p)))


async def h_clearance(request: web.Request, call: Call) -> web.StreamResponse:
    state = _state(request)
    return _json({"FlightConfigurationId": state.clearance_id})


async def h_comms_me(request: web.Request, call: Call) -> web.StreamResponse:
    p = _state(request).world.by_xuid.get(call.xuid or 0)
    if p is None:
        raise ApiFailure(404)
    return _json(extras.comms_me(p))


async def h_matches_privacy(request: web.Request, call: Call) -> web.StreamResponse:
    _player(_state(request).world, call.params["player"])
    return _json(extras.matches_privacy())


async def h_decks(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    return _json(extras.challenge_decks(world, _player(world, call.params["player"])))


async def h_ban_summary(request: web.Request, call: Call) -> web.StreamResponse:
    targets = _list_param(request, "targets")
    return _json(extras.ban_summary(targets))


async def h_settings_catalogue(request: web.Request, call: Call) -> web.StreamResponse:
    return _json(extras.settings_catalogue())


async def h_operations(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    return _json(extras.operations(world, _player(world, call.params["player"], xuid_only=True)))


async def h_customization(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    p = _player(world, call.params["player"], xuid_only=True)
    return _json(extras.customization(world, p))


async def h_search(request: web.Request, call: Call) -> web.StreamResponse:
    q = request.query
    start = _int(q.get("start"), 0, "start")
    count = min(_int(q.get("count"), MAX_PAGE, "count"), MAX_PAGE)
    if start < 0 or count < 0:
        raise ApiFailure(400)
    return _json(extras.search(_state(request).world, q.get("term", ""), start, count))


async def h_film(request: web.Request, call: Call) -> web.StreamResponse:
    world = _state(request).world
    m = world.find_match(call.params["match"])
    if m is None:
        raise ApiFailure(404)
    return _json(extras.film(world, m))


# (service, endpoint, regex on the path after the host, handler, needs a Spartan token).
# No route demands `343-clearance`: the real API reads with the Spartan header alone
# (REFERENCE.md); the `require_clearance` fault forces it for tests of that path.
_X = r"(?P<player>[^/]+)"
_P = rf"/hi/players/{_X}"
_ID = r"(?P<id>[^/]+)"
_MATCH = r"/hi/matches/(?P<match>[^/]+)"
_ASSETS = r"/hi/(?P<kind>playlists|maps|mapmodepairs|ugcgamevariants)"
_PF = r"/hi/progression/file"
_FLIGHTS = r"/oban/flight-configurations/titles/hi/audiences/retail"
# ("<service>.<route>", path pattern, handler)
ROUTES: list[tuple[str, str, Handler]] = [
    (
        "stats.servicerecord",
        rf"{_P}/(?P<kind>matchmade|custom|local)/servicerecord",
        h_service_record,
    ),
    ("stats.matches", rf"{_P}/matches", h_matches),
    ("stats.matches.count", rf"{_P}/matches/count", h_match_count),
    ("stats.matches.privacy", rf"{_P}/matches-privacy", h_matches_privacy),
    ("stats.decks", rf"{_P}/decks", h_decks),
    ("stats.match.stats", rf"{_MATCH}/stats", h_match_stats),
    ("skill.csrs", r"/hi/playlist/(?P<playlist>[^/]+)/csrs", h_csrs),
    ("skill.match.skill", rf"{_MATCH}/skill", h_skill),
    ("gamecms.seasoncalendar", rf"{_PF}/calendars/seasons/seasoncalendar\.json", h_season_calendar),
    ("gamecms.csrcalendar", rf"{_PF}/csr/calendars/csrseasoncalendar\.json", h_csr_calendar),
    ("gamecms.careerrank", rf"{_PF}/rewardtracks/careerranks/careerrank1\.json", h_career_track),
    ("gamecms.progression", rf"{_PF}/(?P<path>.+)", h_progression_file),
    ("gamecms.medals", r"/hi/waypoint/file/medals/metadata\.json", h_medals),
    (
        "gamecms.playlist.asset",
        rf"/hi/multiplayer/file/playlists/assets/{_ID}\.json",
        h_playlist_asset,
    ),
    ("gamecms.image", r"/hi/images/file/(?P<path>.+)", h_image),
    ("discovery.asset", rf"{_ASSETS}/{_ID}/versions/(?P<ver>[^/]+)", h_discovery),
    ("discovery.asset.latest", rf"{_ASSETS}/{_ID}", h_discovery),
    ("discovery.search", r"/hi/search", h_search),
    ("discovery.film", r"/hi/films/matches/(?P<match>[^/]+)/spectate", h_film),
    ("profile.user.me", r"/users/me", h_user_me),
    ("profile.user.gt", r"/users/gt\((?P<gt>.*)\)", h_user_gt),
    ("profile.user.xuid", r"/users/xuid\((?P<x>[^)]*)\)", h_user_xuid),
    ("profile.users", r"/users", h_users),
    ("comms.user.me", r"/users/me", h_comms_me),
    ("economy.careerrank", rf"{_P}/rewardtracks/careerranks/careerrank1", h_career_progress),
    ("economy.operations", rf"{_P}/rewardtracks/operations", h_operations),
    ("economy.customization", rf"{_P}/customization", h_customization),
    ("settings.clearance", rf"{_FLIGHTS}/active", h_clearance),
    ("settings.clearance.player", rf"{_FLIGHTS}/players/xuid\(\d+\)/active", h_clearance),
    (
        "settings.catalogue",
        r"/settings/hipc/e2a0a7c6-6efe-42af-9283-c2ab73250c48",
        h_settings_catalogue,
    ),
    ("banprocessor.bansummary", r"/hi/bansummary", h_ban_summary),
]
_ANONYMOUS = {"settings.catalogue"}  # the only route that takes no Spartan token

_COMPILED: dict[str, list[tuple[str, re.Pattern[str], Handler, bool]]] = {}
for _route, _rx, _h in ROUTES:
    _COMPILED.setdefault(WAYPOINT_HOSTS[_route.split(".")[0]], []).append(
        (_route, re.compile(_rx + r"/?", re.IGNORECASE), _h, _route not in _ANONYMOUS)
    )


def _split(raw_path: str) -> tuple[str, str]:
    """`/<host>/rest` -> (host, /rest) on the still-encoded path."""
    parts = raw_path.split("/", 2)
    host = parts[1].lower() if len(parts) > 1 else ""
    rest = "/" + parts[2] if len(parts) > 2 else "/"
    return host, rest


async def dispatch(request: web.Request) -> web.StreamResponse:
    """The catch-all route: find the endpoint, check auth, run the handler."""
    state = _state(request)
    host, rest = _split(request.rel_url.raw_path)
    routes = _COMPILED.get(host)
    if routes is None:
        request[ENDPOINT] = "unknown"
        raise ApiFailure(404)
    for endpoint, rx, handler, auth in routes:
        m = rx.fullmatch(rest)
        if m is None:
            continue
        request[ENDPOINT] = endpoint
        xuid = state.token_xuid(request.headers.get(SPARTAN_HEADER))
        if auth and xuid is None:
            raise ApiFailure(401)
        rule = state.faults.rule_for(_SERVICE_BY_HOST[host])
        cleared = request.headers.get(CLEARANCE_HEADER) == state.clearance_id
        if auth and rule is not None and rule.require_clearance and not cleared:
            raise ApiFailure(403)
        params = {k: unquote(v) for k, v in m.groupdict().items() if v is not None}
        if request.method not in ("GET", "HEAD"):
            raise ApiFailure(405)
        response = await handler(request, Call(endpoint, params, xuid))
        if host in _ETAG_HOSTS and isinstance(response, web.Response) and response.status == 200:
            return _with_etag(request, state, response)
        return response
    request[ENDPOINT] = f"{_SERVICE_BY_HOST.get(host, host)}.unknown"
    raise ApiFailure(404)


_ETAG_HOSTS = {WAYPOINT_HOSTS["gamecms"], WAYPOINT_HOSTS["discovery"]}


def _with_etag(request: web.Request, state: SimState, response: web.Response) -> web.Response:
    """Static gamecms and discovery files carry an ETag; a matching If-None-Match gets a
    304, as the real CDN answers, so a client's ETag cache can be exercised."""
    key = request.rel_url.raw_path.lower()
    etag = state.etags.get(key)
    if etag is None:
        body = response.body if isinstance(response.body, bytes) else b""
        etag = state.etags[key] = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return response


async def _truncated(request: web.Request, response: web.Response) -> web.StreamResponse:
    body = response.body if isinstance(response.body, bytes) else b"{}"
    out = web.StreamResponse(status=response.status, headers={"Content-Type": "application/json"})
    out.content_length = len(body) + 16
    await out.prepare(request)
    await out.write(body[: max(1, len(body) // 2)])
    if request.transport is not None:
        request.transport.close()
    return out


@web.middleware
async def sim_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Faults first (as a gateway would), then the handler; count and log every request."""
    state: SimState = request.app[SIM_STATE]
    path = request.rel_url.raw_path
    if path.startswith("/_sim/"):
        try:
            return await handler(request)
        except ApiFailure as exc:  # an unknown /_sim/ path: 404, not a 500 and a traceback
            return web.Response(status=exc.status, body=exc.body)
    host, _ = _split(path)
    service = _SERVICE_BY_HOST.get(host, host)
    wait = state.limits.admit(service)
    if wait is not None:  # the gateway's budget, before any fault; counted apart in stats
        return web.Response(status=429, headers={"Retry-After": retry_after(wait)})
    status = 500
    try:
        fault, rule = state.faults.decide(service)
        if rule is not None and rule.latency_ms:
            await asyncio.sleep(rule.latency_ms / 1000)
        if fault == "rate_429":
            status = 429
            return web.Response(
                status=429, headers={"Retry-After": str(rule.retry_after if rule else 1)}
            )
        if fault in ("rate_500", "rate_503", "rate_401"):
            status = {"rate_500": 500, "rate_503": 503, "rate_401": 401}[fault]
            return web.Response(status=status)
        if fault == "rate_drop":
            status = 0
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        try:
            response = await handler(request)
        except ApiFailure as exc:
            response = web.Response(status=exc.status, body=exc.body)
        status = response.status
        if fault == "rate_truncate" and isinstance(response, web.Response):
            status = -1
            return await _truncated(request, response)
        return response
    finally:
        # Plugins may label their routes with ENDPOINT (or the plain "sim_endpoint" key).
        endpoint = request.get(ENDPOINT) or request.get("sim_endpoint") or f"{service}.other"
        state.count(endpoint, status, request.method, path, request.rel_url.raw_query_string)


# ------------------------------------------------------------------------- control
async def c_token(request: web.Request) -> web.Response:
    state = _state(request)
    data = await _body(request)
    ident = str(data.get("xuid", ""))
    p = state.world.player(ident if ident.startswith("xuid(") else f"xuid({ident})")
    if p is None:
        p = state.world.player(str(data.get("gamertag", "")))
    if p is None:
        return _json({"error": "unknown player"}, 404)
    token, expires = state.issue_spartan_token(p.xuid)
    return _json(
        {
            "SpartanToken": token,
            "Clearance": state.clearance_id,
            "ExpiresUtc": {"ISO8601Date": timestamp(to_ms(expires))},
            "Xuid": str(p.xuid),
            "Gamertag": p.gamertag,
        }
    )


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise _bad("body must be JSON") from None
    if not isinstance(data, dict):
        raise _bad("body must be a JSON object")
    return data


def _bad(message: str) -> web.HTTPBadRequest:
    text = _encode({"error": message}).decode()
    return web.HTTPBadRequest(text=text, content_type="application/json")


async def c_players(request: web.Request) -> web.Response:
    return _json(_state(request).world.player_list())


async def c_advance(request: web.Request) -> web.Response:
    state = _state(request)
    data = await _body(request)
    try:
        hours = float(data.get("hours", 1))
        frac = data.get("active_fraction")
        n = state.world.advance(hours, None if frac is None else float(frac))
    except (TypeError, ValueError) as exc:
        raise _bad(str(exc)) from None
    return _json({"matches": n, "now": timestamp(state.world.clock.now_ms())})


async def c_play(request: web.Request) -> web.Response:
    state = _state(request)
    data = await _body(request)
    try:
        ids = state.world.play(
            str(data["xuid"]) if "(" in str(data["xuid"]) else int(data["xuid"]),
            int(data.get("matches", 1)),
        )
    except (KeyError, ValueError) as exc:
        return _json({"error": str(exc)}, 404 if isinstance(exc, KeyError) else 400)
    return _json({"match_ids": ids, "now": timestamp(state.world.clock.now_ms())})


async def c_clock(request: web.Request) -> web.Response:
    return _json({"now": timestamp(_state(request).world.clock.now_ms())})


async def c_stats(request: web.Request) -> web.Response:
    return _json(_state(request).stats())


async def c_stats_reset(request: web.Request) -> web.Response:
    _state(request).reset_stats()
    return _json({"ok": True})


async def c_requests(request: web.Request) -> web.Response:
    state = _state(request)
    limit = _int(request.query.get("limit"), 100, "limit")
    items = list(state.log)[-limit:] if limit > 0 else []
    return _json(items)


async def c_faults_set(request: web.Request) -> web.Response:
    state = _state(request)
    try:
        state.faults.configure(await _body(request))
    except (TypeError, ValueError) as exc:
        raise _bad(str(exc)) from None
    return _json(state.faults.to_json())


async def c_faults_get(request: web.Request) -> web.Response:
    return _json(_state(request).faults.to_json())


async def c_faults_clear(request: web.Request) -> web.Response:
    _state(request).faults.clear()
    return _json({"ok": True})


async def c_limits_set(request: web.Request) -> web.Response:
    state = _state(request)
    try:
        state.limits.configure(await _body(request))
    except (TypeError, ValueError) as exc:
        raise _bad(str(exc)) from None
    return _json(state.limits.to_json())


async def c_limits_get(request: web.Request) -> web.Response:
    limits = _state(request).limits
    window = {s: limits.busiest_window(s) for s in limits.per_second}
    return _json({"limits": limits.to_json(), "busiest_10s_rate": window})


async def c_limits_clear(request: web.Request) -> web.Response:
    _state(request).limits.clear()
    return _json({"ok": True})


async def _simulated_date(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer's `Date` is the simulated time, as a real server's is its own: clients
    that take "now" from the server (waypoint.clock) then stamp simulated time."""
    now = _state(request).world.clock.now()
    response.headers[hdrs.DATE] = email.utils.format_datetime(now, usegmt=True)


def build_app(state: SimState, plugins: Iterable[Plugin] = ()) -> web.Application:
    """The application. Plugins run before the catch-all route, so routes they add (e.g. the
    identity endpoints) win over it and still pass through counting and faults."""
    app = web.Application(middlewares=[sim_middleware])
    app[SIM_STATE] = state
    app.on_response_prepare.append(_simulated_date)
    r = app.router
    r.add_post("/_sim/token", c_token)
    r.add_get("/_sim/players", c_players)
    r.add_post("/_sim/advance", c_advance)
    r.add_post("/_sim/play", c_play)
    r.add_get("/_sim/clock", c_clock)
    r.add_get("/_sim/stats", c_stats)
    r.add_post("/_sim/stats/reset", c_stats_reset)
    r.add_get("/_sim/requests", c_requests)
    r.add_post("/_sim/faults", c_faults_set)
    r.add_get("/_sim/faults", c_faults_get)
    r.add_delete("/_sim/faults", c_faults_clear)
    r.add_post("/_sim/limits", c_limits_set)
    r.add_get("/_sim/limits", c_limits_get)
    r.add_delete("/_sim/limits", c_limits_clear)
    for plugin in plugins:
        plugin(app, state)
    r.add_route("*", "/{tail:.*}", dispatch)
    return app
