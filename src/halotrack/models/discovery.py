"""discovery-infiniteugc models: playlists, maps, map-mode pairs and game variants.

Why: match stats point at assets by id and version only; these answers carry the names
(`PublicName`) and descriptions a person reads.
"""

# ruff: noqa: RUF012  (msgspec copies empty list/dict defaults per instance)

from __future__ import annotations

from typing import Any

from halotrack.models._base import Leaf, Model, _RawMixin


class AssetStats(Leaf, frozen=True):
    plays_recent: int = 0
    plays_all_time: int = 0
    favorites: int = 0
    likes: int = 0
    bookmarks: int = 0
    parent_asset_count: int = 0
    average_rating: float = 0.0
    number_of_ratings: int = 0


class PrefixEndpoint(Leaf, frozen=True):
    authority_id: str | None = None
    path: str | None = None
    query_string: str | None = None
    retry_policy_id: str | None = None
    topic_name: str | None = None
    acknowledgement_type_id: int | None = None
    authentication_lifetime_extension_supported: bool | None = None
    clearance_aware: bool | None = None


class AssetFiles(Leaf, frozen=True):
    prefix: str = ""
    file_relative_paths: list[str] = []
    prefix_endpoint: PrefixEndpoint | None = None


class UgcAsset(Model, frozen=True):
    """Fields every UGC asset version shares, also used for linked assets inside one."""

    asset_id: str = ""
    version_id: str = ""
    public_name: str = ""
    description: str = ""
    tags: list[str] = []
    contributors: list[Any] = []
    asset_home: int | None = None
    asset_stats: AssetStats | None = None
    inspection_result: int | None = None
    clone_behavior: int | None = None
    order: int | None = None
    files: AssetFiles | None = None
    custom_data: dict[str, Any] | None = None

    def __str__(self) -> str:
        return self.public_name or self.asset_id


class EntryMetadata(Leaf, frozen=True):
    weight: float | None = None


class RotationEntry(UgcAsset, gc=False, frozen=True):
    """A map-mode pair in a playlist's rotation, with its weight."""

    metadata: EntryMetadata | None = None


class _AssetVersion(UgcAsset, _RawMixin, dict=True, frozen=True):
    """A whole discovery answer: unlike a linked asset inside one, it must name itself."""

    asset_id: str
    version_id: str


class PlaylistVersion(_AssetVersion, frozen=True):
    """`/hi/playlists/{assetId}/versions/{versionId}`."""

    rotation_entries: list[RotationEntry] = []


class MapVersion(_AssetVersion, frozen=True):
    """`/hi/maps/{assetId}/versions/{versionId}`."""

    prefab_links: list[Any] = []


class MapModePairVersion(_AssetVersion, frozen=True):
    """`/hi/mapModePairs/{assetId}/versions/{versionId}`: a map joined to a game variant."""

    map_link: UgcAsset | None = None
    ugc_game_variant_link: UgcAsset | None = None


class GameVariantVersion(_AssetVersion, frozen=True):
    """`/hi/ugcGameVariants/{assetId}/versions/{versionId}`."""

    engine_game_variant_link: UgcAsset | None = None


DiscoveryAsset = PlaylistVersion | MapVersion | MapModePairVersion | GameVariantVersion

__all__ = [
    "AssetFiles",
    "AssetStats",
    "DiscoveryAsset",
    "GameVariantVersion",
    "MapModePairVersion",
    "MapVersion",
    "PlaylistVersion",
    "PrefixEndpoint",
    "RotationEntry",
    "UgcAsset",
]
