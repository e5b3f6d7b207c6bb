"""Read commands: `record`, `csr`, `seasons`, `medals`, `playlists`.

Why: the quickest look at what the API says right now, without a database. Each command
validates its input first (a malformed gamertag never costs a request), builds its client
with `halotrack.wiring.client.client_from_settings` like every other command, and prints a
Rich table or, with `--json`, one JSON document.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

import typer
from rich import box
from rich.columns import Columns
from rich.table import Table

from halotrack import config
from halotrack.cli.common import console, err_console, print_json, run, state
from halotrack.errors import ConfigError, NotFound
from halotrack.models import (
    Csr,
    PlaylistAsset,
    SeasonCalendar,
    SeasonEntry,
    ServiceRecord,
    csr_season_id,
)
from halotrack.models.csr import csr_label
from halotrack.models.enums import RECORD_KINDS
from halotrack.models.export import to_jsonable
from halotrack.models.format import duration_words
from halotrack.models.names import MedalBook, PersonalScoreBook, load_personal_scores
from halotrack.usecases.metadata import find_playlist
from halotrack.usecases.seasons import calendar_pairs, season_name
from halotrack.waypoint import Player, WaypointClient, parse_player
from halotrack.waypoint.players import parse_match_id
from halotrack.wiring.client import client_from_settings

T = TypeVar("T")

SpartanOpt = Annotated[
    str | None,
    typer.Option(
        "--spartan-token",
        help="Spartan token, e.g. pasted from the browser (env HALOTRACK_SPARTAN_TOKEN)",
        show_default=False,
    ),
]
ClearanceOpt = Annotated[
    str | None,
    typer.Option(
        "--clearance", help="343-clearance id (env HALOTRACK_CLEARANCE)", show_default=False
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")]

MODE_TITLES = {
    "capture_the_flag_stats": "Capture the Flag",
    "elimination_stats": "Elimination",
    "extraction_stats": "Extraction",
    "infection_stats": "Infection",
    "oddball_stats": "Oddball",
    "zones_stats": "Zones",
    "stockpile_stats": "Stockpile",
    "vip_stats": "VIP",
    "pvp_stats": "PvP",
    "pve_stats": "PvE",
}


def _client(ctx: typer.Context, spartan_token: str | None, clearance: str | None) -> WaypointClient:
    settings = state(ctx).settings(spartan_token=spartan_token, clearance=clearance)
    return client_from_settings(settings)


async def _with_client(
    ctx: typer.Context,
    spartan_token: str | None,
    clearance: str | None,
    body: Callable[[WaypointClient], Awaitable[T]],
) -> T:
    async with _client(ctx, spartan_token, clearance) as client:
        return await body(client)


# ----- formatting


def _num(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}"


def _duration(value: timedelta | None) -> str:
    return "-" if value is None else duration_words(int(value.total_seconds()))


def _cell(value: Any) -> str:
    if isinstance(value, timedelta):
        return _duration(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return _num(value)
    return str(value)


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _csr_text(csr: Csr | None, *, short: bool = False) -> str:
    if csr is None:
        return "-"
    return csr_label(
        csr.value, csr.tier, csr.sub_tier, csr.measurement_matches_remaining, short=short
    )


def _csr_max_text(csr: Csr | None) -> str:
    if csr is None:
        return "-"
    return csr_label(csr.value, csr.tier, csr.sub_tier)


def _loc_text(value: Any) -> str | None:
    if isinstance(value, dict):
        text = value.get("value")
        return text if isinstance(text, str) and text else None
    return value if isinstance(value, str) and value else None


def _warn(text: str) -> None:
    err_console.print(f"[yellow]warning:[/] {text}", highlight=False)


# ----- seasons


_CSR_NUMBER = re.compile(r"CsrSeason(\d+)", re.IGNORECASE)


def season_record_id(entry: SeasonEntry) -> str | None:
    """The `seasonId` a service record takes for a calendar entry: from Season 5 on it is
    the CSR season file, before that the season metadata file."""
    csr = entry.csr_season_file_path
    match = _CSR_NUMBER.search(csr or "")
    if csr and match and int(match.group(1)) >= 5:
        return csr
    return entry.season_metadata or csr


def _bare(text: str) -> str:
    return (csr_season_id(text.strip()) or "").lower()


def _short(path: str) -> str:
    """`Csr/Seasons/CsrSeason5-1.json` -> `CsrSeason5-1`: what a person types back."""
    return csr_season_id(path) or ""


def current_season(calendar: SeasonCalendar, now: datetime | None = None) -> SeasonEntry:
    """The season running now, or else the latest one that has started."""
    when = now or datetime.now(UTC)
    entry = calendar.season_at(when)
    if entry is not None:
        return entry
    started = [s for s in calendar.seasons if s.start is None or s.start <= when]
    if not started:
        raise ConfigError("the season calendar lists no season yet")
    return max(started, key=lambda s: s.start or datetime.min.replace(tzinfo=UTC))


def find_season(calendar: SeasonCalendar, wanted: str, now: datetime | None = None) -> SeasonEntry:
    """The calendar entry a user meant: `current`, a record season id, a CSR season file or
    bare id (`CsrSeason5-1`), or a metadata file or bare name (`Season6`)."""
    if wanted.strip().lower() == "current":
        return current_season(calendar, now)
    key = _bare(wanted)
    for entry in calendar.seasons:
        names = {entry.csr_season_file_path, entry.season_metadata, season_record_id(entry)}
        if key in {_bare(n) for n in names if n}:
            return entry
    raise ConfigError(
        f"unknown season {wanted!r}", hint="see `halotrack seasons` for the ids, or use current"
    )


async def season_names(client: WaypointClient, entries: Sequence[SeasonEntry]) -> dict[str, str]:
    """Public names (`Name` of the season metadata file) of these calendar entries, keyed
    by metadata file, for `season_name`; a file that cannot be read is left out."""

    async def name(path: str) -> str | None:
        try:
            meta = await client.gamecms.season_metadata(path)
        except NotFound:
            return None
        return _loc_text(meta.get("Name")) if isinstance(meta, dict) else None

    paths = list(dict.fromkeys(e.season_metadata for e in entries if e.season_metadata))
    found = await asyncio.gather(*(name(p) for p in paths))
    return {p: n for p, n in zip(paths, found, strict=True) if n}


# ----- record


def _record_json(
    record: ServiceRecord,
    player: Player,
    kind: str,
    season: str | None,
    medals: MedalBook,
    scores: PersonalScoreBook,
) -> dict[str, Any]:
    return {
        "player": str(player),
        "kind": kind,
        "season_id": season,
        "record": to_jsonable(record, medals=medals, scores=scores),
    }


def _render_record(
    record: ServiceRecord,
    title: str,
    medals: MedalBook,
    scores: PersonalScoreBook,
) -> None:
    core = record.core_stats
    summary = Table(title=title, show_header=False, title_justify="left")
    for _ in range(2):
        summary.add_column(style="bold")
        summary.add_column(justify="right")
    pairs: list[tuple[str, str]] = [
        ("Matches", _num(record.matches_completed)),
        ("Time played", _duration(record.time_played)),
        ("Wins", _num(record.wins)),
        ("Losses", _num(record.losses)),
        ("Ties", _num(record.ties)),
        ("Win rate", f"{record.win_rate:.1%}"),
        ("Kills", _num(core.kills)),
        ("Deaths", _num(core.deaths)),
        ("Assists", _num(core.assists)),
        ("K/D", f"{record.kd_ratio:.2f}"),
        ("KDA", f"{record.average_kda:.2f}"),
        ("Accuracy", f"{core.accuracy:.2f}%"),
        ("Damage dealt", _num(core.damage_dealt)),
        ("Damage taken", _num(core.damage_taken)),
        ("Headshot kills", _num(core.headshot_kills)),
        ("Melee kills", _num(core.melee_kills)),
        ("Grenade kills", _num(core.grenade_kills)),
        ("Power weapon kills", _num(core.power_weapon_kills)),
        ("Callout assists", _num(core.callout_assists)),
        ("Vehicle destroys", _num(core.vehicle_destroys)),
        ("Betrayals", _num(core.betrayals)),
        ("Suicides", _num(core.suicides)),
        ("Max killing spree", _num(core.max_killing_spree)),
        ("Personal score", _num(core.personal_score)),
    ]
    for i in range(0, len(pairs), 2):
        left, right = pairs[i], pairs[i + 1] if i + 1 < len(pairs) else ("", "")
        summary.add_row(*left, *right)
    console.print(summary)

    mode_tables: list[Table] = []
    for attr, block in record.mode_blocks().items():
        values = [
            (field, value)
            for field in block.__struct_fields__
            if (value := getattr(block, field)) is not None and not isinstance(value, dict | list)
        ]
        if not any(values_ for _, values_ in values):
            continue  # a mode the player never played in this scope
        table = Table(title=MODE_TITLES.get(attr, _label(attr)), show_header=False)
        table.add_column(style="bold")
        table.add_column(justify="right")
        for field, value in values:
            table.add_row(_label(field), _cell(value))
        mode_tables.append(table)
    if mode_tables:
        console.print(Columns(mode_tables))

    awarded = sorted(
        (
            (count, medals.name(nid), medals.difficulty(nid))
            for nid, count in record.medal_counts().items()
            if count
        ),
        key=lambda row: (-row[0], row[1]),
    )
    if awarded:
        table = Table(title=f"Medals ({sum(c for c, _, _ in awarded):,})")
        table.add_column("Medal")
        table.add_column("Difficulty")
        table.add_column("Count", justify="right")
        for count, name, difficulty in awarded:
            table.add_row(name, difficulty, _num(count))
        console.print(table)

    totals = record.personal_score_totals()
    counts = record.personal_score_counts()
    if counts:
        table = Table(title="Personal scores")
        table.add_column("Award")
        table.add_column("Count", justify="right")
        table.add_column("Points", justify="right")
        for nid, count in sorted(counts.items(), key=lambda kv: -totals.get(kv[0], 0)):
            table.add_row(scores.name(nid), _num(count), _num(totals.get(nid, 0)))
        console.print(table)


def record_cmd(
    ctx: typer.Context,
    player: Annotated[str, typer.Argument(help="Gamertag or XUID (2533... or xuid(2533...)).")],
    season: Annotated[
        str | None, typer.Option(help="Season id (see `halotrack seasons`) or 'current'.")
    ] = None,
    kind: Annotated[str, typer.Option(help="matchmade, custom or local.")] = "matchmade",
    as_json: JsonOpt = False,
    spartan_token: SpartanOpt = None,
    clearance: ClearanceOpt = None,
) -> None:
    """Show a player's service record: totals, mode blocks, medals and personal scores."""
    who = parse_player(player)
    kind = kind.strip().lower()
    if kind not in RECORD_KINDS:
        raise ConfigError(f"unknown record kind {kind!r}", hint="use matchmade, custom or local")
    scores = load_personal_scores(config.config_dir() / "personal_scores.json")

    async def body(client: WaypointClient) -> tuple[ServiceRecord, MedalBook, str | None, str]:
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
        return record, MedalBook(metadata), season_id, label

    record, medals, season_id, label = run(_with_client(ctx, spartan_token, clearance, body))
    if as_json:
        print_json(_record_json(record, who, kind, season_id, medals, scores))
        return
    _render_record(record, f"{who} · {kind} service record · {label}", medals, scores)


# ----- csr


async def _ranked_playlists(
    client: WaypointClient, xuids: Sequence[int]
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
        _warn(f"xuid({xuid}): no such player (or a private record): left out")
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


async def _playlist_name(client: WaypointClient, pid: str, asset: PlaylistAsset) -> str:
    if not asset.ugc_playlist_version:
        return asset.name_hint or pid
    try:
        version = await client.discovery.playlist(pid, asset.ugc_playlist_version)
    except NotFound:
        return asset.name_hint or pid
    return version.public_name or asset.name_hint or pid


def _played(csr: Csr | None) -> bool:
    """True when the reading shows a match in its season: rated, or placement begun."""
    if csr is None:
        return False
    return csr.is_ranked or csr.measurement_matches_remaining < csr.initial_measurement_matches


def csr_cmd(
    ctx: typer.Context,
    players: Annotated[list[str], typer.Argument(help="Gamertags or XUIDs.")],
    playlist: Annotated[
        str | None,
        typer.Option(help="Ranked playlist name or id (see `halotrack playlists PLAYER`)."),
    ] = None,
    all_ranked: Annotated[
        bool,
        typer.Option(
            "--all-ranked",
            help="Every ranked playlist the players ever played (default: those played in "
            "the season).",
        ),
    ] = False,
    season: Annotated[
        str | None, typer.Option(help="CSR season, e.g. CsrSeason5-1 (default: current).")
    ] = None,
    as_json: JsonOpt = False,
    spartan_token: SpartanOpt = None,
    clearance: ClearanceOpt = None,
) -> None:
    """Show CSR ("Diamond 6 (1487)") per player and ranked playlist.

    By default the ranked playlists any of the players played in the season; `--all-ranked`
    adds those they played only in earlier seasons; `--playlist` picks one by name or id."""
    who = [parse_player(p) for p in players]
    if playlist is not None and all_ranked:
        raise ConfigError("use either --playlist or --all-ranked, not both")

    async def body(
        client: WaypointClient,
    ) -> tuple[list[tuple[dict[str, Any], tuple[str, ...]]], list[str], str]:
        season_bare: str | None = None
        season_label = "current season"
        if season is not None:
            calendar = await client.gamecms.csr_season_calendar()
            key = _bare(season)
            known = {
                (csr_season_id(s.csr_season_file_path) or "").lower() for s in calendar.seasons
            }
            if key not in known:
                raise ConfigError(
                    f"unknown CSR season {season!r}",
                    hint="see `halotrack seasons` (CSR season column)",
                )
            season_bare = next(
                csr_season_id(s.csr_season_file_path) or key
                for s in calendar.seasons
                if (csr_season_id(s.csr_season_file_path) or "").lower() == key
            )
            seasons = await client.gamecms.season_calendar()
            spanned = [e for e in seasons.seasons if (e.csr_season_id or "").lower() == key]
            public = await season_names(client, spanned)
            season_label = season_name(season_bare, calendar_pairs(seasons), public)
            season_label += f" ({season_bare})"
        xuids = await asyncio.gather(*(client.profile.xuid_for(str(p)) for p in who))
        names = {x: str(p) for x, p in zip(xuids, who, strict=True)}
        wanted: str | None = None
        if playlist is not None:
            try:  # an id costs no lookup of the players' playlists
                wanted = parse_match_id(playlist, "playlist id")
            except ConfigError:
                wanted = None
        if wanted is not None:
            playlists = [(wanted, await client.gamecms.playlist_asset(wanted))]
        else:
            playlists, xuids = await _ranked_playlists(client, xuids)
            if not playlists:
                raise ConfigError(
                    "these players have no ranked playlist in their record",
                    hint="pass --playlist ID (see `halotrack playlists`)",
                )
        labels = await asyncio.gather(*(_playlist_name(client, p, a) for p, a in playlists))
        if playlist is not None and wanted is None:
            pid = find_playlist(dict(zip((p for p, _ in playlists), labels, strict=True)), playlist)
            keep = [i for i, (p, _) in enumerate(playlists) if p == pid]
            playlists, labels = [playlists[i] for i in keep], [labels[i] for i in keep]
        rows: list[tuple[dict[str, Any], tuple[str, ...]]] = []
        quiet: list[str] = []
        for (pid, _), name in zip(playlists, labels, strict=True):
            result = await client.skill.playlist_csr(pid, xuids, season=season_bare)
            for bad in result.bad:
                _warn(f"the skill service refused xuid({bad}) for {name}: left out")
            group: list[tuple[dict[str, Any], tuple[str, ...]]] = []
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
                    "current": _csr_text(trio[0]),
                    "season_max": _csr_text(trio[1]),
                    "all_time_max": _csr_text(trio[2]),
                    "csr": to_jsonable(res) if res else None,
                }
                # The table gets short labels so it fits 80 columns: "Unranked (3 left)" for
                # the current CSR, and the maxima without a repeat of the placement count.
                group.append((row, (_csr_text(trio[0], short=True), *map(_csr_max_text, trio[1:]))))
            if played or all_ranked or playlist is not None:
                rows.extend(group)
            else:
                quiet.append(name)
        return rows, quiet, season_label

    rows, quiet, season_label = run(_with_client(ctx, spartan_token, clearance, body))
    if quiet:
        err_console.print(
            f"Not played in the season, left out: {', '.join(quiet)} (--all-ranked shows them).",
            highlight=False,
        )
    if as_json:
        print_json([row for row, _ in rows])
        return
    # One table per playlist: a Playlist column next to three CSR labels cannot fit 80 columns.
    by_playlist: dict[str, list[tuple[dict[str, Any], tuple[str, ...]]]] = {}
    for row, labels in rows:
        by_playlist.setdefault(row["playlist"], []).append((row, labels))
    for name, group in by_playlist.items():
        table = Table(title=f"CSR · {name} · {season_label}")
        table.add_column("Player", no_wrap=True)
        for col in ("Current", "Season max", "All-time max"):
            table.add_column(col, no_wrap=True)
        for row, (current, season_max, all_time_max) in group:
            if row["result_code"] != 0:
                current = f"({row['result_code']})"
            # a bare XUID (what `csr` takes) rather than xuid(...): 80 columns hold three
            # "Diamond 6 (1487)" labels next to it
            player = row["player"].removeprefix("xuid(").removesuffix(")")
            table.add_row(player, current, season_max, all_time_max)
        console.print(table)


# ----- seasons


def seasons_cmd(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    spartan_token: SpartanOpt = None,
    clearance: ClearanceOpt = None,
) -> None:
    """List seasons with the ids `record --season` and `csr --season` take."""

    async def body(client: WaypointClient) -> list[dict[str, Any]]:
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

    rows = run(_with_client(ctx, spartan_token, clearance, body))
    if as_json:
        print_json(rows)
        return
    table = Table(title="Seasons (ids as `record --season` and `csr --season` take them)")
    for col in ("", "Season", "Record season", "CSR season", "Start", "End"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(
            "▶" if row["current"] else "",
            row["name"],
            _short(row["season_id"]) if row["season_id"] else "-",
            row["csr_season"] or "-",
            (row["start"] or "-")[:10],
            (row["end"] or "-")[:10],
        )
    console.print(table)


# ----- medals


def medals_cmd(
    ctx: typer.Context,
    player: Annotated[
        str | None,
        typer.Argument(help="A player: their medals from stored matches (see `matches sync`)."),
    ] = None,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all", help="The full table: descriptions and ids, or every rare medal of PLAYER."
        ),
    ] = False,
    as_json: JsonOpt = False,
    spartan_token: SpartanOpt = None,
    clearance: ClearanceOpt = None,
) -> None:
    """List every medal the game knows; with PLAYER, that player's medals.

    From the medal metadata file; with PLAYER, counts and rare medals from stored matches."""
    if player is not None:
        from halotrack.cli.matches import player_medals

        player_medals(ctx, player, as_json, show_all)
        return
    metadata = run(
        _with_client(ctx, spartan_token, clearance, lambda c: c.gamecms.medal_metadata())
    )
    book = MedalBook(metadata)
    infos = sorted(
        (book.info(m.name_id) for m in metadata.medals),
        key=lambda i: (i.type, i.sorting_weight, i.name),
    )
    if as_json:
        print_json(
            [
                {
                    "name_id": i.name_id,
                    "name": i.name,
                    "type": i.type,
                    "difficulty": i.difficulty,
                    "description": i.description,
                }
                for i in infos
            ]
        )
        return
    if show_all:
        table = Table(title=f"Medals ({len(infos)})")
        for col in ("Medal", "Type", "Difficulty", "Description", "NameId"):
            table.add_column(col, no_wrap=col == "NameId")
        for i in infos:
            table.add_row(i.name, i.type, i.difficulty, i.description, str(i.name_id))
        console.print(table)
        return
    # Short by default: names grouped by type and difficulty, wrapped between names (one
    # row per medal with its description took 540 lines at 80 columns).
    groups: dict[tuple[str, str], list[str]] = {}
    order = {name: n for n, name in enumerate(metadata.difficulties)}
    for i in sorted(infos, key=lambda i: (i.type, order.get(i.difficulty, len(order)))):
        groups.setdefault((i.type, i.difficulty), []).append(i.name)
    table = Table(title=f"Medals ({len(infos)})", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Type", no_wrap=True)
    table.add_column("Difficulty", no_wrap=True)
    table.add_column("Medals")
    for (kind, difficulty), names in groups.items():
        table.add_row(kind, difficulty, ", ".join(names))
    console.print(table)
    console.print("Descriptions and NameIds: `halotrack medals --all`", highlight=False)


# ----- playlists


def playlists_cmd(
    ctx: typer.Context,
    player: Annotated[
        str | None,
        typer.Argument(help="Whose playlists (gamertag or XUID); default: the signed-in user."),
    ] = None,
    as_json: JsonOpt = False,
    spartan_token: SpartanOpt = None,
    clearance: ClearanceOpt = None,
) -> None:
    """List the playlists a player has played, with ids, versions and whether they rank."""
    who = parse_player(player) if player is not None else None

    async def body(client: WaypointClient) -> list[dict[str, Any]]:
        target: Player | int = who if who is not None else (await client.profile.me()).xuid_int or 0
        if not target:
            raise ConfigError("cannot tell who is signed in", hint="pass a PLAYER")
        record = await client.stats.service_record(target)
        ids = (record.subqueries.playlist_asset_ids if record.subqueries else None) or []
        assets = await asyncio.gather(*(client.gamecms.playlist_asset(pid) for pid in ids))
        names = await asyncio.gather(
            *(_playlist_name(client, pid, a) for pid, a in zip(ids, assets, strict=True))
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

    rows = run(_with_client(ctx, spartan_token, clearance, body))
    if as_json:
        print_json(rows)
        return
    table = Table(title="Playlists")
    table.add_column("Playlist", no_wrap=True)
    table.add_column("Ranked", no_wrap=True)
    table.add_column("Experience", no_wrap=True)
    table.add_column("Playlist id (version in --json)", overflow="fold")
    for row in sorted(rows, key=lambda r: (not r["ranked"], r["name"])):
        table.add_row(
            row["name"],
            "yes" if row["ranked"] else "",
            row["experience"],
            row["playlist_id"],
        )
    console.print(table)
