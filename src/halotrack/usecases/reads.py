"""Live reads for the `record`, `csr`, `seasons`, `medals` and `playlists` commands.

Why here: which season a user meant, which ranked playlists count and what a playlist is
called are decisions, not display; the CLI parses arguments, calls one function here and
renders the plain data it gets back. Nothing here prints: warnings go to a `warn` callback
as they happen, so one still shows when a later step fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from halotrack.errors import ConfigError, NotFound, ParseError
from halotrack.models import (
    Csr,
    MedalMetadata,
    PlaylistAsset,
    SeasonEntry,
    ServiceRecord,
    csr_season_id,
)
from halotrack.models.csr import csr_label
from halotrack.models.export import to_jsonable
from halotrack.models.names import MedalBook, MedalInfo
from halotrack.usecases.metadata import find_playlist
from halotrack.usecases.seasons import (
    calendar_pairs,
    current_season,
    find_csr_season,
    find_season,
    season_name,
    season_record_id,
)
from halotrack.waypoint import Player, WaypointClient
from halotrack.waypoint.players import parse_match_id


async def season_names(client: WaypointClient, entries: Sequence[SeasonEntry]) -> dict[str, str]:
    """Public names (`Name` of the season metadata file) of these calendar entries, keyed
    by metadata file, for `season_name`; a file that cannot be read is left out."""

    async def name(path: str) -> str | None:
        try:
            meta = await client.gamecms.season_metadata(path)
        except (NotFound, ParseError):
            return None
        return meta.title

    paths = list(dict.fromkeys(e.season_metadata for e in entries if e.season_metadata))
    found = await asyncio.gather(*(name(p) for p in paths))
    return {p: n for p, n in zip(paths, found, strict=True) if n}


async def playlist_name(client: WaypointClient, pid: str, asset: PlaylistAsset) -> str:
    """The public name of a playlist (discovery), else the asset's hint, else its id."""
    if not asset.ugc_playlist_version:
        return asset.name_hint or pid
    try:
        version = await client.discovery.playlist(pid, asset.ugc_playlist_version)
    except NotFound:
        return asset.name_hint or pid
    return version.public_name or asset.name_hint or pid


# ----- record


@dataclass
class RecordRead:
    record: ServiceRecord
    medals: MedalBook
    season_id: str | None
    label: str  # "all seasons", or the season's name and dates


async def read_record(
    client: WaypointClient, who: Player, kind: str, season: str | None
) -> RecordRead:
    """A player's service record, all seasons or the one `season` names, with medal names."""
    season_id: str | None = None
    label = "all seasons"
    if season is not None:
        calendar = await client.gamecms.season_calendar()
        entry = find_season(calendar, season, client.now())
        season_id = season_record_id(entry)
        spanned = [e for e in calendar.seasons if season_record_id(e) == season_id]
        names = await season_names(client, spanned)
        label = f"{season_name(season_id or '', calendar_pairs(calendar), names)} "
        label += f"({entry.date_label})"
    record, metadata = await asyncio.gather(
        client.stats.service_record(who, kind=kind, season_id=season_id),
        client.gamecms.medal_metadata(),
    )
    return RecordRead(record, MedalBook(metadata), season_id, label)


# ----- csr


def csr_text(csr: Csr | None, *, short: bool = False) -> str:
    if csr is None:
        return "-"
    return csr_label(
        csr.value, csr.tier, csr.sub_tier, csr.measurement_matches_remaining, short=short
    )


def csr_max_text(csr: Csr | None) -> str:
    if csr is None:
        return "-"
    return csr_label(csr.value, csr.tier, csr.sub_tier)


def _played(csr: Csr | None) -> bool:
    """True when the reading shows a match in its season: rated, or placement begun."""
    if csr is None:
        return False
    return csr.is_ranked or csr.measurement_matches_remaining < csr.initial_measurement_matches


@dataclass
class CsrRow:
    data: dict[str, Any]  # what --json prints
    labels: tuple[str, str, str]  # current (short), season max, all-time max: for tables


@dataclass
class CsrRead:
    rows: list[CsrRow]
    quiet: list[str]  # ranked playlists nobody played in the season: left out
    season_label: str


Warn = Callable[[str], None]


def _ignore(_: str) -> None:
    return None


async def ranked_playlists(
    client: WaypointClient, xuids: Sequence[int], warn: Warn = _ignore
) -> tuple[list[tuple[str, PlaylistAsset]], list[int]]:
    """Ranked playlists the players have played, from their matchmade records, and the
    players that exist. A player without a record does not exist: alone, that is the error
    ("no such player"), not an empty list of playlists; among others, a warning."""

    async def record_of(xuid: int) -> ServiceRecord | NotFound:
        try:
            return await client.stats.service_record(xuid)
        except NotFound as exc:
            return exc

    records = await asyncio.gather(*(record_of(x) for x in xuids))
    missing = [(x, r) for x, r in zip(xuids, records, strict=True) if isinstance(r, NotFound)]
    if missing and len(missing) == len(xuids):
        raise missing[0][1]
    for xuid, _ in missing:
        warn(f"xuid({xuid}): no such player (or a private record): left out")
    ids: list[str] = []
    for record in records:
        if isinstance(record, NotFound):
            continue
        for pid in (record.subqueries.playlist_asset_ids if record.subqueries else None) or []:
            if pid.lower() not in ids:
                ids.append(pid.lower())
    assets = await asyncio.gather(*(client.gamecms.playlist_asset(pid) for pid in ids))
    known = [x for x, r in zip(xuids, records, strict=True) if not isinstance(r, NotFound)]
    ranked = [(pid, asset) for pid, asset in zip(ids, assets, strict=True) if asset.has_csr]
    return ranked, known


async def _csr_season(client: WaypointClient, season: str | None) -> tuple[str | None, str]:
    """The bare CSR season id a user meant (None: current) and its name for titles."""
    if season is None:
        return None, "current season"
    bare = find_csr_season(await client.gamecms.csr_season_calendar(), season)
    seasons = await client.gamecms.season_calendar()
    key = bare.lower()
    spanned = [e for e in seasons.seasons if (e.csr_season_id or "").lower() == key]
    public = await season_names(client, spanned)
    return bare, f"{season_name(bare, calendar_pairs(seasons), public)} ({bare})"


async def _csr_playlists(
    client: WaypointClient, xuids: list[int], playlist: str | None, warn: Warn
) -> tuple[list[tuple[str, PlaylistAsset]], list[str], list[int]]:
    """The playlists to show (id, asset), their names, and the players that exist."""
    wanted: str | None = None
    if playlist is not None:
        try:  # an id costs no lookup of the players' playlists
            wanted = parse_match_id(playlist, "playlist id")
        except ConfigError:
            wanted = None
    if wanted is not None:
        playlists = [(wanted, await client.gamecms.playlist_asset(wanted))]
    else:
        playlists, xuids = await ranked_playlists(client, xuids, warn)
        if not playlists:
            raise ConfigError(
                "these players have no ranked playlist in their record",
                hint="pass --playlist ID (see `halotrack playlists`)",
            )
    labels = await asyncio.gather(*(playlist_name(client, p, a) for p, a in playlists))
    if playlist is not None and wanted is None:
        pid = find_playlist(dict(zip((p for p, _ in playlists), labels, strict=True)), playlist)
        keep = [i for i, (p, _) in enumerate(playlists) if p == pid]
        playlists, labels = [playlists[i] for i in keep], [labels[i] for i in keep]
    return playlists, list(labels), xuids


async def read_csr(
    client: WaypointClient,
    who: Sequence[Player],
    *,
    playlist: str | None = None,
    all_ranked: bool = False,
    season: str | None = None,
    warn: Warn = _ignore,
) -> CsrRead:
    """CSR per player and ranked playlist: by default the ranked playlists any of the
    players played in the season; `all_ranked` adds the others they ever played;
    `playlist` picks one by name or id."""
    if playlist is not None and all_ranked:
        raise ConfigError("use either --playlist or --all-ranked, not both")
    season_bare, season_label = await _csr_season(client, season)
    xuids = list(await asyncio.gather(*(client.profile.xuid_for(str(p)) for p in who)))
    names = {x: str(p) for x, p in zip(xuids, who, strict=True)}
    playlists, labels, xuids = await _csr_playlists(client, xuids, playlist, warn)
    out = CsrRead([], [], season_label)
    for (pid, _), name in zip(playlists, labels, strict=True):
        result = await client.skill.playlist_csr(pid, xuids, season=season_bare)
        for bad in result.bad:
            warn(f"the skill service refused xuid({bad}) for {name}: left out")
        group: list[CsrRow] = []
        played = False
        for xuid, entry in result.entries.items():
            res = entry.result
            trio = (res.current, res.season_max, res.all_time_max) if res else (None,) * 3
            played = played or _played(trio[0]) or _played(trio[1])
            row = {
                "player": names.get(xuid, f"xuid({xuid})"),
                "xuid": xuid,
                "playlist": name,
                "playlist_id": pid,
                "season": season_bare or "current",
                "result_code": entry.result_code,
                "current": csr_text(trio[0]),
                "season_max": csr_text(trio[1]),
                "all_time_max": csr_text(trio[2]),
                "csr": to_jsonable(res) if res else None,
            }
            # Tables get short labels so they fit 80 columns: "Unranked (3 left)" for the
            # current CSR, and the maxima without a repeat of the placement count.
            short = (csr_text(trio[0], short=True), csr_max_text(trio[1]), csr_max_text(trio[2]))
            group.append(CsrRow(row, short))
        if played or all_ranked or playlist is not None:
            out.rows.extend(group)
        else:
            out.quiet.append(name)
    return out


# ----- seasons, medals, playlists


async def read_seasons(client: WaypointClient) -> list[dict[str, Any]]:
    """Every season of the calendar with the ids `record --season` and `csr --season` take."""
    calendar = await client.gamecms.season_calendar()
    now = current_season(calendar, client.now()) if calendar.seasons else None
    names = await season_names(client, calendar.seasons)
    pairs = calendar_pairs(calendar)
    return [
        {
            "name": season_name(e.season_metadata or season_record_id(e) or "", pairs, names),
            "season_id": season_record_id(e),
            "csr_season": csr_season_id(e.csr_season_file_path),
            "metadata": e.season_metadata,
            "start": e.start.isoformat() if e.start else None,
            "end": e.end.isoformat() if e.end else None,
            "current": e is now,
        }
        for e in calendar.seasons
    ]


async def read_medals(client: WaypointClient) -> tuple[list[MedalInfo], MedalMetadata]:
    """Every medal the game knows, in the game's order (type, weight, name)."""
    metadata = await client.gamecms.medal_metadata()
    book = MedalBook(metadata)
    infos = sorted(
        (book.info(m.name_id) for m in metadata.medals),
        key=lambda i: (i.type, i.sorting_weight, i.name),
    )
    return infos, metadata


async def read_playlists(client: WaypointClient, who: Player | None) -> list[dict[str, Any]]:
    """The playlists a player (default: the signed-in user) has played, named."""
    target: Player | int = who if who is not None else (await client.profile.me()).xuid_int or 0
    if not target:
        raise ConfigError("cannot tell who is signed in", hint="pass a PLAYER")
    record = await client.stats.service_record(target)
    ids = (record.subqueries.playlist_asset_ids if record.subqueries else None) or []
    assets = await asyncio.gather(*(client.gamecms.playlist_asset(pid) for pid in ids))
    names = await asyncio.gather(
        *(playlist_name(client, pid, a) for pid, a in zip(ids, assets, strict=True))
    )
    return [
        {
            "name": name,
            "playlist_id": pid,
            "version_id": asset.ugc_playlist_version,
            "ranked": asset.has_csr,
            "experience": asset.experience_name,
        }
        for pid, asset, name in zip(ids, assets, names, strict=True)
    ]
