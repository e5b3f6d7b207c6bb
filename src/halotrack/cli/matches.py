"""`halotrack matches` (list, sync), `match MATCH_ID`, and the per-player medal report.

    halotrack matches PLAYER [--limit N] [--mode NAME] [--playlist NAME] [--type T] [--json]
    halotrack matches list PLAYER ...        (the same: `list` is the default subcommand)
    halotrack matches sync PLAYER [--full] [--type all|matchmaking|custom|local]
                                             (fetch what is not stored yet)
    halotrack match MATCH_ID [--json]        (the scoreboard by team, medals by name;
                                              MATCH_ID may be a unique prefix: d2495342)
    halotrack medals PLAYER [--all]          (via `read.medals`: counts and rare medals)

Reading commands use only the store; `sync` talks to the API through the tracker. The
logic lives in `halotrack.store.matches` and `halotrack.usecases.matches`.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table
from typer.core import TyperGroup

from halotrack.cli.common import (
    JsonOpt,
    PlayerArg,
    console,
    err_console,
    open_db,
    print_json,
    run,
    state,
)
from halotrack.cli.progress import RunProgress
from halotrack.errors import ConfigError, Unknown
from halotrack.models.enums import GameVariantCategory, Outcome
from halotrack.models.names import MedalBook
from halotrack.models.xuid import bot_name

if TYPE_CHECKING:
    from halotrack.store import Store
    from halotrack.store import matches as sm
    from halotrack.usecases.insights import Performance
    from halotrack.usecases.matches import SyncResult


class _DefaultList(TyperGroup):
    """`halotrack matches PLAYER ...` means `halotrack matches list PLAYER ...`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    name="matches",
    cls=_DefaultList,
    help="Stored matches of a player (`list`, the default) and fetching them (`sync`).",
    no_args_is_help=True,
)


def _type_word(history_type: str) -> str:
    """`custom ` before "matches" in a sentence; nothing for all of them."""
    return "" if history_type == "all" else f"{history_type} "


def _stored_xuid(store: Store, player: str) -> int:
    found = store.find_player(player)
    if found is None:
        raise Unknown(
            f"no stored player {player!r}",
            hint=f"fetch their matches first: `halotrack matches sync {player!r}`",
        )
    return found.xuid


SHORT_ID = 8  # like git's short hashes: 16**8 ids before two stored matches likely clash
MIN_PREFIX = 4


def short_id(match_id: str) -> str:
    """`4900726e-5fa6-48e3-...` -> `4900726e`: what tables show and `match` takes back."""
    return match_id[:SHORT_ID]


def resolve_match_id(store: Store, text: str) -> str:
    """The stored match a full id or a unique prefix of one (4 characters or more) names.

    A full GUID is only checked for shape (so "not stored" can name it); a prefix that fits
    several matches is refused with the candidates, each shown long enough to tell apart."""
    from halotrack.waypoint.players import parse_match_id

    prefix = text.strip().lower()
    if len(prefix) >= 32 or any(ch not in "0123456789abcdef-" for ch in prefix):
        return parse_match_id(text)  # a full id, or malformed: "nope" is not a prefix
    if len(prefix) < MIN_PREFIX:
        raise ConfigError(
            f"match id prefix {prefix!r} is too short",
            hint=f"give at least {MIN_PREFIX} characters of the id shown by `halotrack matches`",
        )
    found = store.match_ids_with_prefix(prefix, limit=6)
    if len(found) == 1:
        return found[0]
    if not found:
        raise Unknown(
            f"no stored match id starts with {prefix!r}",
            hint="see `halotrack matches PLAYER`, or sync a player who played it",
        )
    width = SHORT_ID
    while len({f[:width] for f in found}) < len(found):
        width += 1
    listed = ", ".join(f[:width] for f in found[:5]) + (", ..." if len(found) > 5 else "")
    raise ConfigError(f"match id prefix {prefix!r} is ambiguous: {listed}", hint="type more of it")


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def csr_cell(pre: int | None, post: int | None, pre_left: int | None, post_left: int | None) -> str:
    """The CSR a match left a player with, as `matches` and `match` both show it: `1080
    (+15)`, `Unranked (3 left)` during placement, blank for a match that did not count."""
    counted = (post is not None and post >= 0) or (
        pre_left is not None and post_left is not None and post_left < pre_left
    )
    if post is None or not counted:
        return ""
    if post < 0:
        return f"Unranked ({post_left} left)" if post_left is not None else "Unranked"
    return f"{post} ({post - pre:+d})" if pre is not None and pre >= 0 else str(post)


def _csr_text(m: sm.PlayerMatch) -> str:
    return csr_cell(m.csr_pre, m.csr_post, m.csr_pre_matches_remaining, m.csr_matches_remaining)


def _index(perf: Performance | None) -> str:
    """A performance index cell: `+0.56`; blank without a skill answer."""
    index = perf.index if perf is not None else None
    return f"{index:+.2f}" if index is not None else ""


def _match_json(m: sm.PlayerMatch, perf: Performance | None = None) -> dict[str, Any]:
    return {
        "match_id": m.match_id,
        "short_id": short_id(m.match_id),
        "start_time": m.start_time.isoformat(),
        "map": m.map_name,
        "mode": m.mode_name,
        "playlist": m.playlist_name,
        "type": m.history_type,
        "category": GameVariantCategory.label(m.game_variant_category),
        "outcome": Outcome.label(m.outcome),
        "kills": m.kills,
        "deaths": m.deaths,
        "assists": m.assists,
        "kda": m.kda,
        "accuracy": m.accuracy,
        "personal_score": m.personal_score,
        "csr_pre": m.csr_pre,
        "csr_post": m.csr_post,
        "csr_change": m.csr_delta,
        "csr": _csr_text(m),
        "ranked": m.ranked,
        "expected_kills": m.expected_kills,
        "expected_deaths": m.expected_deaths,
        "performance": perf.as_dict() if perf is not None else None,
    }


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    player: PlayerArg,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Newest N matches.")] = 25,
    mode: Annotated[
        str | None, typer.Option(help="Only modes whose name contains this (e.g. CTF).")
    ] = None,
    playlist: Annotated[
        str | None, typer.Option(help="Only playlists whose name contains this.")
    ] = None,
    history_type: Annotated[
        str,
        typer.Option(
            "--type",
            help="all, or only matchmaking, custom or local (LAN) games.",
        ),
    ] = "all",
    as_json: JsonOpt = False,
) -> None:
    """A player's stored matches, newest first: map, mode, outcome, K/D/A, CSR change.
    Custom and local games say so in the playlist column."""

    from halotrack.usecases.matches import check_history_type

    check_history_type(history_type)
    with open_db(ctx, write=False) as store:
        xuid = _stored_xuid(store, player)
        rows = store.player_matches(
            xuid, limit=limit, mode=mode, playlist=playlist, history_type=history_type
        )
        from halotrack.usecases.insights import match_performance

        perf = match_performance(store, xuid, (m.match_id for m in rows))
    if as_json:
        print_json([_match_json(m, perf.get(m.match_id)) for m in rows])
        return
    if not rows:
        console.print(f"No stored matches for {player}. Run `halotrack matches sync {player}`.")
        return
    # Light borders, and on a narrow terminal map and mode stacked in one cell and dates
    # without the year (as `watch list` shows them): eight boxed columns at 80 characters
    # left "Soli…", "Aren…", "Outc…" in every row.
    narrow = console.width < 100
    table = Table(
        title=f"{player}: {len(rows)} newest {_type_word(history_type)}matches",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    # The short id goes under the date when narrow (rows take two lines there anyway).
    table.add_column("Date / id" if narrow else "Date (UTC)", no_wrap=True)
    if not narrow:
        table.add_column("Match", no_wrap=True)
    for col in ("Map / mode",) if narrow else ("Map", "Mode"):
        table.add_column(col, min_width=14)  # "Fragmentation", "Arena: Slayer" whole
    table.add_column("Playlist")
    table.add_column("Result", no_wrap=True)
    # The performance index under K/D/A: a column of its own costs the map or mode names.
    table.add_column("K/D/A\nindex", justify="right", no_wrap=True)
    table.add_column("Acc", justify="right", no_wrap=True)
    table.add_column("CSR", min_width=9)
    for m in rows:
        place = m.map_name or "?"
        mode = m.mode_name or GameVariantCategory.label(m.game_variant_category)
        table.add_row(
            *(
                (f"{m.start_time:%m-%d %H:%M}\n{short_id(m.match_id)}",)
                if narrow
                else (_when(m.start_time), short_id(m.match_id))
            ),
            # "Arena: Strongholds" may wrap after the colon instead of losing its end
            *((f"{place}\n{mode.replace(':', ': ')}",) if narrow else (place, mode)),
            m.playlist_name or m.game_label or "",
            Outcome.label(m.outcome),
            "\n".join(
                filter(None, (f"{m.kills}/{m.deaths}/{m.assists}", _index(perf.get(m.match_id))))
            ),
            f"{m.accuracy:.1f}%" if m.accuracy is not None else "",
            _csr_text(m),
        )
    console.print(table)


@app.command("sync")
def sync_cmd(
    ctx: typer.Context,
    player: PlayerArg,
    full: Annotated[
        bool, typer.Option("--full", help="Walk the whole history (stored matches still skip).")
    ] = False,
    history_type: Annotated[
        str,
        typer.Option(
            "--type",
            help="Which history: all (the default, as before this option: every game in "
            "one walk), matchmaking, custom or local (LAN). Each keeps its own progress.",
        ),
    ] = "all",
    as_json: JsonOpt = False,
) -> None:
    """Fetch the player's matches not stored yet (the first sync backfills everything).

    Newest first, stopping at the last sync; resumable: rerun after an interruption.
    Custom and local games are stored apart from matchmade ones: they never count in the
    ranked or matchmade numbers."""
    from halotrack.usecases.matches import sync_and_name
    from halotrack.wiring.client import client_from_settings

    async def body() -> SyncResult:
        async with client_from_settings(settings) as client:
            with RunProgress(err_console) as shown:

                def progress(done: int, total: int | None) -> None:
                    shown.update(player, done, total)

                return await sync_and_name(
                    client,
                    store,
                    player,
                    full=full,
                    history_type=history_type,
                    progress=progress,
                )

    settings = state(ctx).settings()
    with open_db(ctx) as store:
        result = run(body())
    if as_json:
        print_json(result.as_dict())
        return
    rate = result.requests / result.elapsed if result.elapsed else 0.0
    state_word = "history complete" if result.complete else "backfill not finished: run again"
    console.print(
        f"{player}: {result.new_matches} new {_type_word(history_type)}matches stored, "
        f"{result.already_stored} already stored, {result.requests} requests in "
        f"{result.elapsed:.1f}s ({rate:.1f}/s); {state_word}."
    )


def _medal_text(medals: dict[int, int], book: MedalBook, space: str = " ") -> str:
    items = sorted(medals.items(), key=lambda kv: (-kv[1], book.name(kv[0])))
    names = (book.name(k).replace(" ", space) for k, _ in items)
    return ", ".join(f"{n}×{v}" if v > 1 else n for n, (_, v) in zip(names, items, strict=True))


NBSP = "\u00a0"  # joins the words of one medal name, so a line never breaks inside it


def _wrap_whole_names(text: str, width: int) -> list[str]:
    """Lines of at most `width` that break only between medals ("Triple Kill" stays whole;
    Rich would break at its space), continued with an indent."""
    lines = textwrap.wrap(
        text,
        width=width,
        initial_indent="  ",
        subsequent_indent="      ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace(NBSP, " ") for line in lines]


def match_cmd(
    ctx: typer.Context,
    match_id: Annotated[
        str, typer.Argument(help="The match id, or a unique prefix of it (as `matches` shows).")
    ],
    as_json: JsonOpt = False,
) -> None:
    """The scoreboard of a stored match, by team, with medals by name."""
    from halotrack.usecases.matches import stored_medal_book

    with open_db(ctx, write=False) as store:
        match_id = resolve_match_id(store, match_id)
        got = store.get_match(match_id)
        if got is None:
            raise Unknown(
                f"match {match_id} is not stored",
                hint="sync a player who played it: `halotrack matches sync PLAYER`",
            )
        book = stored_medal_book(store)
        from halotrack.usecases.insights import scoreboard_performance

        perf = scoreboard_performance(store, match_id)
        tags = store.cached_gamertags(p.xuid for p in got.players if p.xuid is not None)
        tags.update((p.xuid, p.gamertag) for p in store.list_players() if p.gamertag)

    def who(row: sm.ScoreboardRow) -> str:
        name = tags.get(row.xuid) if row.xuid is not None else None
        return name or bot_name(row.player_id) or row.player_id

    if as_json:
        print_json(
            {
                "match_id": got.match_id,
                "start_time": got.start_time.isoformat(),
                "duration_seconds": got.duration_seconds,
                "map": got.map_name,
                "mode": got.mode_name,
                "playlist": got.playlist_name,
                "category": GameVariantCategory.label(got.game_variant_category),
                "teams": got.teams,
                "players": [
                    {
                        "player": who(p),
                        "player_id": p.player_id,
                        "team_id": p.team_id,
                        "outcome": Outcome.label(p.outcome),
                        "rank": p.rank,
                        "kills": p.kills,
                        "deaths": p.deaths,
                        "assists": p.assists,
                        "kda": p.kda,
                        "accuracy": p.accuracy,
                        "personal_score": p.personal_score,
                        "csr_pre": p.csr_pre,
                        "csr_post": p.csr_post,
                        "csr": csr_cell(
                            p.csr_pre,
                            p.csr_post,
                            p.csr_pre_matches_remaining,
                            p.csr_matches_remaining,
                        ),
                        "medals": {book.name(k): v for k, v in p.medals.items()},
                        "performance": _perf_json(perf, p.xuid),
                    }
                    for p in got.players
                ],
            }
        )
        return
    minutes = (got.duration_seconds or 0) / 60
    console.print(
        f"[bold]{got.mode_name or GameVariantCategory.label(got.game_variant_category)}[/] on "
        f"[bold]{got.map_name or '?'}[/] · {got.playlist_name or 'custom game'} · "
        f"{_when(got.start_time)} UTC · {minutes:.1f} min",
        highlight=False,
    )
    teams: dict[int | None, list[sm.ScoreboardRow]] = {}
    for p in got.players:
        teams.setdefault(p.team_id if got.teams else None, []).append(p)
    outcome = {t["team_id"]: t for t in got.teams}
    for team_id, rows in teams.items():
        t = outcome.get(team_id)
        title = (
            f"Team {team_id} · {Outcome.label(t['outcome'])} · score {t['score']}"
            if t is not None
            else "Players"
        )
        # Light borders and whole names and numbers (boxed, at 80 columns, players read
        # "xuid(253…" and medals "Perfect×…"); on a narrow terminal the medals go below.
        narrow = console.width < 120
        cols = ("#", "Player", "K", "D", "A", "KDA", "Acc", "Score", "CSR")
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        for col in cols if narrow else (*cols, "Medals"):
            table.add_column(
                col,
                justify="left" if col in ("Player", "Medals") else "right",
                no_wrap=col != "Medals",
            )
        below: list[str] = []
        for p in sorted(rows, key=lambda r: (r.rank or 99, r.player_id)):
            csr = csr_cell(
                p.csr_pre, p.csr_post, p.csr_pre_matches_remaining, p.csr_matches_remaining
            )
            table.add_row(
                str(p.rank or ""),
                who(p),
                str(p.kills),
                str(p.deaths),
                str(p.assists),
                f"{p.kda:.2f}" if p.kda is not None else "",
                f"{p.accuracy:.1f}%" if p.accuracy is not None else "",
                str(p.personal_score if p.personal_score is not None else ""),
                csr,
                *(() if narrow else (_medal_text(p.medals, book),)),
            )
            if narrow and p.medals:
                medals = _medal_text(p.medals, book, NBSP)
                below.append(f"{p.rank or '-'} {who(p).replace(' ', NBSP)}: {medals}")
        console.print(table)
        if below:
            console.print("Medals:", highlight=False)
            for entry in below:
                for line in _wrap_whole_names(entry, console.width):
                    console.print(line, highlight=False, markup=False, soft_wrap=True)

    _expectations(got, perf, who)


def _perf_json(perf: dict[int, Performance], xuid: int | None) -> dict[str, Any] | None:
    found = perf.get(xuid) if xuid is not None else None
    return found.as_dict() if found is not None else None


def _expectations(got: sm.StoredMatch, perf: dict[int, Performance], who: Any) -> None:
    """Kills and deaths against the skill service's expectation (± its spread), below
    the scoreboard: the columns would not fit 80 characters."""
    rows = [(p, perf[p.xuid]) for p in got.players if p.xuid is not None and p.xuid in perf]
    if not rows:
        return
    console.print("Against expectation (kills, deaths: expected ± spread; index):")
    for p, e in rows:
        console.print(
            f"  {who(p)}: K {e.kills} vs {e.expected_kills:.1f}±{e.kills_spread:.1f}, "
            f"D {e.deaths} vs {e.expected_deaths:.1f}±{e.deaths_spread:.1f}, "
            f"index {_index(e) or '-'}",
            highlight=False,
            markup=False,
        )


RARE_SHOWN = 10


def player_medals(ctx: typer.Context, player: str, as_json: bool, show_all: bool = False) -> None:
    """Medal counts of one player from stored matches, and where rare ones were earned.
    Called by `halotrack medals PLAYER` (the command itself lives in `read.py`)."""
    from halotrack.usecases.matches import rare_medals, stored_medal_book

    with open_db(ctx, write=False) as store:
        xuid = _stored_xuid(store, player)
        counts = store.player_medal_counts(xuid)
        book = stored_medal_book(store)
        rare = rare_medals(store, xuid, book, limit=2**31 if show_all else 50)
    rows = sorted(
        (
            {
                "name_id": nid,
                "name": book.name(nid),
                "difficulty": book.difficulty(nid),
                "type": book.type(nid),
                "count": total,
                "matches": n_matches,
            }
            for nid, (total, n_matches) in counts.items()
        ),
        key=lambda r: (-int(str(r["count"])), str(r["name"])),
    )
    rare_rows = [
        {
            "name_id": nid,
            "name": book.name(nid),
            "difficulty": book.difficulty(nid),
            "match_id": mid,
            "short_id": short_id(mid),
            "start_time": when.isoformat(),
            "count": n,
        }
        for nid, mid, when, n in rare
    ]
    if as_json:
        print_json({"medals": rows, "rare": rare_rows})
        return
    if not rows:
        console.print(f"No medals in the stored matches of {player}.")
        return
    table = Table(title=f"{player}: medals in {len(rows)} kinds")
    for col in ("Medal", "Difficulty", "Type", "Count", "Matches"):
        table.add_column(col, justify="right" if col in ("Count", "Matches") else "left")
    for r in rows:
        table.add_row(
            str(r["name"]), str(r["difficulty"]), str(r["type"]), str(r["count"]), str(r["matches"])
        )
    console.print(table)
    if rare_rows:
        # Newest first; by default the latest few, since a long career earns hundreds.
        shown = rare_rows if show_all else rare_rows[:RARE_SHOWN]
        title = "Rare medals (legendary and mythic)"
        if len(shown) < len(rare_rows):
            title += f", newest {len(shown)}"
        rt = Table(title=title)
        for col in ("Date (UTC)", "Medal", "Difficulty", "Count", "Match"):
            rt.add_column(col, no_wrap=col in ("Date (UTC)", "Match"))
        for r in shown:
            rt.add_row(
                str(r["start_time"])[:16].replace("T", " "),
                str(r["name"]),
                str(r["difficulty"]),
                str(r["count"]),
                str(r["short_id"]),
            )
        console.print(rt)
        if len(shown) < len(rare_rows):
            console.print(
                f"All: `halotrack medals {player!r} --all` · a scoreboard: `halotrack match ID`",
                highlight=False,
                markup=False,
            )
    elif len(book) == 0:
        err_console.print("medal names unknown: run `halotrack matches sync` once to fetch them")
