"""WaypointClient: one aiohttp session and transport, one property per API service.

Why one object: pacing, the concurrency cap, retries and counters must be shared by every
service, and one argument (`api_root`) must point all of them at a simulator or proxy.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Literal

import aiohttp

from halotrack.errors import HaloTrackError
from halotrack.waypoint.cache import EtagCache
from halotrack.waypoint.clock import ServerClock
from halotrack.waypoint.discovery import DiscoveryService
from halotrack.waypoint.economy import EconomyService
from halotrack.waypoint.gamecms import GameCmsService
from halotrack.waypoint.profile import ProfileService
from halotrack.waypoint.skill import DEFAULT_CSR_BATCH, SkillService
from halotrack.waypoint.stats import StatsService
from halotrack.waypoint.tokens import StaticTokens, TokenProvider, Tokens
from halotrack.waypoint.transport import (
    USER_AGENT,
    Counters,
    Limits,
    RetryPolicy,
    SharedPacer,
    Transport,
)

log = logging.getLogger("halotrack.waypoint")


class WaypointClient:
    """Async client of the Halo Waypoint API.

        async with WaypointClient(tokens=provider, api_root="http://127.0.0.1:8765") as c:
            record = await c.stats.service_record("Some Gamertag")

    `tokens` is a TokenProvider (or Tokens, or a bare Spartan token string). `api_root`
    points every service at `<root>/<host>` (the simulator's layout); `base_urls` overrides
    single services. `session`, `clock`, `sleep` and `rand` are injectable for tests.
    `cache` is a directory for the ETag cache, an EtagCache, or None/False (the default): the
    library makes no files unless asked; the CLI passes the user's cache folder.
    `ca_bundle` is a CA file to trust alone for TLS (e.g. `halotrack simulator --tls`'s).
    """

    def __init__(
        self,
        *,
        tokens: TokenProvider | Tokens | str,
        api_root: str | None = None,
        base_urls: Mapping[str, str] | None = None,
        session: aiohttp.ClientSession | None = None,
        limits: Limits | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        cache: EtagCache | Path | str | Literal[False] | None = None,
        csr_batch_size: int = DEFAULT_CSR_BATCH,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
        user_agent: str = USER_AGENT,
        ca_bundle: str | None = None,
        server_clock: ServerClock | None = None,
        pacer: SharedPacer | None = None,
    ) -> None:
        if isinstance(tokens, str):
            tokens = Tokens(spartan=tokens)
        provider: TokenProvider = StaticTokens(tokens) if isinstance(tokens, Tokens) else tokens
        etags: EtagCache | None
        if cache is None or cache is False:
            etags = None
        elif isinstance(cache, EtagCache):
            etags = cache
        else:
            etags = EtagCache(Path(cache))
        self.transport = Transport(
            tokens=provider,
            base_urls=base_urls,
            api_root=api_root,
            session=session,
            limits=limits,
            retry=retry,
            timeout=timeout,
            cache=etags,
            clock=clock,
            sleep=sleep,
            rand=rand,
            wall_clock=wall_clock,
            user_agent=user_agent,
            ca_bundle=ca_bundle,
            server_clock=server_clock,
            pacer=pacer,
        )
        self._stats = StatsService(self.transport)
        self._skill = SkillService(self.transport)
        self._skill.csr_batch_size = csr_batch_size
        self._gamecms = GameCmsService(self.transport)
        self._discovery = DiscoveryService(self.transport)
        self._profile = ProfileService(self.transport)
        self._economy = EconomyService(self.transport)

    @property
    def stats(self) -> StatsService:
        return self._stats

    @property
    def skill(self) -> SkillService:
        return self._skill

    @property
    def gamecms(self) -> GameCmsService:
        return self._gamecms

    @property
    def discovery(self) -> DiscoveryService:
        return self._discovery

    @property
    def profile(self) -> ProfileService:
        return self._profile

    @property
    def economy(self) -> EconomyService:
        return self._economy

    @property
    def counters(self) -> Counters:
        """Requests sent, retries, refreshes, 304s and answers by status and service."""
        return self.transport.counters

    def base_url(self, service: str) -> str:
        return self.transport.base_url(service)

    def now(self) -> datetime:
        """The API's time (see waypoint.clock): what snapshots made from its answers carry."""
        return self.transport.server_clock.now()

    async def sync_clock(self) -> datetime:
        """`now()`, after one cheap revalidated request when no answer has set it yet."""
        if not self.transport.server_clock.observed:
            try:
                await self.gamecms.season_calendar()
            except HaloTrackError as exc:
                log.info("could not read the API's time, using the local clock: %s", exc)
        return self.now()

    async def close(self) -> None:
        """Close the session if the client created it (an injected one is left open)."""
        await self.transport.close()

    async def __aenter__(self) -> WaypointClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"WaypointClient(stats={self.base_url('stats')!r})"
