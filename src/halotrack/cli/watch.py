"""`halotrack watch add|remove|list`: the players the tracker follows.

Gamertags are resolved to XUIDs once here (profile service); everything after is keyed by
XUID. `remove` and `list` need no network.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from halotrack.cli.common import JsonOpt, console, err_console, open_db, print_json, run, state
from halotrack.errors import Unknown

if TYPE_CHECKING:
    from halotrack.store import WatchEntry
    from halotrack.usecases.watch import Resolved

Players = Annotated[list[str], typer.Argument(help="Gamertags or XUIDs.")]

app = typer.Typer(
    help="Players to track: add (gamertag or XUID), remove, list.", no_args_is_help=True
)


def _when(value: datetime | None) -> str:
    return value.strftime("%m-%d %H:%M") if value else "-"


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    players: Players,
    matches: Annotated[
        bool | None,
        typer.Option(
            "--matches/--no-matches",
            help="Also keep their matches (match sync); re-adding without either keeps it.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolve players to XUIDs and watch them (re-adding updates --matches)."""
    from halotrack.usecases import StoreEtagCache, add_players
    from halotrack.wiring.client import client_from_settings
    from halotrack.wiring.store import store_from_settings

    settings = state(ctx).settings()
    with store_from_settings(settings) as store:

        async def go() -> tuple[list[WatchEntry], list[Resolved]]:
            async with client_from_settings(settings, cache=StoreEtagCache(store)) as client:
                return await add_players(client, store, players, matches=matches)

        added, failed = run(go())
    if as_json:
        print_json(
            {
                "added": [{"xuid": e.xuid, "gamertag": e.gamertag} for e in added],
                "failed": [{"player": f.query, "error": f.error} for f in failed],
            }
        )
    else:
        for e in added:
            extra = " (with matches)" if e.matches_opt_in else ""
            console.print(f"watching {e.gamertag} xuid({e.xuid}){extra}", highlight=False)
        for f in failed:
            err_console.print(
                f"cannot watch {f.query!r}: {f.error}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
    if failed:  # scripts must notice a player left out, even when others were added
        codes = {f.exit_code or 1 for f in failed}
        raise typer.Exit(codes.pop() if not added and len(codes) == 1 else 1)


@app.command("remove")
def remove_cmd(ctx: typer.Context, players: Players) -> None:
    """Stop tracking players; their stored snapshots stay."""
    from halotrack.usecases.watch import find_watched

    missing = []
    with open_db(ctx, write=False) as store:
        for text in players:
            entry = find_watched(store, text)
            if entry is None or not store.watch_remove(entry.xuid):
                missing.append(text)
            else:
                console.print(f"no longer watching {entry.gamertag or entry.xuid}", highlight=False)
    if missing:
        raise Unknown(
            f"not on the watch list: {', '.join(missing)}", hint="see `halotrack watch list`"
        )


def _entry_json(entry: WatchEntry) -> dict[str, Any]:
    """An entry as `watch list --json` shows it: the opt-in named `matches`, no options."""
    out = {("matches" if k == "matches_opt_in" else k): v for k, v in asdict(entry).items()}
    del out["options"]
    return out


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Watched players and when the tracker last looked at them."""
    with open_db(ctx, write=False) as store:
        entries = store.watch_list()
    if as_json:
        print_json([_entry_json(e) for e in entries])
        return
    if not entries:
        console.print("nobody is watched yet: `halotrack watch add GAMERTAG`")
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    wide = console.width >= 100  # the XUID (also in --json) only when there is room
    table.add_column("player", no_wrap=True, min_width=15)
    if wide:
        table.add_column("xuid", no_wrap=True)
    for col in ("checked", "played", "next"):
        table.add_column(col, no_wrap=True)
    table.add_column("count", justify="right", no_wrap=True)
    table.add_column("fails", justify="right", no_wrap=True)
    for e in entries:
        cells = [
            (e.gamertag or "-") + (" +m" if e.matches_opt_in else ""),
            *([str(e.xuid)] if wide else []),
            _when(e.last_checked_at),
            _when(e.last_played_at),
            "each cycle" if e.next_check_at is None else _when(e.next_check_at),
            "-" if e.last_match_count is None else f"{e.last_match_count:,}",
            str(e.failure_count),
        ]
        table.add_row(*cells)
    console.print(table)
    console.print("+m: matches kept too", style="dim", highlight=False)
    for e in entries:
        if e.last_error:
            console.print(f"{e.gamertag or e.xuid}: {e.last_error}", highlight=False, markup=False)
