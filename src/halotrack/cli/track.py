"""`halotrack track [PLAYER...] [--once | --every 30m]`: run tracking cycles.

One tracker per database (a lock); Ctrl-C stops between or inside cycles and keeps every
snapshot already committed. The work itself is `halotrack.usecases.Tracker`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from halotrack.cli.common import console, err_console, print_json, run, state
from halotrack.cli.progress import RunProgress
from halotrack.errors import ConfigError, Unknown

if TYPE_CHECKING:
    from halotrack.config import Settings
    from halotrack.store import Store
    from halotrack.usecases import CycleReport
    from halotrack.usecases.cycle import Progress as ProgressFn

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str, option: str = "--every") -> float:
    """`30m`, `1h`, `2h30m`, `90s` -> seconds. A bare number is refused: `5` could mean
    seconds or minutes, and guessing wrong hammers the API or stalls the tracker."""
    t = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", t):
        raise ConfigError(
            f"{option} {text.strip()} has no unit", hint=f"write e.g. {t}m; s, h and d work too"
        )
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhd])", t)
    if not parts or "".join(n + u for n, u in parts) != t.replace(" ", ""):
        raise ConfigError(f"cannot read the interval {text!r}", hint="e.g. 30m, 1h, 2h30m")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds < 10:
        raise ConfigError(f"{option} must be at least 10s")
    return seconds


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressFn | None]:
    """On a terminal, a bar per phase, the match sync's with its rate and time left;
    otherwise plain lines for the match sync, the one phase long enough to need them."""
    if not enabled:
        yield None
        return
    with RunProgress(err_console, transient=True) as shown:

        def tick(phase: str, done: int, total: int) -> None:
            if phase == "matches":  # its total is 0 until every player's is known
                shown.update(phase, done, total or None)
            else:
                shown.update(phase, done, total, unit="")

        yield tick


def _show(report: CycleReport, as_json: bool, quiet: bool) -> None:
    if as_json:
        print_json(report.to_dict())
        return
    if quiet and not report.failures:
        return
    lines = report.summary() if not quiet else [f.text() for f in report.failures]
    if quiet:
        lines += report.hints()
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)


async def _notify(store: Store, settings: Settings, show: bool) -> None:
    """Deliver what the cycle's events made due, when there are notification targets; a
    broken targets file or sender never stops the tracker."""
    from halotrack.errors import HaloTrackError
    from halotrack.store import to_thread
    from halotrack.usecases.notify import send_if_targets
    from halotrack.wiring.notify import sender_from_settings

    try:
        sent = await to_thread(send_if_targets, store, lambda: sender_from_settings(settings))
    except HaloTrackError as exc:
        err_console.print(
            f"notifications not sent: {exc}", highlight=False, markup=False, soft_wrap=True
        )
        return
    if sent is None:
        return
    if show and (sent.delivered or sent.retrying or sent.gave_up):
        console.print(sent.summary(), highlight=False, markup=False, soft_wrap=True)


def track(
    ctx: typer.Context,
    players: Annotated[
        list[str] | None,
        typer.Argument(help="Only these watched players (default: every due player)."),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="One cycle, then exit.")] = False,
    every: Annotated[
        str | None, typer.Option("--every", help="Repeat: e.g. 30m, 1h (Ctrl-C stops).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--all", help="Check every watched player, due or not.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print each cycle's report.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress; print only failures.")
    ] = False,
    wait: Annotated[
        float,
        typer.Option(help="Seconds to wait for another tracker on this database."),
    ] = 0.0,
) -> None:
    """Check watched players and store what changed (one cycle, or every --every).

    A single cycle exits 1 when every player failed (e.g. an expired sign-in)."""
    from halotrack.usecases import StoreEtagCache, Tracker, TrackerLock
    from halotrack.usecases.watch import find_watched
    from halotrack.wiring.client import client_from_settings
    from halotrack.wiring.store import store_from_settings

    if once and every:
        raise ConfigError("--once and --every exclude each other")
    interval = parse_every(every) if every else None
    settings = state(ctx).settings()
    url = settings.database_url()
    show_progress = not quiet and not as_json  # a bar on a terminal, else lines
    with TrackerLock(url, wait=wait), store_from_settings(settings) as store:
        wanted: list[int] | None = None
        if players:
            wanted = []
            for text in players:
                entry = find_watched(store, text)
                if entry is None:
                    raise Unknown(
                        f"{text!r} is not on the watch list",
                        hint=f"`halotrack watch add {text!r}`",
                    )
                wanted.append(entry.xuid)
        if not store.watch_list():
            raise ConfigError("nobody is on the watch list", hint="`halotrack watch add GAMERTAG`")

        from asyncio import sleep

        async def loop() -> None:
            async with client_from_settings(settings, cache=StoreEtagCache(store)) as client:
                while True:
                    with _progress(show_progress) as tick:
                        tracker = Tracker(client, store, progress=tick)
                        report = await tracker.run_cycle(wanted, force=force)
                    _show(report, as_json, quiet)
                    await _notify(store, settings, show=not (as_json or quiet))
                    if interval is None:
                        if report.all_failed:
                            raise typer.Exit(1)  # for cron: nobody could be checked
                        return
                    await sleep(interval)

        try:
            run(loop())
        except KeyboardInterrupt:
            # Any cycle in flight stops here; each player's snapshots were written in
            # one transaction, so only whole players were stored.
            err_console.print("stopped: everything committed so far is kept")
            raise typer.Exit(130) from None
