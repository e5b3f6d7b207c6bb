"""`halotrack simulator`: run the offline Waypoint API simulator until interrupted.

Why: demos, manual testing and benchmarks need the API without a network or an account; any
halotrack command then points at it with `--api http://127.0.0.1:PORT`.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from halotrack.cli.common import SeedOpt, console, run
from halotrack.errors import ConfigError

if TYPE_CHECKING:
    import ssl


def _identity_plugins(enabled: bool) -> list[Any]:
    """The sign-in helper's identity endpoints, when that module is present."""
    if not enabled:
        return []
    try:
        module = importlib.import_module("halotrack.simulator.identity")
    except ImportError:
        return []
    factory = getattr(module, "IdentityPlugin", None)
    # Nobody can type a device code into the simulator: it approves each one by itself.
    return [factory(auto_approve=True)] if callable(factory) else []


async def _serve(
    *,
    host: str,
    port: int,
    seed: int,
    players: int,
    ssl_context: ssl.SSLContext | None,
    plugins: list[Any],
    now: datetime | None,
    options: dict[str, Any],
    ca_file: str | None,
) -> None:
    from halotrack.simulator import start_simulator

    async with start_simulator(
        seed=seed,
        players=players,
        port=port,
        host=host,
        ssl_context=ssl_context,
        plugins=plugins,
        now=now,
        **options,
    ) as sim:
        first = sim.world.players[0]
        say = partial(console.print, soft_wrap=True, highlight=False)
        say(f"Simulator on [bold]{sim.base_url}[/] (seed {seed}, {players} players)")
        say(f"  sign in as a player:  halotrack --api {sim.base_url} auth sim")
        if ca_file and plugins:
            say(
                f"  or the whole simulated Microsoft sign-in:  halotrack --api {sim.base_url} "
                f"auth login --client-id simulator --ca-bundle {ca_file}"
            )
        say(f'  then read with it:    halotrack --api {sim.base_url} record "{first.gamertag}"')
        say(
            "  control:              /_sim/players /_sim/advance /_sim/play /_sim/stats "
            "/_sim/requests /_sim/faults"
        )
        say(f"  simulated now:        {sim.clock.now().isoformat()}")
        say("Ctrl-C stops it.")
        import asyncio

        await asyncio.Event().wait()


def simulator(
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    seed: SeedOpt = 7,
    players: Annotated[int, typer.Option(help="Number of players.")] = 200,
    seasons: Annotated[int, typer.Option(help="Seasons from launch to now.")] = 12,
    ranked_playlists: Annotated[int, typer.Option(help="Ranked playlists.")] = 2,
    active_fraction: Annotated[
        float | None,
        typer.Option(help="Fraction of players playing per advance (default: by activity)."),
    ] = None,
    history_scale: Annotated[
        float, typer.Option(help="Scale each player's pre-start match count.")
    ] = 1.0,
    now: Annotated[
        str | None, typer.Option(help="Simulated start time, ISO 8601 (default 2026-01-01).")
    ] = None,
    tls: Annotated[
        bool,
        typer.Option(
            "--tls",
            help="Serve HTTPS with a certificate made now (its CA file goes to --tls-dir), "
            "as the simulated Microsoft sign-in needs.",
        ),
    ] = False,
    tls_dir: Annotated[
        str | None,
        typer.Option(
            help="Folder for --tls's CA and certificate (default: simulator-tls in the data dir).",
            show_default=False,
        ),
    ] = None,
    tls_cert: Annotated[str | None, typer.Option(help="PEM certificate: serve HTTPS.")] = None,
    tls_key: Annotated[str | None, typer.Option(help="PEM private key for --tls-cert.")] = None,
    identity: Annotated[
        bool, typer.Option(help="Also serve the sign-in (identity) endpoints.")
    ] = True,
) -> None:
    """Run the offline Halo Waypoint API simulator."""
    import ssl

    ctx = None
    ca_file: str | None = None
    if tls and tls_cert:
        raise ConfigError("--tls makes its own certificate: leave out --tls-cert")
    if tls:
        from halotrack.config import data_dir
        from halotrack.simulator.tls import make_tls

        folder = Path(tls_dir).expanduser() if tls_dir else data_dir() / "simulator-tls"
        try:
            made = make_tls(folder, [host])
            ctx = made.server_context()
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"cannot make a TLS certificate in {folder}: {exc}") from exc
        ca_file = str(made.ca_file.resolve())
    if tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            ctx.load_cert_chain(tls_cert, tls_key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"cannot load TLS certificate: {exc}") from exc
    start = None
    if now:
        try:
            start = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(f"--now is not an ISO 8601 time: {now}") from exc
    options = {
        "seasons": seasons,
        "ranked_playlists": ranked_playlists,
        "active_fraction": active_fraction,
        "history_scale": history_scale,
    }
    try:
        run(
            _serve(
                host=host,
                port=port,
                seed=seed,
                players=players,
                ssl_context=ctx,
                plugins=_identity_plugins(identity),
                now=start,
                options=options,
                ca_file=ca_file,
            )
        )
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc}") from exc
