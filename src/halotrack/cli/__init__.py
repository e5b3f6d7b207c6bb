"""The `halotrack` command: a Typer app whose groups live one module each beside this one.

Each module owns its `typer.Typer()` (a group) or its command functions; this module
registers them explicitly, so the whole tree is visible here, to mypy and to graph tools.

Every `HaloTrackError` becomes one line on stderr and its exit code; a traceback only with
`--debug`.
"""

from __future__ import annotations

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
from halotrack.cli import (
    auth,
    db,
    decode,
    demo,
    history,
    insights,
    matches,
    names,
    notify,
    page,
    read,
    scores,
    serve,
    simulator,
    status,
    track,
    watch,
    worker,
)
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


# The command tree, in the order of `--help`. Each module below imports only typer, rich
# and light parts of halotrack at the top; its commands import what they use when they run.
app.add_typer(auth.app, name="auth")  # sign in
app.command("record")(read.record_cmd)  # live reads
app.command("csr")(read.csr_cmd)
app.command("seasons")(read.seasons_cmd)
app.command("medals")(read.medals_cmd)
app.command("playlists")(read.playlists_cmd)
app.add_typer(watch.app, name="watch")
app.command("track")(track.track)
app.command("worker")(worker.worker)  # a community instance on PostgreSQL
app.command("status")(status.status)
app.command("history", help=history.HISTORY_HELP)(history.history_cmd)  # stored snapshots
app.command("diff", help=history.DIFF_HELP)(history.diff_cmd)
app.command("export", help=history.EXPORT_HELP)(history.export_cmd)
app.add_typer(matches.app, name="matches")
app.command("match")(matches.match_cmd)
app.command("breakdown")(insights.breakdown_cmd)  # insights from synced matches
app.command("session")(insights.session_cmd)
app.command("streaks")(insights.streaks_cmd)
app.command("mates")(insights.mates_cmd)
app.command("vs")(insights.vs_cmd)
app.command("csr-history")(insights.csr_history_cmd)
app.command("performance")(insights.performance_cmd)
app.add_typer(scores.app, name="scores")
app.add_typer(names.app, name="names")  # numbers newer than this version, from the API
app.add_typer(notify.app, name="notify")  # rank ups, sessions, bests to Discord, ntfy...
app.command("page")(page.page)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("simulator")(simulator.simulator)
app.command("decode", help=decode.HELP)(decode.decode_cmd)
app.add_typer(db.app, name="db")


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
