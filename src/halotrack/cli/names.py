"""`halotrack names`: enum names learned from the API's XML answers (modes shipped later).

The learning is `halotrack.usecases.names`; `track` and `matches sync` learn on their own
(one request per new number, once ever). `refresh` asks again on demand; `list` shows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from halotrack.cli.common import JsonOpt, console, open_db, print_json, run, state
from halotrack.models.enums import TOLERANT
from halotrack.models.xmlnames import NameBook

if TYPE_CHECKING:
    from halotrack.waypoint import Player

app = typer.Typer(
    name="names",
    help="Names of game modes and other numbers newer than this version, from the API.",
    no_args_is_help=True,
)


def _rows(book: NameBook) -> list[dict[str, object]]:
    return [
        {"enum": enum, "value": value, "name": name, "label": TOLERANT[enum].label(value)}
        for enum, values in sorted(book.names.items())
        if enum in TOLERANT
        for value, name in sorted(values.items())
    ]


def _show(book: NameBook, as_json: bool, new: int | None = None) -> None:
    rows = _rows(book)
    if as_json:
        out: dict[str, object] = {"names": rows}
        if new is not None:
            out["new"] = new
        print_json(out)
        return
    if new is not None:
        console.print(f"{new} new name(s) learned.")
    if not rows:
        console.print("No names learned: every number seen so far is known to this version.")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("Enum", "Value", "API name", "Shown as"):
        table.add_column(col, justify="right" if col == "Value" else "left", overflow="fold")
    for r in rows:
        table.add_row(str(r["enum"]), str(r["value"]), str(r["name"]), str(r["label"]))
    console.print(table)


@app.command("refresh")
def refresh_cmd(
    ctx: typer.Context,
    players: Annotated[
        list[str] | None,
        typer.Argument(help="Gamertags or XUIDs (default: every watched player)."),
    ] = None,
    match: Annotated[
        list[str] | None, typer.Option("--match", help="Also learn from this match (repeat).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask the API for the names of the numbers in each record and match (two requests each).

    Unlike tracking, this asks even for numbers asked about before."""
    from halotrack.usecases import names
    from halotrack.waypoint import parse_player
    from halotrack.wiring.client import client_from_settings
    from halotrack.wiring.store import store_from_settings

    settings = state(ctx).settings()
    who = [parse_player(p) for p in players or []]
    match_ids = list(match or [])

    async def body() -> tuple[NameBook, int]:
        with store_from_settings(settings) as store:
            targets: list[int | Player] = [*who] or [w.xuid for w in store.watch_list()]
            async with client_from_settings(settings) as client:
                return await names.refresh(client, store, targets, match_ids)

    book, new = run(body())
    _show(book, as_json, new)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    as_json: JsonOpt = False,
) -> None:
    """The names learned so far, as the API spells them and as halotrack shows them."""
    from halotrack.usecases import names

    with open_db(ctx) as store:
        book = names.load_book(store)
    _show(book, as_json)
