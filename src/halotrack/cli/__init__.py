"""The `halotrack` command: a Typer app whose groups live one module each beside this one.

Every `HaloTrackError` becomes one line on stderr and its exit code; a traceback only with
`--debug`.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Annotated

import typer
from rich.markup import escape

from halotrack import __version__
from halotrack.cli.common import State, err_console
from halotrack.errors import HaloTrackError

app = typer.Typer(
    name="halotrack",
    help="Own your Halo Infinite history: records, CSR, matches, snapshots, diffs, a stats page.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Each module defines `register(app)`. Keep this list in the order of `--help`.
COMMAND_MODULES: list[str] = [
    "auth",  # sign in
    "read",  # record, csr, seasons, medals, playlists: live reads
    "watch",
    "track",
    "history",  # history, diff, export: from stored snapshots
    "matches",  # matches, match
    "scores",
    "names",  # names of numbers newer than this version, learned from the API
    "page",
    "serve",
    "demo",
    "simulator",
    "decode",
    "db",
]


def _version(value: bool) -> None:
    if value:
        print(f"halotrack {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    api: Annotated[
        str | None,
        typer.Option(
            help="API root, e.g. a simulator at http://127.0.0.1:8765 (env HALOTRACK_API)"
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(help="SQLite path or database URL (env HALOTRACK_DB)"),
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks and debug logs.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = State(flags={"api": api, "db": db}, debug=debug)


def _load_commands() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"halotrack.cli.{name}")
        module.register(app)


_load_commands()


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the app, map our errors to one line and an exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        # With standalone_mode=False, typer.Exit(code) comes back as the return value.
        rc = app(args=argv, standalone_mode=False)
    except HaloTrackError as exc:
        if debug:
            raise
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True
        )
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except KeyboardInterrupt:
        err_console.print("interrupted; everything committed so far is kept")
        return 130
    except Exception as exc:
        # Usage errors surface here with standalone_mode=False; Typer vendors click, so
        # recognise them by what they can do rather than by an import.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            return code
        raise
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
