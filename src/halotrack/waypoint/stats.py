"""halostats: service records, match history, match counts, match stats."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import AsyncIterator, Callable
from enum import IntEnum

from halotrack.errors import ConfigError
from halotrack.models import MatchCount, MatchHistory, MatchHistoryEntry, MatchStats, ServiceRecord
from halotrack.models.enums import HISTORY_TYPES, RECORD_KINDS, GameplayInteraction
from halotrack.models.xmlnames import parse_xml
from halotrack.waypoint._base import Service, encode_query
from halotrack.waypoint.players import Player, parse_match_id, parse_player
from halotrack.waypoint.transport import HINT_404_PLAYER

XML_TYPE = "application/xml"


def _xml_body(body: bytes, url: str) -> bytes:
    """Check the XML parses inside the retry loop (a body cut short is retried)."""
    parse_xml(body, url)
    return body


MAX_PAGE = 25


def record_kind(kind: str) -> str:
    """`matchmade`/`custom`/`local` (any case) -> the word the path wants."""
    word = RECORD_KINDS.get(str(kind).strip().lower())
    if word is None:
        raise ConfigError(
            f"unknown service record kind {kind!r}", hint="use matchmade, custom or local"
        )
    return word


def season_param(season_id: str) -> str:
    """A season id as the record endpoint takes it (`Csr/Seasons/CsrSeason5-1.json`)."""
    text = season_id.strip()
    if not text or any(unicodedata.category(c).startswith("C") for c in text):
        raise ConfigError(f"bad season id {season_id!r}", hint="see `halotrack seasons`")
    return text


def _interaction(value: int | str) -> int:
    if isinstance(value, str):
        names = {m.name.lower(): int(m) for m in GameplayInteraction}
        key = value.strip().lower()
        if key in names:
            return names[key]
        if key.isdigit():
            return int(key)
        raise ConfigError(f"unknown gameplay interaction {value!r}", hint="use pvp, pve or pvpve")
    return int(value)


class StatsService(Service):
    """`halostats.svc.halowaypoint.com`."""

    name = "stats"

    async def service_record(
        self,
        player: int | str | Player,
        *,
        kind: str = "matchmade",
        season_id: str | None = None,
        game_variant_category: int | IntEnum | None = None,
        is_ranked: bool | None = None,
        playlist_asset_id: str | uuid.UUID | None = None,
        gameplay_interaction: int | str | None = None,
    ) -> ServiceRecord:
        """The player's service record; filters other than the season apply to matchmade
        records only (the API refuses them on custom and local records, so we do first)."""
        who = parse_player(player)
        word = record_kind(kind)
        filters = {
            "game_variant_category": game_variant_category,
            "is_ranked": is_ranked,
            "playlist_asset_id": playlist_asset_id,
            "gameplay_interaction": gameplay_interaction,
        }
        used = [name for name, value in filters.items() if value is not None]
        if used and word != "Matchmade":
            raise ConfigError(
                f"{', '.join(used)} only filter matchmade records, not {word.lower()} ones",
                hint="drop the filter or use --kind matchmade",
            )
        pairs: list[tuple[str, str]] = []
        if season_id is not None:
            pairs.append(("seasonId", season_param(season_id)))
        if game_variant_category is not None:
            pairs.append(("gameVariantCategory", str(int(game_variant_category))))
        if is_ranked is not None:
            pairs.append(("isRanked", "true" if is_ranked else "false"))
        if playlist_asset_id is not None:
            pairs.append(("playlistAssetId", parse_match_id(playlist_asset_id, "playlist id")))
        if gameplay_interaction is not None:
            pairs.append(("gameplayInteraction", str(_interaction(gameplay_interaction))))
        query = encode_query(pairs) if pairs else ""
        return await self._player_get(who, f"{word}/servicerecord", query, model=ServiceRecord)

    async def match_history(
        self,
        player: int | str | Player,
        *,
        start: int = 0,
        count: int = MAX_PAGE,
        type: str = "all",
    ) -> MatchHistory:
        """One page of match history, newest first (at most 25 per page)."""
        who = parse_player(player)
        if type not in HISTORY_TYPES:
            raise ConfigError(
                f"unknown match type {type!r}", hint=f"use {', '.join(HISTORY_TYPES)}"
            )
        if not 1 <= count <= MAX_PAGE or start < 0:
            raise ConfigError(f"bad page: start={start} count={count}", hint="count is 1..25")
        query = f"start={start}&count={count}&type={type}"
        return await self._player_get(who, "matches", query, model=MatchHistory)

    async def iter_match_history(
        self,
        player: int | str | Player,
        *,
        type: str = "all",
        page_size: int = MAX_PAGE,
        start: int = 0,
        stop: Callable[[MatchHistoryEntry], bool] | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[MatchHistoryEntry]:
        """Every match, newest first, page by page. Stops before the first match for which
        `stop(match)` is true (an incremental sync's "already stored"), after `limit`
        matches, or at the last page."""
        who = parse_player(player)
        seen = 0
        while True:
            page = await self.match_history(who, start=start, count=page_size, type=type)
            results = page.results
            for match in results:
                if stop is not None and stop(match):
                    return
                yield match
                seen += 1
                if limit is not None and seen >= limit:
                    return
            if not results or page.result_count < page_size:
                return
            start += len(results)

    async def match_count(self, player: int | str | Player) -> MatchCount:
        """How many matches the player has, by kind."""
        return await self._player_get(parse_player(player), "matches/count", model=MatchCount)

    async def service_record_xml(
        self, player: int | str | Player, *, kind: str = "matchmade"
    ) -> bytes:
        """The unfiltered record's XML form, in which enum values carry their names (one
        request; `models.xmlnames` pairs it with the JSON form)."""
        who = parse_player(player)
        path = f"/hi/players/{who.segment}/{record_kind(kind)}/servicerecord"
        return await self._xml(path, HINT_404_PLAYER)

    async def match_stats_xml(self, match_id: str | uuid.UUID) -> bytes:
        """One match's stats in their XML form (enum values by name)."""
        return await self._xml(f"/hi/matches/{parse_match_id(match_id)}/stats", "no such match")

    async def _xml(self, path: str, not_found: str) -> bytes:
        fetched = await self._transport.get(
            self.name, path, accept=XML_TYPE, decode=_xml_body, not_found=not_found
        )
        return fetched.raw

    async def match_stats(self, match_id: str | uuid.UUID) -> MatchStats:
        """Full stats of one match (never changes once written)."""
        mid = parse_match_id(match_id)
        return await self._get(
            f"/hi/matches/{mid}/stats",
            model=MatchStats,
            not_found="no such match (or it is too old to be kept)",
        )
