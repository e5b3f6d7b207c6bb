"""discovery-infiniteugc: published versions of playlists, maps, map-mode pairs, game variants.

A given asset version never changes, so these are cached on disk with their ETag.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from halotrack.models import GameVariantVersion, MapModePairVersion, MapVersion, PlaylistVersion
from halotrack.waypoint._base import Service
from halotrack.waypoint.players import parse_match_id

T = TypeVar("T")
AssetId = str | uuid.UUID


class DiscoveryService(Service):
    """`discovery-infiniteugc.svc.halowaypoint.com`."""

    name = "discovery"

    async def _version(
        self, collection: str, model: type[T], asset_id: AssetId, version_id: AssetId
    ) -> T:
        aid = parse_match_id(asset_id, "asset id")
        vid = parse_match_id(version_id, "version id")
        return await self._get(
            f"/hi/{collection}/{aid}/versions/{vid}",
            model=model,
            cacheable=True,
            not_found=f"no such {collection} asset version",
        )

    async def playlist(self, asset_id: AssetId, version_id: AssetId) -> PlaylistVersion:
        """A playlist version: public name, description, rotation."""
        return await self._version("playlists", PlaylistVersion, asset_id, version_id)

    async def map(self, asset_id: AssetId, version_id: AssetId) -> MapVersion:
        return await self._version("maps", MapVersion, asset_id, version_id)

    async def map_mode_pair(self, asset_id: AssetId, version_id: AssetId) -> MapModePairVersion:
        return await self._version("mapModePairs", MapModePairVersion, asset_id, version_id)

    async def game_variant(self, asset_id: AssetId, version_id: AssetId) -> GameVariantVersion:
        return await self._version("ugcGameVariants", GameVariantVersion, asset_id, version_id)
