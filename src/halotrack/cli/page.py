"""`halotrack page PLAYER [-o stats.html]`: write the self-contained stats page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from halotrack.cli.common import PlayerArg, console, open_db
from halotrack.cli.output import write_output

if TYPE_CHECKING:
    pass


def page(
    ctx: typer.Context,
    player: PlayerArg,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the HTML file.")
    ] = Path("stats.html"),
) -> None:
    """Write one HTML file with the player's stats and charts; it opens offline."""
    from halotrack.report import build_page_data, find_xuid, render_page

    with open_db(ctx, write=False) as store:
        data = build_page_data(store, find_xuid(store, player))
    size = write_output(render_page(data), output)
    console.print(
        f"wrote {output} ({size / 1024:.0f} KB) for {data.player.gamertag}",
        markup=False,
        highlight=False,
    )
