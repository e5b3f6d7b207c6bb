"""Read commands: `record`, `csr`, `seasons`, `medals`, `playlists`.

Why: the quickest look at what the API says right now, without a database. Each command
validates its input first (a malformed gamertag never costs a request), builds its client
with `halotrack.wiring.client.client_from_settings` like every other command, and prints a
Rich table or, with `--json`, one JSON document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich import box
from rich.columns import Columns
from rich.table import Table

from halotrack import config
from halotrack.cli.common import (
    JsonOpt,
    KindOpt,
    console,
    err_console,
    open_db,
    print_json,
    run,
    state,
)
from halotrack.errors import ConfigError, HaloTrackError
from halotrack.models import MODE_TABLE, ServiceRecord, csr_season_id
from halotrack.models.export import to_jsonable
from halotrack.models.format import duration_words
from halotrack.models.names import MedalBook, PersonalScoreBook, load_personal_scores
from halotrack.waypoint.players import parse_player

if TYPE_CHECKING:
    from halotrack.usecases import reads
    from halotrack.usecases.record import CareerProgress, StoredSummary
    from halotrack.waypoint import Player, WaypointClient

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

MODE_TITLES = {m.attr: m.name for m in MODE_TABLE}


async def _with_client(
    ctx: typer.Context,
    spartan_token: str | None,
    clearance: str | None,
    body: Callable[[WaypointClient], Awaitable[T]],
) -> T:
    from halotrack.wiring.client import client_from_settings

    settings = state(ctx).settings(spartan_token=spartan_token, clearance=clearance)
    async with client_from_settings(settings) as client:
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


def _warn(text: str) -> None:
    err_console.print(f"[yellow]warning:[/] {text}", highlight=False)


def _short(path: str) -> str:
    """`Csr/Seasons/CsrSeason5-1.json` -> `CsrSeason5-1`: what a person types back."""
    return csr_season_id(path) or ""


# ----- record


def _record_json(
    record: ServiceRecord,
    player: Player,
    kind: str,
    season: str | None,
    medals: MedalBook,
    scores: PersonalScoreBook,
    extra: RecordExtra,
) -> dict[str, Any]:
    return {
        "player": str(player),
        "kind": kind,
        "season_id": season,
        "record": to_jsonable(record, medals=medals, scores=scores),
        "career_rank": extra.career.as_dict() if extra.career else None,
        "stored_matches": extra.stored.as_dict() if extra.stored else None,
    }


@dataclass
class RecordExtra:
    """What `record` shows beside the service record; None where it could not be read."""

    career: CareerProgress | None = None
    stored: StoredSummary | None = None


def _extra_lines(extra: RecordExtra, player: str) -> list[str]:
    """Career rank and the stored matches' summary, each line within 80 columns."""
    lines: list[str] = []
    c = extra.career
    if c is not None:
        lines.append(f"Career rank: {c.title} (rank {c.rank})")
        if c.next_title is not None and c.xp_needed:
            lines.append(f"  {c.xp:,}/{c.xp_needed:,} XP ({c.progress:.0%}) to {c.next_title}")
        if c.xp_per_match is not None:
            lines.append(f"  {c.total_xp:,} XP in all, {c.xp_per_match:,.0f} per match on average")
    s = extra.stored
    if s is None:
        lines.append(f"Stored matches: none (fetch them: `halotrack matches sync {player!r}`)")
        return lines
    lines.append("Stored matches (PvP apart from PvE and custom games):")
    for name, t in (("PvP", s.pvp), ("PvE", s.pve), ("Custom", s.custom)):
        if t.matches:
            lines.append(
                f"  {name:<6} {t.matches:,} matches, {t.wins:,} W {t.losses:,} L, "
                f"K/D {t.kd:.2f} ({t.kills:,}/{t.deaths:,})"
            )
    if s.mean_index is not None:
        line = f"  Performance index {s.mean_index:+.2f} (mean of {s.indexed_matches:,})"
        kve = s.kills_vs_expected
        if kve is not None:
            line += f", kills {kve:+,.1f} vs expected"
        lines.append(line)
    return lines


def _render_record(
    record: ServiceRecord,
    title: str,
    medals: MedalBook,
    scores: PersonalScoreBook,
    extra_lines: list[str],
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
    for line in extra_lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)

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
    kind: KindOpt = "matchmade",
    as_json: JsonOpt = False,
    spartan_token: SpartanOpt = None,
    clearance: ClearanceOpt = None,
) -> None:
    """Show a player's service record: totals, mode blocks, medals and personal scores.

    Also the career rank, and a summary of the stored matches (see `matches sync`)."""
    from halotrack.usecases import reads

    who = parse_player(player)
    scores = load_personal_scores(config.config_dir() / "personal_scores.json")

    async def body(client: WaypointClient) -> tuple[reads.RecordRead, CareerProgress | None]:
        from halotrack.usecases.record import read_career

        got = await reads.read_record(client, who, kind, season)
        lifetime = kind == "matchmade" and season is None
        try:
            career = await read_career(
                client, who, got.record.matches_completed if lifetime else None
            )
        except HaloTrackError as exc:
            _warn(f"no career rank: {exc}")
            career = None
        return got, career

    got, career = run(_with_client(ctx, spartan_token, clearance, body))
    extra = RecordExtra(career, _stored_summary(ctx, str(who)))
    record, medals, season_id, label = got.record, got.medals, got.season_id, got.label
    if as_json:
        print_json(_record_json(record, who, kind, season_id, medals, scores, extra))
        return
    _render_record(
        record,
        f"{who} · {kind} service record · {label}",
        medals,
        scores,
        _extra_lines(extra, str(who)),
    )


def _stored_summary(ctx: typer.Context, player: str) -> StoredSummary | None:
    """The summary of the player's stored matches; None without a database or matches (the
    record itself needs neither)."""
    from halotrack.usecases.record import stored_summary

    try:
        with open_db(ctx, write=False) as store:
            return stored_summary(store, player)
    except HaloTrackError:
        return None


# ----- csr


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
    from halotrack.usecases import reads

    who = [parse_player(p) for p in players]
    if playlist is not None and all_ranked:
        raise ConfigError("use either --playlist or --all-ranked, not both")

    def body(client: WaypointClient) -> Awaitable[reads.CsrRead]:
        return reads.read_csr(
            client, who, playlist=playlist, all_ranked=all_ranked, season=season, warn=_warn
        )

    got = run(_with_client(ctx, spartan_token, clearance, body))
    rows, quiet, season_label = got.rows, got.quiet, got.season_label
    if quiet:
        err_console.print(
            f"Not played in the season, left out: {', '.join(quiet)} (--all-ranked shows them).",
            highlight=False,
        )
    if as_json:
        print_json([r.data for r in rows])
        return
    # One table per playlist: a Playlist column next to three CSR labels cannot fit 80 columns.
    by_playlist: dict[str, list[tuple[dict[str, Any], tuple[str, ...]]]] = {}
    for r in rows:
        by_playlist.setdefault(r.data["playlist"], []).append((r.data, r.labels))
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
    from halotrack.usecases import reads

    rows = run(_with_client(ctx, spartan_token, clearance, reads.read_seasons))
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
    from halotrack.usecases import reads

    if player is not None:
        from halotrack.cli.matches import player_medals

        player_medals(ctx, player, as_json, show_all)
        return
    infos, metadata = run(_with_client(ctx, spartan_token, clearance, reads.read_medals))
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
    from halotrack.usecases import reads

    who = parse_player(player) if player is not None else None

    def body(client: WaypointClient) -> Awaitable[list[dict[str, Any]]]:
        return reads.read_playlists(client, who)

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
