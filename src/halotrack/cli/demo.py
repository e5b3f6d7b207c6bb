"""`halotrack demo`: the offline simulator, weeks of tracking, a diff and stats pages.

No network, no account. The logic is `halotrack.wiring.demo.run_demo`.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from halotrack.cli.common import SeedOpt, console, run


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the database and the pages.")
    ] = Path("halotrack-demo"),
    players: Annotated[int, typer.Option(help="How many players to watch (1-20).")] = 6,
    weeks: Annotated[float, typer.Option(help="Simulated weeks to track.")] = 6.0,
    seed: SeedOpt = 7,
    world: Annotated[int, typer.Option(help="Players in the simulated world.")] = 30,
    notify: Annotated[
        str | None,
        typer.Option("--notify", help="Send the demo's events to this apprise URL."),
    ] = None,
) -> None:
    """Track simulated players for weeks of simulated time, then show a diff and pages."""
    from halotrack.wiring.demo import run_demo

    players = max(1, min(players, 20))

    def say(line: str) -> None:
        console.print(line, highlight=False, markup=False, soft_wrap=True)

    result = run(
        run_demo(
            out,
            players=players,
            weeks=weeks,
            seed=seed,
            world_players=max(world, players),
            say=say,
            notify=notify,
        )
    )
    db = result.database.resolve()
    say(f"\ndatabase: {db}")
    say(f"\nwhat changed for {result.diff_player}:")
    for line in result.diff_lines:
        say(f"  {line}")
    say("\nstats pages (open in a browser, they work offline):")
    for tag, path in result.pages.items():
        say(f"  {tag}: {path.resolve()}")
    q = shlex.quote
    who = q(result.diff_player)
    # `python3 dev.py demo` runs the venv's halotrack, which may not be on PATH.
    exe = "halotrack" if shutil.which("halotrack") else f"{q(sys.executable)} -m halotrack"
    base = f"{exe} --db {q(str(db))}"
    say("\nexplore:")
    for cmd in (
        f"{base} watch list",
        f"{base} history {who}",
        f"{base} diff {who} --from {result.midpoint}",
        f"{base} page {who} -o stats.html",
        f"{base} serve",
    ):
        say(f"  {cmd}")
    if result.notified is not None and notify:
        from halotrack.usecases.notify import mask_url

        say(f"\n{result.notified.summary()} to {mask_url(notify)}")
    say(f"\ndone in {result.wall_seconds:.1f}s")
