"""discovery-infiniteugc: published versions of playlists, maps, map-mode pairs, game variants.

A given asset version never changes, so these are cached on disk with their ETag.
"""

from __future__ import annotations

import uuid
from typing import Any

from halotrack.waypoint._base import Service
from halotrack.waypoint.players import parse_match_id


class DiscoveryService(Service):
    """`discovery-infiniteugc.svc.halowaypoint.com`."""

    name = "discovery"

    async def _version(
        self, collection: str, kind: str, asset_id: str | uuid.UUID, version_id: str | uuid.UUID
    ) -> Any:
        aid, vid = parse_match_id(asset_id), parse_match_id(version_id)
        return await self._get(
            f"/hi/{collection}/{aid}/versions/{vid}",
            kind=kind,
            cacheable=True,
            not_found=f"no such {kind} version",
        )

    async def playlist(self, asset_id: str | uuid.UUID, version_id: str | uuid.UUID) -> Any:
        return await self._version("playlists", "playlist", asset_id, version_id)

    async def map(self, asset_id: str | uuid.UUID, version_id: str | uuid.UUID) -> Any:
        return await self._version("maps", "map", asset_id, version_id)

    async def map_mode_pair(self, asset_id: str | uuid.UUID, version_id: str | uuid.UUID) -> Any:
        return await self._version("mapModePairs", "map-mode-pair", asset_id, version_id)

    async def game_variant(self, asset_id: str | uuid.UUID, version_id: str | uuid.UUID) -> Any:
        return await self._version("ugcGameVariants", "game-variant", asset_id, version_id)
