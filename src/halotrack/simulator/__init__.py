"""An offline simulator of the Halo Infinite Waypoint API.

    async with start_simulator(seed=7, players=50) as sim:
        urls = service_urls(sim.base_url)          # halotrack.models.hosts
        tokens = sim.issue_tokens(sim.world.players[0].xuid)
        ...                                        # point any client at `urls`
        await sim.advance(24)                      # a simulated day passes
        sim.play(xuid, 5)                          # one player plays 5 matches now

Every Waypoint host is served under `<base_url>/<host>/...` with the real API's auth rules:
`x-343-authorization-spartan` on data calls, and no `343-clearance` demanded anywhere (the
real API reads with the Spartan header alone; the `require_clearance` fault forces 403s
without it, per service or `*`). List parameters take the comma form or the repeated key.
`Accept: application/xml` on a service record or match stats gives their XML form, enum
values by name (`datacontract.ENUM_NAMES`; counted as `<endpoint>.xml` in the stats).

Control endpoints, no auth:

    POST   /_sim/token     {"xuid": "2533274800000001"} -> SpartanToken, Clearance, ExpiresUtc
    GET    /_sim/players   [{"xuid", "gamertag", "activity"}]
    POST   /_sim/advance   {"hours": 24, "active_fraction": 0.1}   (time passes, players play)
    POST   /_sim/play      {"xuid": X, "matches": N}               (one player plays now)
    GET    /_sim/clock
    GET    /_sim/stats     counts by endpoint / status, process_cpu_seconds; POST .../reset
    GET    /_sim/requests?limit=N   method, path, query, status (never headers)
    POST   /_sim/faults    {"seed": 1, "stats": {"rate_429": 0.2, "retry_after": 2},
                            "*": {"latency_ms": 5}}   rates: rate_429 rate_500 rate_503
                            rate_drop rate_truncate rate_401; require_clearance: true
                            (403 without clearance); GET shows, DELETE clears

In the request log and stats, status 0 is a dropped connection and -1 a truncated body.
`sim.world` answers what the truth is: `players`, `player(ident)`, `matches_of(player)`,
`slots(player)`, `aggregate(player, Filters(...))`, `expected_record(xuid, **filters)`,
`roster(match)`, `slot_vector(slot)`. Plugins (`plugins=[fn]`, called as `fn(app, state)`
before the catch-all route) add endpoints, e.g. sign-in; they may use
`state.issue_spartan_token(xuid)` and `state.clearance_id`.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from aiohttp import web

from halotrack.models.tokens import Tokens
from halotrack.simulator.app import Plugin, SimState, build_app
from halotrack.simulator.world import Clock, Filters, Match, SimPlayer, World

__all__ = [
    "Clock",
    "Filters",
    "Match",
    "SimPlayer",
    "SimState",
    "Simulator",
    "World",
    "build_app",
    "start_simulator",
]


class Simulator:
    """A running simulator: its root URL and handles on the world, clock and state."""

    def __init__(self, state: SimState, base_url: str, runner: web.AppRunner) -> None:
        self.state = state
        self.world = state.world
        self.clock = state.world.clock
        self.base_url = base_url
        self._runner = runner

    def __repr__(self) -> str:
        return f"Simulator({self.base_url}, players={len(self.world.players)})"

    async def advance(self, hours: float, active_fraction: float | None = None) -> int:
        """Let simulated time pass; active players play. Returns matches played."""
        return self.world.advance(hours, active_fraction)

    def play(self, xuid: int | str, matches: int) -> list[str]:
        """Make one player play `matches` matches now; returns their match ids."""
        return self.world.play(xuid, matches)

    def issue_tokens(self, xuid: int | str) -> Tokens:
        """A valid Spartan token and clearance for a world player."""
        p = self.world.player(f"xuid({xuid})" if str(xuid).isdigit() else str(xuid))
        if p is None:
            raise KeyError(f"unknown player {xuid}")
        token, expires = self.state.issue_spartan_token(p.xuid)
        return Tokens(token, self.state.clearance_id, expires, str(p.xuid), p.gamertag)

    def stats(self) -> dict[str, Any]:
        return self.state.stats()

    def reset_stats(self) -> None:
        self.state.reset_stats()

    def requests(self, limit: int = 100) -> list[dict[str, Any]]:
        return list(self.state.log)[-limit:]

    def set_faults(self, config: dict[str, Any] | None = None, **services: Any) -> None:
        """`set_faults({"seed": 3, "stats": {"rate_429": 0.2}})` or
        `set_faults(seed=3, stats={"rate_500": 0.1})`; `set_faults()` clears."""
        data = {**(config or {}), **services}
        if not data:
            self.state.faults.clear()
        else:
            self.state.faults.configure(data)

    def clear_faults(self) -> None:
        self.state.faults.clear()


@asynccontextmanager
async def start_simulator(
    seed: int = 7,
    players: int = 200,
    port: int = 0,
    host: str = "127.0.0.1",
    ssl_context: ssl.SSLContext | None = None,
    plugins: Sequence[Plugin] | Iterable[Plugin] = (),
    now: datetime | None = None,
    **world_options: Any,
) -> AsyncIterator[Simulator]:
    """Start a simulator on `host:port` (port 0 picks a free one) and stop it on exit.

    `world_options`: seasons (12), ranked_playlists (2), active_fraction (None: by player
    activity), history_scale (1.0: multiplies each player's pre-start match count).
    """
    world = World(seed=seed, players=players, now=now, **world_options)
    state = SimState(world)
    app = build_app(state, plugins)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    scheme = "https" if ssl_context is not None else "http"
    try:
        yield Simulator(state, f"{scheme}://{host}:{bound}", runner)
    finally:
        await runner.cleanup()
