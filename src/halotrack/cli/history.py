"""`halotrack history`, `diff` and `export`: read stored snapshots, no network.

The numbers and words come from `halotrack.store.history`; this module only wires options,
opens the store and prints.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from halotrack import config
from halotrack.cli.common import console, open_db, print_json
from halotrack.cli.output import write_output
from halotrack.errors import ConfigError
from halotrack.models.enums import RECORD_KINDS
from halotrack.models.names import load_personal_scores

if TYPE_CHECKING:
    pass

PlayerArg = Annotated[str, typer.Argument(help="Gamertag (current or past) or XUID.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Kind = Annotated[str, typer.Option("--kind", help="matchmade, custom or local.")]


class Format(StrEnum):
    csv = "csv"
    json = "json"


def _format_of(output: Path | None) -> Format:
    """The format a file name asks for (`x.csv` is CSV); JSON when it does not say."""
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    return Format(suffix) if suffix in Format.__members__ else Format.json


def _check_kind(kind: str) -> None:
    if kind not in RECORD_KINDS:
        raise ConfigError(f"unknown kind {kind!r}", hint="use matchmade, custom or local")


def _cell(value: str, delta: str) -> str:
    """The number, with its change underneath: keeps columns narrow in an 80-column shell."""
    return f"{value}\n{delta}" if delta else value


def _num(v: float | None, fmt: str = "{:,}") -> str:
    return "" if v is None else fmt.format(v)


def _dnum(v: float | None, fmt: str = "{:+,}") -> str:
    text = "" if v is None else fmt.format(v)
    return "" if text.lstrip("+-").strip("0.,") == "" else text


HISTORY_HELP = "One row per stored snapshot, with what changed since the last."


def history_cmd(
    ctx: typer.Context,
    player: PlayerArg,
    season: Annotated[
        str | None,
        typer.Argument(help="A season id, e.g. CsrSeason5-1 (default: lifetime)."),
    ] = None,
    scope: Annotated[
        str, typer.Option(help="lifetime, or season (with SEASON), or a season id.")
    ] = "lifetime",
    since: Annotated[str | None, typer.Option(help="Only snapshots from this date.")] = None,
    kind: Kind = "matchmade",
    as_json: AsJson = False,
) -> None:
    from halotrack.store.history import parse_when
    from halotrack.usecases import stored

    _check_kind(kind)
    since_at = parse_when(since)
    with open_db(ctx, write=False) as store:
        got = stored.history(store, player, kind=kind, scope=scope, season=season, since=since_at)
    p, sc, rows = got.player, got.scope, got.rows
    if as_json:
        print_json(
            {
                "xuid": p.xuid,
                "gamertag": p.gamertag,
                "kind": kind,
                "scope": sc.key(),
                "snapshots": [r.to_dict() for r in rows],
            }
        )
        return
    if not rows:
        console.print(f"no {kind} {sc.describe()} snapshots stored for {p.gamertag or p.xuid}")
        return
    table = Table(
        title=f"{p.gamertag or p.xuid}: {kind} {sc.describe()}",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 0),
    )
    for col in ("captured (UTC)", "games", "W", "L", "kills", "deaths", "K/D", "acc%"):
        if col.startswith("captured"):
            table.add_column(col, no_wrap=True)
        else:
            table.add_column(col, justify="right")
    table.add_column(" CSR", no_wrap=True)
    for r in rows:
        table.add_row(
            r.captured_at.strftime("%Y-%m-%d %H:%M"),
            _cell(_num(r.matches), _dnum(r.matches_delta)),
            _cell(_num(r.wins), _dnum(r.wins_delta)),
            _cell(_num(r.losses), _dnum(r.losses_delta)),
            _cell(_num(r.kills), _dnum(r.kills_delta)),
            _cell(_num(r.deaths), _dnum(r.deaths_delta)),
            _cell(_num(r.kd, "{:.2f}"), _dnum(r.kd_delta, "{:+.2f}")),
            _cell(_num(r.accuracy, "{:.2f}"), _dnum(r.accuracy_delta, "{:+.2f}")),
            " " + "; ".join(r.csr_short.values()),
        )
    console.print(table)


DIFF_HELP = "What changed between two dates, in words and numbers."


def diff_cmd(
    ctx: typer.Context,
    player: PlayerArg,
    from_: Annotated[
        str | None, typer.Option("--from", help="Start date (default: first snapshot).")
    ] = None,
    to: Annotated[str | None, typer.Option(help="End date (default: latest).")] = None,
    kind: Kind = "matchmade",
    as_json: AsJson = False,
) -> None:
    from halotrack.store.history import parse_when
    from halotrack.usecases import stored

    _check_kind(kind)
    from_at = parse_when(from_)
    to_at = parse_when(to, end_of_day=True)
    if from_at and to_at and from_at > to_at:
        raise ConfigError("--from is after --to", hint="swap the dates")
    scores = load_personal_scores(config.config_dir() / "personal_scores.json")
    with open_db(ctx, write=False) as store:
        p, result = stored.diff(
            store, player, kind=kind, from_at=from_at, to_at=to_at, scores=scores
        )
    if as_json:
        print_json(result.to_dict())
        return
    span = " to ".join(
        t.strftime("%Y-%m-%d %H:%M") for t in (result.from_at, result.to_at) if t is not None
    )
    console.print(f"[bold]{p.gamertag or p.xuid}[/] {kind} {span}", highlight=False)
    for line in result.lines:
        console.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)


EXPORT_HELP = "Write every stored snapshot of a player as CSV or JSON."


def export_cmd(
    ctx: typer.Context,
    player: PlayerArg,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format", "-f", help="csv or json (default: from the -o extension, else json)."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default stdout).")
    ] = None,
    csr: Annotated[
        bool, typer.Option("--csr", help="CSV: the CSR snapshots instead of records.")
    ] = False,
) -> None:
    from halotrack.store.history import export_csv, export_json
    from halotrack.usecases import stored

    fmt = fmt or _format_of(output)
    with open_db(ctx, write=False) as store:
        data = stored.export(store, player)
    if fmt is Format.json:
        text = export_json(data)
    else:
        text = export_csv(data, "csr" if csr else "service_records")
    write_output(text, output)
    if output is None:
        return
    n = len(data["csr"] if csr and fmt is Format.csv else data["service_records"])
    console.print(f"wrote {output} ({n} snapshots)", highlight=False)
