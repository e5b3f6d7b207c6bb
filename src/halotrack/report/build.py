"""Fill the page's inputs from the snapshot store: `build_page_data(store, xuid, now=...)`.

Why separate from `data.py`: the contract and its assembly are pure and testable from
sample files; this module is the only place that knows the store's public API and the
metadata-cache keys the page reads.

Metadata the page reads from the store's cache, as (kind, key); missing ones degrade to
fallbacks (dates instead of names, text badges instead of medal icons):

- `METADATA_MEDALS`, `METADATA_SEASON_CALENDAR`, `METADATA_CSR_CALENDAR`,
  `METADATA_CAREER_TRACK`: kind `gamecms`, key the API request path.
- season metadata files: (`gamecms`, `/hi/Progression/file/<SeasonMetadata path>`).
- playlist names: (`playlist`, `<asset id, lower case>`), body a discovery playlist version
  (`PublicName`).
- medal sprite sheet: (`image`, `<sprite path from the medal metadata>`), body the image
  bytes in base64 (the cache stores text).
- career rank: (`career_rank`, `<xuid>`), body the economy career-rank progress response.

Recent matches come from `StoreReader.player_matches` (newest 25).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from halotrack.errors import Unknown
from halotrack.models.csr import csr_reading
from halotrack.models.discovery import UgcAsset
from halotrack.models.economy import CareerRankProgress
from halotrack.models.enums import GameVariantCategory, Outcome
from halotrack.models.gamecms import (
    CareerRankTrack,
    CsrSeasonCalendar,
    MedalMetadata,
    SeasonCalendar,
    SeasonMetadata,
)
from halotrack.models.xuid import parse_xuid
from halotrack.report.data import (
    RECENT_MATCHES,
    CsrPoint,
    CsrReading,
    HistoryPoint,
    ListedMatch,
    PageData,
    PageInputs,
    RecordSnapshot,
    assemble,
)
from halotrack.report.insights import InsightReader, read_insights
from halotrack.store import CachedMetadata, CsrSnapshot, Scope, Store, StoredPlayer, StoreReader
from halotrack.store.history import resolve_player
from halotrack.store.matches import MatchLine, PlayerMatch
from halotrack.usecases.seasons import calendar_pairs, season_name

METADATA_MEDALS = ("gamecms", "/hi/Waypoint/file/medals/metadata.json")
METADATA_SEASON_CALENDAR = ("gamecms", "/hi/progression/file/calendars/seasons/seasoncalendar.json")
METADATA_CSR_CALENDAR = ("gamecms", "/hi/Progression/file/Csr/Calendars/CsrSeasonCalendar.json")
METADATA_CAREER_TRACK = (
    "gamecms",
    "/hi/Progression/file/RewardTracks/CareerRanks/careerRank1.json",
)

T = TypeVar("T")

Docs = Mapping[tuple[str, str], CachedMetadata]
"""Cached metadata read at once (`StoreReader.metadata_of`), by (kind, key)."""


def _decoded(docs: Docs, key: tuple[str, str], model: type[T]) -> T | None:
    """A cached document through its model; None when it is not cached or not that shape
    (the page then falls back, as when it was never fetched)."""
    cached = docs.get(key)
    return cached.decoded(model) if cached is not None else None


def _season_file(path: str) -> tuple[str, str]:
    return "gamecms", f"/hi/Progression/file/{path}"


def season_names(tx: StoreReader, calendar: SeasonCalendar | None) -> dict[str, str]:
    """Public names of seasons whose metadata file is cached, keyed by `Seasons/...` path."""
    paths = [s.season_metadata for s in calendar.seasons if s.season_metadata] if calendar else []
    docs = tx.metadata_of(_season_file(p) for p in paths)
    names: dict[str, str] = {}
    for path in paths:
        meta = _decoded(docs, _season_file(path), SeasonMetadata)
        if meta is not None and meta.title:
            names[path] = meta.title
    return names


def playlist_names(tx: StoreReader, playlist_ids: Sequence[str]) -> dict[str, str]:
    """Public names of the playlists whose discovery version is cached."""
    docs = tx.metadata_of(("playlist", pid.lower()) for pid in playlist_ids)
    names: dict[str, str] = {}
    for pid in playlist_ids:
        version = _decoded(docs, ("playlist", pid.lower()), UgcAsset)
        if version is not None and version.public_name.strip():
            names[pid] = version.public_name.strip()
    return names


def sprite_bytes(tx: StoreReader, medals: MedalMetadata | None) -> bytes | None:
    sheet = medals.sprite_sheet() if medals is not None else None
    cached = tx.get_metadata("image", sheet.path) if sheet is not None else None
    if cached is None:
        return None
    try:
        return base64.b64decode(cached.body, validate=True)
    except (binascii.Error, ValueError):
        return None


def career_rank(docs: Docs, xuid: int) -> str | None:
    """`Cadet Bronze 1` from the cached progress and the career track, when both are cached
    (among the documents `page_documents` read)."""
    progress = _decoded(docs, _progress(xuid), CareerRankProgress)
    track = _decoded(docs, METADATA_CAREER_TRACK, CareerRankTrack)
    if progress is None or progress.current_progress is None or track is None:
        return None
    rank = track.rank(progress.rank)
    return rank.title if rank is not None else f"Rank {progress.rank}"


def label_or_dash(value: int | None, enum: type[Outcome] | type[GameVariantCategory]) -> str:
    """An enum number's label, or the dash the page and the site show where none is stored."""
    return "–" if value is None else enum.label(value)


def mode_shown(m: MatchLine) -> str:
    """The mode a stored match is listed under, on the page and the site: the game
    variant's name once its asset is fetched, else its category's."""
    return m.mode_name or label_or_dash(m.game_variant_category, GameVariantCategory)


def playlist_shown(m: MatchLine) -> str:
    """The playlist a stored match is listed under; a custom or local game says so."""
    return m.playlist_name or m.game_label or "–"


def listed_match(m: PlayerMatch) -> ListedMatch:
    """How a stored match is listed from its player's side, on the page and in the API."""
    return ListedMatch(
        match_id=m.match_id,
        start_time=m.start_time,
        mode=mode_shown(m),
        map=m.map_name or "–",
        playlist=playlist_shown(m),
        outcome=label_or_dash(m.outcome, Outcome),
        kills=m.kills,
        deaths=m.deaths,
        assists=m.assists,
        csr_before=csr_reading(m.csr_pre),
        csr_after=csr_reading(m.csr_post),
    )


def recent_matches(tx: StoreReader, xuid: int, limit: int = RECENT_MATCHES) -> list[ListedMatch]:
    """The newest synced matches from the store's match tables (empty until synced)."""
    return [listed_match(m) for m in tx.player_matches(xuid, limit=limit)]


def player_names(tx: StoreReader, player: StoredPlayer) -> tuple[str, tuple[str, ...]]:
    """The gamertag a player is shown by and the earlier ones (newest first, each once),
    as the page and the site's player view name them."""
    tags = [g.gamertag for g in tx.gamertag_history(player.xuid)]
    current = player.gamertag or (tags[-1] if tags else str(player.xuid))
    return current, tuple(dict.fromkeys(t for t in reversed(tags) if t != current))


def read_inputs(
    tx: StoreReader, xuid: int | str, *, matches: Sequence[ListedMatch] | None = None
) -> PageInputs:
    """Everything the page needs for one player, read in one consistent transaction.
    `matches` replaces the stored matches (benchmarks, tests); None reads the store's."""
    x = parse_xuid(xuid)
    player = tx.get_player(x)
    if player is None:
        raise Unknown(
            f"no player with XUID {x} in the database",
            hint="add the player with `halotrack watch add` and run `halotrack track --once`",
        )
    current, previous = player_names(tx, player)

    lifetime_row = tx.latest_record(x, "matchmade", Scope())
    lifetime = RecordSnapshot(lifetime_row.captured_at, lifetime_row.raw) if lifetime_row else None
    seasons: dict[str, RecordSnapshot] = {}
    for kind, key in tx.record_scopes(x):
        if kind != "matchmade" or key == "lifetime":
            continue
        scope = Scope.parse(key)
        if scope.season_id is None or scope.has_matchmade_filters:
            continue
        row = tx.latest_record(x, "matchmade", scope)
        if row is not None:
            seasons[scope.season_id] = RecordSnapshot(row.captured_at, row.raw)

    history = [
        HistoryPoint(
            captured_at=r.captured_at,
            matches=r.matches_completed or 0,
            wins=r.wins or 0,
            losses=r.losses or 0,
            ties=r.ties or 0,
            kills=r.kills or 0,
            deaths=r.deaths or 0,
            assists=r.assists or 0,
            time_played=timedelta(seconds=r.time_played_seconds or 0),
        )
        for r in tx.records_history(x, Scope())
    ]

    latest_csr: dict[str, CsrSnapshot] = {}
    csr_points: list[CsrPoint] = []
    for reading in tx.csr_history(x):  # oldest first: the last per playlist is current
        latest_csr[reading.playlist_id] = reading
        value = reading.current_value if reading.current_value is not None else -1
        csr_points.append(CsrPoint(reading.captured_at, reading.playlist_id, value))
    csr = [CsrReading(pid, r.captured_at, r.raw) for pid, r in latest_csr.items()]

    verified = [r.verified_at for r in latest_csr.values()]
    if lifetime_row is not None:
        verified.append(lifetime_row.verified_at)
    docs = page_documents(tx, x)
    medals = _decoded(docs, METADATA_MEDALS, MedalMetadata)
    calendar = _decoded(docs, METADATA_SEASON_CALENDAR, SeasonCalendar)
    return PageInputs(
        xuid=str(x),
        gamertag=current,
        previous_gamertags=previous,
        career_rank=career_rank(docs, x),
        lifetime=lifetime,
        seasons=seasons,
        csr=csr,
        history=history,
        csr_history=csr_points,
        matches=recent_matches(tx, x) if matches is None else matches,
        medals_metadata=medals,
        medal_sprite_png=sprite_bytes(tx, medals),
        season_calendar=calendar,
        csr_calendar=_decoded(docs, METADATA_CSR_CALENDAR, CsrSeasonCalendar),
        season_names=season_names(tx, calendar),
        playlist_names=playlist_names(tx, list(latest_csr)),
        checked_at=max(verified, default=None),
        matches_synced_at=_synced_at(tx, x),
    )


def page_documents(tx: StoreReader, xuid: int) -> Docs:
    """The cached documents every page reads, in one query: medals, both calendars, the
    career track and the player's career rank progress. Those named in these (season
    files, the sprite sheet) and the CSR playlists' are read after, a query for each kind."""
    return tx.metadata_of(
        (
            METADATA_MEDALS,
            METADATA_SEASON_CALENDAR,
            METADATA_CSR_CALENDAR,
            METADATA_CAREER_TRACK,
            _progress(xuid),
        )
    )


def _progress(xuid: int) -> tuple[str, str]:
    return "career_rank", str(xuid)


def _synced_at(tx: StoreReader, xuid: int) -> datetime | None:
    """When the player's own match history was last synced; None if it never was."""
    state = tx.get_sync_state(xuid)
    return state.updated_at if state.newest_match_id is not None else None


def build_page_data(
    store: Store,
    xuid: int | str,
    *,
    now: datetime | None = None,
    matches: Sequence[ListedMatch] | None = None,
    insights: InsightReader = read_insights,
) -> PageData:
    """The page for one player from the store. `matches`, when given, replaces the stored
    matches (newest first or not: they are sorted). The insight sections come from the
    stored matches through the insight use cases, in the same read (one connection), by
    `insights` (the site's answers them from its per-player cache)."""
    with store.reader() as tx:
        inputs = read_inputs(tx, xuid, matches=matches)
        pairs = calendar_pairs(inputs.season_calendar)

        def season_label(season_id: str) -> str:
            return season_name(season_id, pairs, inputs.season_names)

        sections = insights(tx, parse_xuid(xuid), season_label)
    data = assemble(inputs, now=now or datetime.now(UTC))
    return dataclasses.replace(data, insights=sections)


def dumps_sprite(png: bytes) -> str:
    """How a sprite sheet is put in the metadata cache (text column): base64."""
    return base64.b64encode(png).decode("ascii")


def find_xuid(store: Store, player: str) -> int:
    """A stored player's XUID from a XUID or any gamertag they have had."""
    return resolve_player(store, player).xuid
