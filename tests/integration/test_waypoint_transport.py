"""Transport behaviour against loopback servers: pacing, retries, refresh, cache, trust."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from halotrack.errors import (
    ApiError,
    BadRequest,
    ConfigError,
    Forbidden,
    NotFound,
    ParseError,
    RateLimited,
    ServerError,
    Unauthorized,
)
from halotrack.waypoint import EtagCache, Limits, RetryPolicy, Tokens, WaypointClient
from halotrack.waypoint.transport import parse_retry_after
from tests.support.fake_api import MINIMAL, FakeApi, serve_fake_api


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeApi]:
    async with serve_fake_api() as api:
        yield api


REAL = Path(__file__).parents[1] / "data" / "real"
CSR_BODY = (REAL / "csr" / "playlist-csrs-one-player.json").read_bytes()
CALENDAR = (REAL / "gamecms" / "csr-season-calendar.json").read_bytes()
PLAYLIST = "edfef3ac-9cbe-4fa2-b949-8f29deafd483"
CSR_CALENDAR_PATH = "/hi/Progression/file/Csr/Calendars/CsrSeasonCalendar.json"
CANARY = "CANARY-SPARTAN-7f3e9a"
CANARY_CLEARANCE = "CANARY-CLEARANCE-5b21"


class FakeTime:
    """A clock that only moves when the client sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.events: list[tuple[str, float]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.events.append(("sleep", round(seconds, 6)))
        self.now += seconds
        await asyncio.sleep(0)


class Provider:
    """A token provider that hands out a new token on refresh and counts calls."""

    def __init__(self, first: str = "old", fresh: str = "fresh") -> None:
        self.tokens = Tokens(spartan=first, clearance="clr")
        self.fresh = fresh
        self.refreshes = 0

    async def get(self) -> Tokens:
        return self.tokens

    async def refresh(self) -> Tokens:
        self.refreshes += 1
        self.tokens = Tokens(spartan=self.fresh, clearance="clr")
        return self.tokens


def client(api: Any, t: FakeTime | None = None, **kw: Any) -> WaypointClient:
    kw.setdefault("limits", Limits.unlimited())
    kw.setdefault("cache", False)
    kw.setdefault("tokens", Tokens(spartan="tok", clearance="clr"))
    kw.setdefault("rand", lambda: 1.0)
    if t is not None:
        kw.setdefault("clock", t.clock)
        kw.setdefault("sleep", t.sleep)
    return WaypointClient(api_root=api.root, **kw)


def files(path: Path) -> list[Path]:
    return sorted(path.iterdir()) if path.exists() else []


def csr_ok(request: web.Request) -> web.Response:
    return web.Response(body=CSR_BODY, content_type="application/json")


def script(*responses: Any) -> Any:
    """A handler answering with the given responses in turn (the last one repeats)."""
    queue = list(responses)

    def handle(request: web.Request) -> web.StreamResponse:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        return item(request) if callable(item) else item

    return handle


def status(code: int, **headers: str) -> Any:
    return lambda request: web.Response(status=code, headers=headers, text="{}")


# --- pacing -------------------------------------------------------------------------


async def test_pacing_waits_before_sending_per_service(fake_api: Any) -> None:
    t = FakeTime()
    received: list[float] = []

    def handle(request: web.Request) -> web.Response:
        received.append(round(t.now, 6))
        t.events.append(("send", round(t.now, 6)))
        return csr_ok(request)

    fake_api.handle = handle
    async with client(fake_api, t, limits=Limits(rate=5, global_rate=None)) as c:
        for _ in range(3):
            await c.skill.playlist_csr_one(PLAYLIST, 2535445291321133)
    assert received == [0.0, 0.2, 0.4]
    assert t.events == [("send", 0.0), ("sleep", 0.2), ("send", 0.2), ("sleep", 0.2), ("send", 0.4)]


async def test_global_rate_spans_services_and_service_rates_are_separate(fake_api: Any) -> None:
    t = FakeTime()
    received: list[tuple[str, float]] = []

    def handle(request: web.Request) -> web.Response:
        service = "skill" if request.path.startswith("/skill") else "stats"
        received.append((service, round(t.now, 6)))
        return csr_ok(request) if service == "skill" else web.json_response(MINIMAL)

    fake_api.handle = handle
    async with client(fake_api, t, limits=Limits(rate=5, global_rate=10)) as c:
        await c.skill.playlist_csr_one(PLAYLIST, 1)
        await c.stats.match_count(1)
        await c.skill.playlist_csr_one(PLAYLIST, 1)
        await c.stats.match_count(1)
    assert received == [("skill", 0.0), ("stats", 0.1), ("skill", 0.2), ("stats", 0.3)]

    t2 = FakeTime()
    received.clear()
    t = t2
    async with client(fake_api, t2, limits=Limits(rate=5, global_rate=None)) as c:
        await c.skill.playlist_csr_one(PLAYLIST, 1)
        await c.stats.match_count(1)
    assert received == [("skill", 0.0), ("stats", 0.0)]
    assert t2.sleeps == []


async def test_concurrent_callers_each_wait_their_slot_before_sending(fake_api: Any) -> None:
    t = FakeTime()
    fake_api.handle = csr_ok
    async with client(fake_api, t, limits=Limits(rate=4, global_rate=None, concurrency=8)) as c:
        await asyncio.gather(*(c.skill.playlist_csr_one(PLAYLIST, 1) for _ in range(4)))
    # the fake clock only moves by sleeping: four sends 1/4 s apart need 0.75 s of waiting
    assert len(t.sleeps) == 3
    assert sum(t.sleeps) == pytest.approx(0.75)
    assert len(fake_api.seen) == 4


async def test_concurrency_cap(fake_api: Any) -> None:
    in_flight = 0
    peak = 0

    async def handle(request: web.Request) -> web.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return csr_ok(request)

    fake_api.handle = handle
    async with client(fake_api, limits=Limits(rate=None, global_rate=None, concurrency=3)) as c:
        await asyncio.gather(*(c.skill.playlist_csr_one(PLAYLIST, 1) for _ in range(10)))
    assert peak == 3


# --- retries -----------------------------------------------------------------------


async def test_retries_5xx_with_exponential_backoff(fake_api: Any) -> None:
    t = FakeTime()
    fake_api.handle = script(status(503), status(520), status(500), csr_ok)
    async with client(fake_api, t) as c:
        result = await c.skill.playlist_csr_one(PLAYLIST, 1)
        assert result.value[0].xuid == 2535445291321133
        assert t.sleeps == [0.5, 1.0, 2.0]
        assert c.counters.retries == 3
        assert c.counters.by_status == {503: 1, 520: 1, 500: 1, 200: 1}
        assert c.counters.requests == 4


async def test_backoff_uses_full_jitter_and_caps(fake_api: Any) -> None:
    t = FakeTime()
    rolls = iter([0.5, 0.25, 1.0])
    fake_api.handle = script(status(503), status(503), status(408), csr_ok)
    policy = RetryPolicy(attempts=5, base_delay=1.0, max_delay=3.0)
    async with client(fake_api, t, rand=lambda: next(rolls), retry=policy) as c:
        await c.skill.playlist_csr_one(PLAYLIST, 1)
    assert t.sleeps == [0.5, 0.5, 3.0]


async def test_retry_after_seconds_is_honoured(fake_api: Any) -> None:
    t = FakeTime()
    fake_api.handle = script(status(429, **{"Retry-After": "7"}), csr_ok)
    async with client(fake_api, t, rand=lambda: 0.0) as c:
        await c.skill.playlist_csr_one(PLAYLIST, 1)
    assert t.sleeps == [7.0]


async def test_retry_after_http_date_is_honoured(fake_api: Any) -> None:
    t = FakeTime()
    now = 1_700_000_000.0
    when = email.utils.formatdate(now + 30, usegmt=True)
    fake_api.handle = script(status(503, **{"Retry-After": when}), csr_ok)
    async with client(fake_api, t, rand=lambda: 0.0, wall_clock=lambda: now) as c:
        await c.skill.playlist_csr_one(PLAYLIST, 1)
    assert t.sleeps == [30.0]


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    past = email.utils.formatdate(1000, usegmt=True)
    assert parse_retry_after(past, now=2000) == 0.0


async def test_gives_up_after_the_attempts(fake_api: Any) -> None:
    t = FakeTime()
    fake_api.handle = status(500)
    async with client(fake_api, t, retry=RetryPolicy(attempts=3)) as c:
        with pytest.raises(ServerError) as info:
            await c.skill.playlist_csr_one(PLAYLIST, 1)
    assert len(fake_api.seen) == 3
    assert info.value.status == 500
    assert info.value.service == "skill"
    assert "try again later" in str(info.value)
    assert PLAYLIST in info.value.url


async def test_429_after_retries_says_lower_the_rate(fake_api: Any) -> None:
    t = FakeTime()
    fake_api.handle = status(429, **{"Retry-After": "2"})
    async with client(fake_api, t, retry=RetryPolicy(attempts=2)) as c:
        with pytest.raises(RateLimited) as info:
            await c.skill.playlist_csr_one(PLAYLIST, 1)
    assert "lower --rate" in str(info.value)
    assert info.value.retry_after == 2.0
    assert len(fake_api.seen) == 2


async def test_retry_budget_bounds_total_waiting(fake_api: Any) -> None:
    t = FakeTime()
    fake_api.handle = status(429, **{"Retry-After": "100"})
    async with client(fake_api, t, retry=RetryPolicy(attempts=5, budget=10)) as c:
        with pytest.raises(RateLimited):
            await c.skill.playlist_csr_one(PLAYLIST, 1)
    assert len(fake_api.seen) == 1
    assert t.sleeps == []


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [
        (400, BadRequest, "check the player"),
        (403, Forbidden, "clearance missing or stale"),
        (404, NotFound, "no such player or their match history is private"),
        (418, ApiError, "unexpected status 418"),
    ],
)
async def test_permanent_errors_are_not_retried(
    fake_api: Any, code: int, error: type[ApiError], words: str
) -> None:
    t = FakeTime()
    fake_api.handle = status(code)
    async with client(fake_api, t) as c:
        with pytest.raises(error) as info:
            await c.stats.service_record("Some Player")
    assert type(info.value) is error
    assert words in str(info.value)
    assert info.value.status == code
    assert len(fake_api.seen) == 1
    assert t.sleeps == []


# --- tokens ------------------------------------------------------------------------


async def test_401_refreshes_once_and_replays(fake_api: Any) -> None:
    provider = Provider()

    def handle(request: web.Request) -> web.Response:
        if request.headers.get("x-343-authorization-spartan") != "fresh":
            return web.Response(status=401)
        return csr_ok(request)

    fake_api.handle = handle
    async with client(fake_api, tokens=provider) as c:
        await c.skill.playlist_csr_one(PLAYLIST, 1)
        assert c.counters.refreshes == 1
    assert provider.refreshes == 1
    assert [s["headers"]["x-343-authorization-spartan"] for s in fake_api.seen] == [  # type: ignore[index]
        "old",
        "fresh",
    ]
    assert fake_api.seen[1]["headers"]["343-clearance"] == "clr"  # type: ignore[index]


async def test_401_twice_is_unauthorized_without_a_second_refresh(fake_api: Any) -> None:
    provider = Provider()
    fake_api.handle = status(401)
    async with client(fake_api, tokens=provider) as c:
        with pytest.raises(Unauthorized) as info:
            await c.skill.playlist_csr_one(PLAYLIST, 1)
    assert provider.refreshes == 1
    assert len(fake_api.seen) == 2
    assert "auth login" in str(info.value)


async def test_sends_user_agent_and_accept(fake_api: Any) -> None:
    fake_api.handle = csr_ok
    async with client(fake_api) as c:
        await c.skill.playlist_csr_one(PLAYLIST, 1)
    headers = fake_api.seen[0]["headers"]
    assert headers["User-Agent"].startswith("halotrack/0.1.0 ")
    assert headers["Accept"] == "application/json"


# --- bodies ------------------------------------------------------------------------


async def test_truncated_json_is_retried_then_parse_error(fake_api: Any) -> None:
    cut = web.Response(body=CSR_BODY[:200], content_type="application/json")
    t = FakeTime()
    fake_api.handle = script(lambda r: cut, csr_ok)
    async with client(fake_api, t) as c:
        await c.skill.playlist_csr_one(PLAYLIST, 1)
        assert c.counters.retries == 1

    fake_api.handle = lambda r: web.Response(body=CSR_BODY[:200], content_type="application/json")
    async with client(fake_api, t, retry=RetryPolicy(attempts=2)) as c:
        with pytest.raises(ParseError) as info:
            await c.skill.playlist_csr_one(PLAYLIST, 1)
    assert info.value.service == "skill"
    assert info.value.status == 200


async def test_wrong_shape_is_a_parse_error_without_retry(fake_api: Any) -> None:
    t = FakeTime()
    fake_api.handle = lambda r: web.json_response({"Value": 5})
    async with client(fake_api, t) as c:
        with pytest.raises(ParseError) as info:
            await c.skill.playlist_csr_one(PLAYLIST, 1)
    assert len(fake_api.seen) == 1
    assert info.value.url.startswith(fake_api.url("skill"))


class RawServer:
    """A bare TCP server speaking just enough HTTP/1.1 to misbehave on purpose: `plan`
    holds one action per connection ("cut", "drop", "ok")."""

    def __init__(self, plan: list[str], body: bytes) -> None:
        self.plan = plan
        self.body = body
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        action = self.plan[min(self.connections, len(self.plan) - 1)]
        self.connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            if action == "drop":
                return
            body = self.body if action == "ok" else self.body[: len(self.body) // 2]
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        finally:
            writer.close()

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.mark.parametrize("fault", ["cut", "drop"])
async def test_cut_bodies_and_dropped_connections_are_retried(fault: str) -> None:
    t = FakeTime()
    async with RawServer([fault, fault, "ok"], CSR_BODY) as raw:
        root = f"http://127.0.0.1:{raw.port}"
        async with WaypointClient(
            tokens="tok", api_root=root, limits=Limits.unlimited(), cache=False,
            clock=t.clock, sleep=t.sleep, rand=lambda: 1.0,
        ) as c:  # fmt: skip
            result = await c.skill.playlist_csr_one(PLAYLIST, 1)
            assert result.value
            # aiohttp itself may re-send once on a dropped keep-alive; we retry the rest
            assert c.counters.retries >= 1
            assert c.counters.connection_errors == c.counters.retries
    assert raw.connections == 3


async def test_connection_refused_becomes_server_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = FakeTime()
    async with WaypointClient(
        tokens="tok", api_root=f"http://127.0.0.1:{port}", limits=Limits.unlimited(),
        cache=False, clock=t.clock, sleep=t.sleep, retry=RetryPolicy(attempts=2),
    ) as c:  # fmt: skip
        with pytest.raises(ServerError) as info:
            await c.stats.match_count(1)
    assert f"connection refused: cannot reach the API at http://127.0.0.1:{port}" in str(info.value)
    assert "check --api" in (info.value.hint or "")
    assert "failing" not in (info.value.hint or "")
    assert info.value.status is None
    assert len(t.sleeps) == 1


async def test_per_request_timeout(fake_api: Any) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return csr_ok(request)

    fake_api.handle = slow
    t = FakeTime()
    async with client(fake_api, t, timeout=0.05, retry=RetryPolicy(attempts=2)) as c:
        with pytest.raises(ServerError) as info:
            await c.skill.playlist_csr_one(PLAYLIST, 1)
        # counted by the client: under load the second try may time out before it lands
        assert c.counters.requests == 2
        assert c.counters.connection_errors == 2
    assert "timed out" in str(info.value)
    assert len(t.sleeps) == 1


# --- ETag cache --------------------------------------------------------------------


async def test_etag_304_is_served_from_the_disk_cache(fake_api: Any, tmp_path: Path) -> None:
    def handle(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(
            body=CALENDAR, content_type="application/json", headers={"ETag": '"v1"'}
        )

    fake_api.handle = handle
    async with client(fake_api, cache=tmp_path / "etags") as c:
        first = await c.gamecms.csr_season_calendar()
    assert "If-None-Match" not in fake_api.seen[0]["headers"]  # type: ignore[operator]
    assert files(tmp_path / "etags")

    async with client(fake_api, cache=tmp_path / "etags") as c:  # a later run, same disk
        second = await c.gamecms.csr_season_calendar()
        assert c.counters.not_modified == 1
        assert c.counters.by_status == {304: 1}
    assert fake_api.seen[1]["headers"]["If-None-Match"] == '"v1"'  # type: ignore[index]
    assert second.raw_bytes == CALENDAR
    assert second == first
    assert len(second.seasons) == len(first.seasons) > 0


async def test_a_bare_client_makes_no_files(
    fake_api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library writes nothing unless asked: only the CLI's wiring picks a cache folder."""
    home = tmp_path / "home"
    for var in ("HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    for var in ("CONFIG_DIR", "DATA_DIR", "CACHE_DIR"):
        monkeypatch.setenv(f"HALOTRACK_{var}", str(home / var.lower()))
    fake_api.handle = lambda request: web.Response(
        body=CALENDAR, content_type="application/json", headers={"ETag": '"v1"'}
    )
    async with WaypointClient(tokens="tok", api_root=fake_api.root) as c:
        await c.gamecms.csr_season_calendar()
        await c.gamecms.csr_season_calendar()
    assert c.counters.by_status == {200: 2}  # nothing kept between requests either
    assert not home.exists() or not [p for p in home.rglob("*") if p.is_file()]


async def test_an_unreadable_cached_body_is_fetched_again(fake_api: Any, tmp_path: Path) -> None:
    def handle(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(
            body=CALENDAR, content_type="application/json", headers={"ETag": '"v2"'}
        )

    fake_api.handle = handle
    cache = EtagCache(tmp_path)
    cache.put(fake_api.url("gamecms") + CSR_CALENDAR_PATH, '"v1"', b'{"Seasons": 12}')
    async with client(fake_api, cache=EtagCache(tmp_path)) as c:
        calendar = await c.gamecms.csr_season_calendar()
        assert c.counters.by_status == {304: 1, 200: 1}
    assert calendar.raw_bytes == CALENDAR
    assert "If-None-Match" not in fake_api.seen[1]["headers"]  # type: ignore[operator]


async def test_player_data_is_never_cached(fake_api: Any, tmp_path: Path) -> None:
    fake_api.handle = lambda r: web.json_response(MINIMAL, headers={"ETag": '"x"'})
    async with client(fake_api, cache=tmp_path) as c:
        await c.stats.service_record(2535445291321133)
        await c.stats.service_record(2535445291321133)
    assert all("If-None-Match" not in s["headers"] for s in fake_api.seen)  # type: ignore[operator]
    assert not files(tmp_path)


async def test_a_corrupt_cache_entry_is_ignored(fake_api: Any, tmp_path: Path) -> None:
    fake_api.handle = lambda r: web.Response(
        body=CALENDAR, content_type="application/json", headers={"ETag": '"v1"'}
    )
    async with client(fake_api, cache=tmp_path) as c:
        await c.gamecms.csr_season_calendar()
    for f in files(tmp_path):
        f.write_bytes(b"")
    async with client(fake_api, cache=tmp_path) as c:
        again = await c.gamecms.csr_season_calendar()
    assert "If-None-Match" not in fake_api.seen[1]["headers"]  # type: ignore[operator]
    assert again.raw_bytes == CALENDAR


# --- trust -------------------------------------------------------------------------


@pytest.fixture
async def foreign() -> AsyncIterator[Any]:
    seen: list[dict[str, str]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.Response(body=CALENDAR, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    async with TestServer(app) as server:
        server.seen = seen  # type: ignore[attr-defined]
        yield server


@pytest.mark.parametrize("code", [301, 302, 307, 308])
async def test_no_secrets_follow_a_redirect_to_a_foreign_host(
    fake_api: Any, foreign: Any, code: int
) -> None:
    target = str(foreign.make_url("/stolen"))
    fake_api.handle = lambda r: web.Response(status=code, headers={"Location": target})
    async with client(fake_api, tokens=Tokens(spartan=CANARY, clearance=CANARY_CLEARANCE)) as c:
        calendar = await c.gamecms.csr_season_calendar()
    assert calendar.seasons
    assert fake_api.seen[0]["headers"]["x-343-authorization-spartan"] == CANARY  # type: ignore[index]
    assert len(foreign.seen) == 1
    sent = {k.lower(): v for k, v in foreign.seen[0].items()}
    assert "x-343-authorization-spartan" not in sent
    assert "343-clearance" not in sent
    assert CANARY not in repr(sent) and CANARY_CLEARANCE not in repr(sent)


async def test_redirect_within_the_api_keeps_credentials(fake_api: Any) -> None:
    def handle(request: web.Request) -> web.Response:
        if "moved" not in request.path:
            return web.Response(status=302, headers={"Location": request.path + "/moved"})
        return web.Response(body=CALENDAR, content_type="application/json")

    fake_api.handle = handle
    async with client(fake_api) as c:
        await c.gamecms.csr_season_calendar()
    assert [s["headers"].get("x-343-authorization-spartan") for s in fake_api.seen] == [  # type: ignore[attr-defined]
        "tok",
        "tok",
    ]


async def test_redirect_loop_is_bounded(fake_api: Any) -> None:
    fake_api.handle = lambda r: web.Response(status=302, headers={"Location": r.path})
    async with client(fake_api) as c:
        with pytest.raises(ServerError, match="redirects"):
            await c.gamecms.csr_season_calendar()
    assert len(fake_api.seen) == 6


def test_trust_is_by_configured_base_url_prefix() -> None:
    c = WaypointClient(tokens="t", api_root="http://127.0.0.1:9", cache=False)
    t = c.transport
    assert t.trusted("http://127.0.0.1:9/halostats.svc.halowaypoint.com/hi/x")
    assert not t.trusted("http://127.0.0.1:9/halostats.svc.halowaypoint.com.evil/hi/x")
    assert not t.trusted("http://127.0.0.1:9/elsewhere")
    assert not t.trusted("http://127.0.0.1:10/halostats.svc.halowaypoint.com/hi/x")
    assert not t.trusted("https://evil.example/halostats.svc.halowaypoint.com/")
    real = WaypointClient(tokens="t", cache=False).transport
    assert real.trusted("https://skill.svc.halowaypoint.com/hi/playlist/x/csrs")
    assert not real.trusted("https://skill.svc.halowaypoint.com.evil.example/hi")
    assert not real.trusted("http://skill.svc.halowaypoint.com/hi")


def test_bad_base_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        WaypointClient(tokens="t", api_root="ftp://nowhere", cache=False)


# --- secrets never leak ------------------------------------------------------------


async def test_errors_and_logs_never_carry_the_token(
    fake_api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    t = FakeTime()
    tokens = Tokens(spartan=CANARY, clearance=CANARY_CLEARANCE)
    raised: list[BaseException] = []
    cases: list[Any] = [
        status(400),
        status(401),
        status(403),
        status(404),
        status(429),
        status(500),
        lambda r: web.json_response({"Value": 5}),
        lambda r: web.Response(body=CSR_BODY[:100], content_type="application/json"),
    ]
    for handler in cases:
        fake_api.handle = handler
        async with client(fake_api, t, tokens=tokens, retry=RetryPolicy(attempts=2)) as c:
            with pytest.raises(ApiError) as info:
                await c.skill.playlist_csr_one(PLAYLIST, 1)
            raised.append(info.value)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with WaypointClient(
        tokens=tokens, api_root=f"http://127.0.0.1:{port}", cache=False, clock=t.clock,
        sleep=t.sleep, retry=RetryPolicy(attempts=2),
    ) as c:  # fmt: skip
        with pytest.raises(ServerError) as info2:
            await c.stats.match_count(1)
        raised.append(info2.value)
        assert CANARY not in repr(c) and CANARY not in repr(c.counters)
    assert len(raised) == 9
    for exc in raised:
        for text in (str(exc), repr(exc), str(exc.__cause__), str(exc.__context__)):
            assert CANARY not in text
            assert CANARY_CLEARANCE not in text
    assert CANARY not in caplog.text
    assert CANARY_CLEARANCE not in caplog.text
    assert repr(tokens).count("CANARY") == 0
