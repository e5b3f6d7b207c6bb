"""The `halotrack` command: a Typer app whose groups live one module each beside this one.

Every `HaloTrackError` becomes one line on stderr and its exit code; a traceback only with
`--debug`.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
import sys
from functools import partial
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from halotrack import __version__
from halotrack.cli.common import State, err_console
from halotrack.errors import HaloTrackError

_PARAGRAPH = re.compile(r"\n\s*\n")


def _flowing(text: str) -> str:
    """Docstring line breaks are for the source, not the terminal: join each paragraph's
    lines so Rich wraps it at the terminal's width instead of breaking mid-sentence."""
    paragraphs = _PARAGRAPH.split(inspect.cleandoc(text))
    return "\n\n".join(" ".join(p.split()) if not p.startswith("\b") else p for p in paragraphs)


def _value_label(param: Any, ctx: Any) -> str | None:
    """What the help shows after an option: nothing for a flag or an argument (its name is
    shown), the choices for a choice, else the option's name; never a Python type."""
    if getattr(param, "param_type_name", "") != "option" or getattr(param, "is_flag", False):
        return None
    if getattr(getattr(param, "type_descriptor", None), "is_choice", False):
        return str(param.display_type(ctx)).strip("<>")
    return str(param.name or "value").upper()


def _tidy_help(command: Any) -> None:
    """Help for `command` and everything under it, as users read it: flowing paragraphs,
    the first paragraph alone in the parent's list, value labels instead of type tags."""
    if command.help:
        command.help = _flowing(command.help)
        command.short_help = command.short_help or command.help.split("\n\n")[0]
    for param in command.params:
        if param.help:
            param.help = _flowing(param.help)
        param.display_type_rich = partial(_value_label, param)
    make_help_option = command.get_help_option

    def help_option(ctx: Any) -> Any:  # made per run, so not among `params` above
        option = make_help_option(ctx)
        if option is not None:
            option.display_type_rich = partial(_value_label, option)
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        _tidy_help(sub)


class _HelpGroup(TyperGroup):
    """The root group: tidies the help of the whole command tree once it is built."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _tidy_help(self)


app = typer.Typer(
    name="halotrack",
    cls=_HelpGroup,
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
    "worker",  # worker, status: a community instance on PostgreSQL
    "status",
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
