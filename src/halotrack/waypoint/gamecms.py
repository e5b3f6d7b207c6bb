"""gamecms-hacs: calendars, progression files, medal metadata, playlist assets, images.

These files change rarely, so every request revalidates against the on-disk ETag cache.
"""

from __future__ import annotations

import uuid
from typing import Any

from halotrack.models import (
    CareerRankTrack,
    CsrSeasonCalendar,
    MedalMetadata,
    PlaylistAsset,
    SeasonCalendar,
    SeasonMetadata,
)
from halotrack.waypoint._base import Service
from halotrack.waypoint.players import escape_file_path, parse_match_id
from halotrack.waypoint.transport import Fetched

CAREER_RANK_TRACK = "RewardTracks/CareerRanks/careerRank1.json"


class GameCmsService(Service):
    """`gamecms-hacs.svc.halowaypoint.com`."""

    name = "gamecms"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._medal_names: dict[int, str] | None = None

    async def season_calendar(self) -> SeasonCalendar:
        """Seasons with their metadata file, CSR season, operation track and dates."""
        return await self._get(
            "/hi/progression/file/calendars/seasons/seasoncalendar.json",
            model=SeasonCalendar,
            cacheable=True,
        )

    async def csr_season_calendar(self) -> CsrSeasonCalendar:
        """Ranked (CSR) seasons and their dates."""
        return await self._get(
            "/hi/Progression/file/Csr/Calendars/CsrSeasonCalendar.json",
            model=CsrSeasonCalendar,
            cacheable=True,
        )

    async def season_metadata(self, path: str) -> SeasonMetadata:
        """A season's metadata file (`SeasonMetadata` of a calendar entry): its public name."""
        return await self._get(
            f"/hi/Progression/file/{escape_file_path(path)}",
            model=SeasonMetadata,
            cacheable=True,
            not_found=f"no season metadata file {path!r}",
        )

    async def career_rank_track(self, path: str = CAREER_RANK_TRACK) -> CareerRankTrack:
        """The career rank reward track (272 ranks and their XP)."""
        return await self._get(
            f"/hi/Progression/file/{escape_file_path(path)}",
            model=CareerRankTrack,
            cacheable=True,
            not_found=f"no career rank track {path!r}",
        )

    async def medal_metadata(self) -> MedalMetadata:
        """Medal names, descriptions, difficulty, type and sprite positions."""
        return await self._get(
            "/hi/Waypoint/file/medals/metadata.json", model=MedalMetadata, cacheable=True
        )

    async def medal_names(self) -> dict[int, str]:
        """NameId -> English medal name, fetched once per client."""
        if self._medal_names is None:
            meta = await self.medal_metadata()
            self._medal_names = {m.name_id: m.name.value for m in meta.medals}
        return self._medal_names

    async def playlist_asset(self, playlist_id: str | uuid.UUID) -> PlaylistAsset:
        """A playlist's configuration (`HasCsr`, `UgcPlaylistVersion`, experience)."""
        pid = parse_match_id(playlist_id, "playlist id")
        return await self._get(
            f"/hi/Multiplayer/file/playlists/assets/{pid}.json",
            model=PlaylistAsset,
            cacheable=True,
            not_found="no such playlist",
        )

    async def image(self, path: str) -> bytes:
        """An image file (medal sprite sheet, rank icon) as bytes."""
        fetched: Fetched[bytes] = await self._transport.get(
            self.name,
            f"/hi/images/file/{escape_file_path(path)}",
            cacheable=True,
            not_found=f"no image {path!r}",
        )
        return fetched.raw
