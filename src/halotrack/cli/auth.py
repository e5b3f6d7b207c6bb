"""`halotrack auth login | status | logout | paste`: sign in, see it, remove it, or paste.

Why: every data command needs a Spartan token; these commands obtain one (and keep it fresh
through the stored Microsoft sign-in) so that other commands find it by themselves. Nothing
here ever prints a token.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

if TYPE_CHECKING:
    from halotrack.auth.login import DeviceCode
from halotrack.cli.common import JsonOpt, console, err_console, print_json, run, state
from halotrack.errors import ConfigError

ClientIdOpt = Annotated[
    str | None,
    typer.Option(
        "--client-id",
        help="Application (client) ID of your Azure app registration (env HALOTRACK_CLIENT_ID)",
        show_default=False,
    ),
]
CaOpt = Annotated[
    str | None,
    typer.Option(
        "--ca-bundle",
        help="Trust only this CA file for sign-in (a simulator's test CA, a TLS-inspecting "
        "proxy) (env HALOTRACK_CA_BUNDLE)",
        show_default=False,
    ),
]


def _show_code(code: DeviceCode) -> None:
    text = code.message or (
        f"To sign in, open {code.verification_uri} and enter the code {code.user_code}"
    )
    err_console.print(text, soft_wrap=True, highlight=False, markup=False)
    err_console.print("Waiting for you to finish signing in...", highlight=False)


def _show_url(url: str) -> None:
    err_console.print(
        "Sign in in your browser. If none opened, open this address:",
        highlight=False,
    )
    err_console.print(url, soft_wrap=True, highlight=False, markup=False)


def _read_pasted(spartan: str | None, clearance: str | None) -> tuple[str, str | None]:
    """Flags first; else stdin when piped (token line, optional clearance line); else ask."""
    if spartan:
        return spartan, clearance
    if not sys.stdin.isatty():
        lines = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
        if not lines:
            raise ConfigError(
                "nothing to paste on standard input",
                hint="pipe the token (first line) and clearance (second line), or use "
                "--spartan-token",
            )
        return lines[0], clearance or (lines[1] if len(lines) > 1 else None)
    token = typer.prompt(
        "Spartan token (the x-343-authorization-spartan request header)", hide_input=True
    )
    if clearance is None:
        answer = typer.prompt(
            "Clearance (343-clearance header; Enter to fetch it)",
            default="",
            show_default=False,
            hide_input=True,
        )
        clearance = answer or None
    return token, clearance


def _status_table(info: dict[str, Any]) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    source = {
        "msal": "Microsoft account",
        "paste": "pasted from a browser",
        "simulator": "the simulator (auth sim)",
    }
    rows: list[tuple[str, Any]] = [
        ("Gamertag", info.get("gamertag")),
        ("XUID", info.get("xuid")),
        ("Signed in with", source.get(str(info.get("source")), info.get("source"))),
        ("Microsoft account", info.get("microsoft_account")),
        ("Signed in at", info.get("signed_in_at")),
        ("API", info.get("api_root")),
        ("Client id", info.get("client_id")),
    ]
    tokens = info.get("tokens") or {}
    rows += [
        ("Spartan token expires", tokens.get("spartan_expires")),
        ("Clearance", tokens.get("clearance") or "missing"),
        ("XSTS token expires", tokens.get("xsts_expires")),
        ("Xbox user token expires", tokens.get("xbox_user_expires")),
        ("Microsoft access token expires", tokens.get("microsoft_access_expires")),
    ]
    if "microsoft_refresh_token" in tokens:
        rows.append(
            ("Microsoft refresh token", "stored" if tokens["microsoft_refresh_token"] else "none")
        )
    rows.append(("Stored in", info.get("directory")))
    for name, meta in (info.get("files") or {}).items():
        rows.append((f"  {name}", f"mode {meta['mode']}"))
    for name, value in rows:
        if value is not None:
            table.add_row(name, str(value))
    return table


app = typer.Typer(
    help="Sign in to Halo Waypoint; see or remove the stored sign-in.",
    no_args_is_help=True,
)


@app.command("login")
def login_cmd(
    ctx: typer.Context,
    client_id: ClientIdOpt = None,
    browser: Annotated[
        bool,
        typer.Option(
            "--browser",
            help="Sign in through the browser (authorization code + PKCE, localhost "
            "redirect) instead of a device code.",
        ),
    ] = False,
    port: Annotated[
        int, typer.Option(help="Local port for the browser's answer (0: any free one).")
    ] = 0,
    authority: Annotated[
        str | None,
        typer.Option(
            help="Microsoft authority URL (default: consumers; under --api for a "
            "simulator) (env HALOTRACK_AUTHORITY)",
            show_default=False,
        ),
    ] = None,
    ca_bundle: CaOpt = None,
) -> None:
    """Sign in with a Microsoft account that has an Xbox profile.

    Prints a code to enter at microsoft.com/link (or opens the browser with --browser),
    then stores the sign-in, owner-only, in the data directory. Tokens renew by
    themselves for as long as the Microsoft sign-in lasts (about 90 days unused).
    """
    from halotrack.auth import SignInConfig, TokenStore, login_browser, login_device_code

    settings = state(ctx).settings(client_id=client_id)
    config = SignInConfig.from_settings(
        settings, client_id=client_id, authority=authority, ca_bundle=ca_bundle
    )
    if browser:
        session = run(login_browser(config, announce=_show_url, port=port))
    else:
        session = run(login_device_code(config, show=_show_code))
    console.print(
        f"Signed in as [bold]{session.gamertag}[/] (XUID {session.xuid}). "
        f"Stored in {TokenStore().directory}",
        highlight=False,
    )


@app.command("status")
def status_cmd(
    ctx: typer.Context,
    as_json: JsonOpt = False,
) -> None:
    """Who is signed in, until when each token lasts, and where they are stored."""
    from halotrack.auth import status

    info = status(token_override=bool(state(ctx).settings().spartan_token))
    override = info.get("token_override")
    if as_json:
        print_json(info)
    elif not info["signed_in"] and override:
        console.print(f"No stored sign-in; using {override}.", highlight=False)
    elif not info["signed_in"]:
        console.print(
            "Not signed in. Run `halotrack auth login` (or `halotrack auth paste`).",
            highlight=False,
        )
    else:
        console.print(_status_table(info))
        if override:
            console.print(f"Note: commands are using {override}.", highlight=False)
    if not info["signed_in"] and not override:
        raise typer.Exit(1)


@app.command("logout")
def logout_cmd() -> None:
    """Remove every stored token and the Microsoft sign-in cache."""
    from halotrack.auth import logout

    removed = logout()
    if removed:
        console.print(f"Signed out: removed {len(removed)} file(s).", highlight=False)
        for path in removed:
            console.print(f"  {path}", highlight=False)
    else:
        console.print("Nobody was signed in; nothing to remove.", highlight=False)


@app.command("sim")
def sim_cmd(
    ctx: typer.Context,
    player: Annotated[
        str | None,
        typer.Option(
            "--player",
            help="Gamertag or XUID of a simulated player (default: the first one).",
            show_default=False,
        ),
    ] = None,
    api: Annotated[
        str | None,
        typer.Option(
            "--api", help="The simulator's address (or the global --api).", show_default=False
        ),
    ] = None,
    ca_bundle: CaOpt = None,
) -> None:
    """Sign in to a running `halotrack simulator` as one of its players.

    No account needed: the token and clearance come from the simulator and renew by
    themselves as simulated time passes. Use the same --api with every later command.
    """
    from halotrack.auth.microsoft import ca_bundle_setting
    from halotrack.auth.simulator import sim_sign_in

    settings = state(ctx).settings()
    session = run(
        sim_sign_in(
            api or settings.api,
            player,
            ca_bundle=ca_bundle or ca_bundle_setting(settings),
        )
    )
    console.print(
        f"Signed in to the simulator at {session.api_root} as "
        f"[bold]{session.gamertag}[/] (XUID {session.xuid}).",
        highlight=False,
    )


@app.command("paste")
def paste_cmd(
    ctx: typer.Context,
    spartan_token: Annotated[
        str | None,
        typer.Option(
            "--spartan-token",
            help="The token (visible to other local users in the process list: prefer "
            "the prompt or standard input).",
            show_default=False,
        ),
    ] = None,
    clearance: Annotated[
        str | None,
        typer.Option("--clearance", help="The 343-clearance value.", show_default=False),
    ] = None,
    ca_bundle: CaOpt = None,
) -> None:
    """Store a Spartan token (and clearance) copied from halowaypoint.com.

    In the browser's developer tools (Network tab) on halowaypoint.com, copy the request
    headers x-343-authorization-spartan and, if present, 343-clearance. The token is
    checked with one call and stored; it cannot renew itself (it lasts about 4 hours).
    """
    from halotrack.auth import paste
    from halotrack.auth.microsoft import ca_bundle_setting
    from halotrack.waypoint.guard import Bounds

    settings = state(ctx).settings()
    token, flight = _read_pasted(spartan_token, clearance)
    session = run(
        paste(
            token,
            flight,
            api_root=settings.api,
            ca_bundle=ca_bundle or ca_bundle_setting(settings),
            bounds=Bounds.of(settings),
        )
    )
    who = f"{session.gamertag} (XUID {session.xuid})" if session.xuid else "the token"
    console.print(
        f"Stored the pasted token for {who}. It cannot renew itself: paste a new one "
        "when it expires, or use `halotrack auth login`.",
        highlight=False,
    )
