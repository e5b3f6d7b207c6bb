"""WaypointClient: one aiohttp session and transport, one property per API service.

Why one object: pacing, the concurrency cap, retries and counters must be shared by every
service, and one argument (`api_root`) must point all of them at a simulator or proxy.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Final, Literal, Unpack

from halotrack.errors import HaloTrackError
from halotrack.waypoint.cache import EtagCache
from halotrack.waypoint.discovery import DiscoveryService
from halotrack.waypoint.economy import EconomyService
from halotrack.waypoint.gamecms import GameCmsService
from halotrack.waypoint.profile import ProfileService
from halotrack.waypoint.skill import DEFAULT_CSR_BATCH, SkillService
from halotrack.waypoint.stats import StatsService
from halotrack.waypoint.tokens import StaticTokens, TokenProvider, Tokens
from halotrack.waypoint.transport import Counters, Transport, TransportOptions

log = logging.getLogger("halotrack.waypoint")


class WaypointClient:
    """Async client of the Halo Waypoint API.

        async with WaypointClient(tokens=provider, api_root="http://127.0.0.1:8765") as c:
            record = await c.stats.service_record("Some Gamertag")

    `tokens` is a TokenProvider (or Tokens, or a bare Spartan token string). The other
    keywords are the transport's (`TransportOptions`): `api_root` points every service at
    `<root>/<host>` (the simulator's layout); `base_urls` overrides single services.
    `session`, `clock`, `sleep` and `rand` are injectable for tests.
    `cache` is a directory for the ETag cache, an EtagCache, or None/False (the default): the
    library makes no files unless asked; the CLI passes the user's cache folder.
    `ca_bundle` is a CA file to trust alone for TLS (e.g. `halotrack simulator --tls`'s).
    """

    def __init__(
        self,
        *,
        tokens: TokenProvider | Tokens | str,
        cache: EtagCache | Path | str | Literal[False] | None = None,
        csr_batch_size: int = DEFAULT_CSR_BATCH,
        **options: Unpack[TransportOptions],
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
        self.transport = Transport(tokens=provider, cache=etags, **options)
        self.stats: Final = StatsService(self.transport)
        self.skill: Final = SkillService(self.transport)
        self.skill.csr_batch_size = csr_batch_size
        self.gamecms: Final = GameCmsService(self.transport)
        self.discovery: Final = DiscoveryService(self.transport)
        self.profile: Final = ProfileService(self.transport)
        self.economy: Final = EconomyService(self.transport)

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
