"""A WaypointClient built the way every command builds one: from Settings.

Why here and not in `waypoint`: choosing the token provider needs the stored sign-in
(`auth`), and `auth` already imports `waypoint`; building at this layer keeps the client
library free of the sign-in and of the user's folders.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from halotrack.errors import ConfigError
from halotrack.waypoint.cache import EtagCache
from halotrack.waypoint.client import WaypointClient
from halotrack.waypoint.clock import ServerClock
from halotrack.waypoint.guard import Bounds
from halotrack.waypoint.tokens import StaticTokens, TokenProvider, Tokens
from halotrack.waypoint.transport import Limits, RetryPolicy

if TYPE_CHECKING:
    from halotrack.config import Settings


def default_cache_dir() -> Path:
    """Where the CLI keeps the ETag cache of static API files between runs."""
    from halotrack.config import cache_dir

    return cache_dir() / "http"


def client_from_settings(
    settings: Settings,
    token_provider: TokenProvider | None = None,
    **overrides: object,
) -> WaypointClient:
    """Build a client the way every command does: API root, pacing and tokens from Settings.

    Tokens: the given provider (sign-in), else `spartan_token`/`clearance` from flags or
    environment, else the stored sign-in. No token at all is a ConfigError telling the user
    how to get one. The ETag cache lives in the user's cache folder unless `cache=` says
    otherwise.
    """
    from halotrack.auth.microsoft import ca_bundle_setting

    provider = token_provider
    # One clock for the client and the sign-in: token expiries are on the server's clock.
    server_clock = ServerClock()
    if provider is None and not settings.spartan_token:
        from halotrack.auth import load_provider  # the stored sign-in (`halotrack auth login`)

        provider = load_provider(settings, clock=server_clock.now)
    if provider is None:
        if not settings.spartan_token:
            raise ConfigError(
                "no Spartan token available",
                hint="run `halotrack auth login` or pass --spartan-token "
                "(or set HALOTRACK_SPARTAN_TOKEN)",
            )
        provider = StaticTokens(
            Tokens(spartan=settings.spartan_token, clearance=settings.clearance or None),
            source=settings.source_of("spartan_token"),
        )
    rate = settings.rate if settings.rate and settings.rate > 0 else None
    bounds = Bounds.of(settings)
    limits = Limits(
        rate=rate,
        global_rate=rate * 2 if rate else None,
        concurrency=max(1, settings.concurrency),
        max_body=bounds.max_body,
    )
    kwargs: dict[str, object] = {
        "ca_bundle": ca_bundle_setting(settings) or _signed_in_ca(provider),
        "server_clock": server_clock,
        "api_root": settings.api,
        "limits": limits,
        "timeout": bounds.timeout,
        "retry": RetryPolicy(attempts=max(1, settings.retries), deadline=bounds.deadline),
    }
    kwargs.update(overrides)
    if "cache" not in kwargs:
        kwargs["cache"] = EtagCache(default_cache_dir())
    return WaypointClient(tokens=provider, **kwargs)  # type: ignore[arg-type]


def _signed_in_ca(provider: TokenProvider) -> str | None:
    """The CA file a stored sign-in was made with: its API root is served under that CA."""
    value = getattr(getattr(provider, "session", None), "ca_bundle", None)
    return value if isinstance(value, str) and value else None
