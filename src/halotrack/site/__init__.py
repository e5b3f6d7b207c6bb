"""The community site: a leaderboard of the watched players, each player's page, match
scoreboards, head-to-head, search, and a JSON API with an OpenAPI document; an ASGI app
(Litestar) served by uvicorn. `halotrack serve` runs it."""

from __future__ import annotations

from halotrack.site.app import make_app, serve

__all__ = ["make_app", "serve"]
