"""The Halo Waypoint HTTP client: one module per API service over a shared transport.

    from halotrack.waypoint import WaypointClient, Tokens

    async with WaypointClient(tokens=Tokens(spartan=..., clearance=...)) as client:
        record = await client.stats.service_record("Gamertag", season_id="Csr/Seasons/...")
        csr = await client.skill.playlist_csr(playlist_id, [xuid1, xuid2])

Services: `stats`, `skill`, `gamecms`, `discovery`, `profile`, `economy`. Errors come from
`halotrack.errors` (NotFound, Forbidden, RateLimited, ServerError, ...). Responses are the
models of `halotrack.models`, each keeping its raw body (`.raw_bytes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from halotrack.models.lazy import lazy_exports

if TYPE_CHECKING:
    from halotrack.waypoint.cache import EtagCache
    from halotrack.waypoint.client import WaypointClient
    from halotrack.waypoint.players import Player, is_bot, parse_player
    from halotrack.waypoint.skill import CsrResults
    from halotrack.waypoint.tokens import StaticTokens, TokenProvider, Tokens
    from halotrack.waypoint.transport import (
        USER_AGENT,
        Counters,
        Fetched,
        Limits,
        RetryPolicy,
        SharedPacer,
        Transport,
    )

# Loaded on first use: parsing a gamertag must not load aiohttp (see ARCHITECTURE.md).
_HOME = {
    "cache": ("EtagCache",),
    "client": ("WaypointClient",),
    "players": ("Player", "is_bot", "parse_player"),
    "skill": ("CsrResults",),
    "tokens": ("StaticTokens", "TokenProvider", "Tokens"),
    "transport": (
        "USER_AGENT",
        "Counters",
        "Fetched",
        "Limits",
        "RetryPolicy",
        "SharedPacer",
        "Transport",
    ),
}


__getattr__ = lazy_exports(__name__, _HOME)


__all__ = [
    "USER_AGENT",
    "Counters",
    "CsrResults",
    "EtagCache",
    "Fetched",
    "Limits",
    "Player",
    "RetryPolicy",
    "SharedPacer",
    "StaticTokens",
    "TokenProvider",
    "Tokens",
    "Transport",
    "WaypointClient",
    "is_bot",
    "parse_player",
]
