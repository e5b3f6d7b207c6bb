"""halotrack: own your Halo Infinite history.

Reads a player's service record, CSR and matches from the Halo Waypoint API, keeps every
change as a snapshot, and shows it as tables, diffs and a stats page.
"""

from __future__ import annotations

__version__ = "0.1.0"

from halotrack.errors import (
    ApiError,
    AuthError,
    BadRequest,
    ConfigError,
    Forbidden,
    HaloTrackError,
    NotFound,
    ParseError,
    RateLimited,
    ServerError,
    StoreError,
    Unauthorized,
)

__all__ = [
    "ApiError",
    "AuthError",
    "BadRequest",
    "ConfigError",
    "Forbidden",
    "HaloTrackError",
    "NotFound",
    "ParseError",
    "RateLimited",
    "ServerError",
    "StoreError",
    "Unauthorized",
    "__version__",
]
