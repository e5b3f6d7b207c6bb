"""Shared plumbing for command modules: settings from the root callback, output helpers.

Why: every command resolves settings the same way and prints JSON the same way; command
modules hold no logic beyond wiring.
"""

from __future__ import annotations

import json
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from halotrack import config
from halotrack.cli.output import write_output

if TYPE_CHECKING:
    from halotrack.store import Store

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)

PlayerArg = Annotated[str, typer.Argument(help="Gamertag (current or past) or XUID.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")]
# The simulated world's seed, for the commands that start the simulator (`demo`, `simulator`).
SeedOpt = Annotated[int, typer.Option(help="Seed of the simulated world: same seed, same world.")]


def _record_kind(value: str) -> str:
    from halotrack.errors import ConfigError
    from halotrack.models.enums import RECORD_KINDS

    kind = value.strip().lower()
    if kind not in RECORD_KINDS:
        raise ConfigError(f"unknown record kind {value!r}", hint="use matchmade, custom or local")
    return kind


# A service record's kind, checked (and lower-cased) while the command line is parsed.
KindOpt = Annotated[
    str, typer.Option("--kind", help="matchmade, custom or local.", callback=_record_kind)
]


@dataclass
class State:
    """What the root callback parsed; commands read it from `ctx.obj`."""

    flags: dict[str, Any] = field(default_factory=dict)
    debug: bool = False

    def settings(self, **more: Any) -> config.Settings:
        return config.resolve(**{**self.flags, **more})


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if not isinstance(obj, State):
        obj = State()
        ctx.find_root().obj = obj
    return obj


def open_db(ctx: typer.Context, *, write: bool = True, upgrade: bool = True) -> Store:
    """The configured database; imported here, on use, so `--help` never loads SQLAlchemy."""
    from halotrack.wiring.store import store_from_settings

    return store_from_settings(state(ctx).settings(), write=write, upgrade=upgrade)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion from a synchronous Typer command."""
    import asyncio  # here: `--help` and `--version` run no event loop

    return asyncio.run(coro)


def print_json(data: Any) -> None:
    """Write JSON for scripts to stdout: stable keys, no colour, one document."""
    write_output(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", None)


def listing(title: str) -> Table:
    """A table in the house style of listings: a light rule under the head, no outer
    padding, so that it fits 80 columns."""
    return Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
