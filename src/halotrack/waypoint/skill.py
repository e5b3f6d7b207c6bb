"""skill: playlist CSR for any number of players, and per-match skill."""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from halotrack.errors import ConfigError, NotFound
from halotrack.models import Csr, MatchSkill, PlaylistCsr, PlaylistCsrEntry, csr_season_id
from halotrack.waypoint._base import Service, encode_query
from halotrack.waypoint.players import Player, is_bot, parse_match_id, require_xuid

log = logging.getLogger("halotrack.waypoint")

DEFAULT_CSR_BATCH = 100


def csr_season_param(season: str) -> str:
    """The CSR endpoint wants the bare id (`CsrSeason5-1`); accept the file path too."""
    text = csr_season_id(season.strip()) or ""
    if not text or not all(c.isalnum() or c in "-_." for c in text):
        raise ConfigError(f"bad CSR season {season!r}", hint="e.g. CsrSeason5-1")
    return text


@dataclass
class CsrResults:
    """CSR of many players: `entries` by XUID (each a per-player entry of the response),
    `bad` the XUIDs the API refused outright (isolated by bisecting a 404), and `responses`
    the decoded batch responses, raw bodies kept."""

    entries: dict[int, PlaylistCsrEntry] = field(default_factory=dict)
    bad: list[int] = field(default_factory=list)
    responses: list[PlaylistCsr] = field(default_factory=list)

    def current(self, xuid: int) -> Csr | None:
        """The current CSR of one player, or None (unknown, refused or not ranked yet)."""
        entry = self.entries.get(xuid)
        return entry.current if entry is not None else None


@dataclass
class _Bisect:
    """Shared by the halving searches of one `playlist_csr` call."""

    limit: int
    failures: int = 0
    error: NotFound | None = None


class SkillService(Service):
    """`skill.svc.halowaypoint.com`."""

    name = "skill"
    csr_batch_size = DEFAULT_CSR_BATCH

    async def match_skill(
        self, match_id: str | uuid.UUID, players: Iterable[int | str | Player]
    ) -> MatchSkill:
        """Per-player CSR change and expected kills/deaths for one match. Bots (`bid(...)`)
        are left out: the API fails the whole request when one is asked for."""
        mid = parse_match_id(match_id)
        xuids: list[int] = []
        for p in players:
            if isinstance(p, str) and is_bot(p):
                continue
            xuid = require_xuid(p)
            if xuid not in xuids:
                xuids.append(xuid)
        if not xuids:
            raise ConfigError("match skill needs at least one human player (bots are skipped)")
        query = encode_query(("players", f"xuid({x})") for x in xuids)
        return await self._get(
            f"/hi/matches/{mid}/skill",
            query,
            model=MatchSkill,
            not_found="no such match, or a player was not in it",
        )

    async def _csr_batch(self, playlist: str, xuids: list[int], season: str | None) -> PlaylistCsr:
        pairs = [("players", f"xuid({x})") for x in xuids]
        if season is not None:
            pairs.append(("season", season))
        return await self._get(
            f"/hi/playlist/{playlist}/csrs",
            encode_query(pairs),
            model=PlaylistCsr,
            not_found="unknown playlist or player",
        )

    async def _csr_isolating(
        self, playlist: str, xuids: list[int], season: str | None, out: CsrResults, state: _Bisect
    ) -> None:
        """Fetch one batch; on a 404 split it in halves (one after the other) until the
        refused XUIDs stand alone. When more 404s came than isolating a few bad XUIDs
        could explain and no batch was answered, the playlist or season itself is the
        likely culprit: stop rather than ask once per player."""
        if state.error is not None:
            return
        try:
            response = await self._csr_batch(playlist, xuids, season)
        except NotFound as exc:
            state.failures += 1
            if not out.responses and state.failures > state.limit:
                state.error = NotFound(
                    f"the skill service refused {state.failures} requests and answered none "
                    f"for playlist {playlist}",
                    service=self.name,
                    status=404,
                    url=exc.url,
                    hint="check the playlist id (see `halotrack playlists`) and the season",
                )
                return
            if len(xuids) == 1:
                log.warning("the skill service refuses xuid(%d): left out", xuids[0])
                out.bad.append(xuids[0])
                return
            mid = len(xuids) // 2
            await self._csr_isolating(playlist, xuids[:mid], season, out, state)
            await self._csr_isolating(playlist, xuids[mid:], season, out, state)
            return
        out.responses.append(response)
        for entry in response.value:
            xuid = entry.xuid
            if xuid is not None:
                out.entries[xuid] = entry

    async def playlist_csr(
        self,
        playlist_id: str | uuid.UUID,
        players: Iterable[int | str | Player],
        *,
        season: str | None = None,
        batch_size: int | None = None,
    ) -> CsrResults:
        """CSR of any number of players in one ranked playlist (current season unless
        `season` is given), in batches the API accepts. A 404 caused by one bad XUID is
        bisected away so every other player is still answered; the bad ones are in `.bad`.
        If every player is refused (e.g. an unknown playlist), NotFound is raised."""
        playlist = parse_match_id(playlist_id, "playlist id")
        size = batch_size or self.csr_batch_size
        if size < 1:
            raise ConfigError("CSR batch size must be at least 1")
        xuids: list[int] = []
        for p in players:
            xuid = require_xuid(p)
            if xuid not in xuids:
                xuids.append(xuid)
        if not xuids:
            raise ConfigError("no players given for the CSR lookup")
        bare = csr_season_param(season) if season is not None else None
        out = CsrResults()
        state = _Bisect(limit=2 * math.ceil(math.log2(min(size, len(xuids)) + 1)) + 4)
        await asyncio.gather(
            *(
                self._csr_isolating(playlist, xuids[i : i + size], bare, out, state)
                for i in range(0, len(xuids), size)
            )
        )
        if state.error is not None:
            raise state.error
        if not out.responses:
            raise NotFound(
                f"the skill service refused every player for playlist {playlist}",
                service=self.name,
                status=404,
                url=f"{self.base_url}/hi/playlist/{playlist}/csrs",
                hint="check the playlist id (see `halotrack playlists`) and the players",
            )
        order = {x: i for i, x in enumerate(xuids)}
        out.bad.sort(key=lambda x: order.get(x, 0))
        out.entries = dict(sorted(out.entries.items(), key=lambda kv: order.get(kv[0], 0)))
        return out

    async def playlist_csr_one(
        self, playlist_id: str | uuid.UUID, player: int | str | Player, *, season: str | None = None
    ) -> PlaylistCsr:
        """CSR of one player: the single response (NotFound when refused)."""
        xuid = require_xuid(player)
        bare = csr_season_param(season) if season is not None else None
        return await self._csr_batch(parse_match_id(playlist_id, "playlist id"), [xuid], bare)
