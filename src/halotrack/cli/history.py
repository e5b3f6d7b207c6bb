"""`halotrack history`, `diff` and `export`: read stored snapshots, no network.

The numbers and words come from `halotrack.store.history`; this module only wires options,
opens the store and prints.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from halotrack import config
from halotrack.cli.common import (
    JsonOpt,
    KindOpt,
    PlayerArg,
    console,
    err_console,
    open_db,
    print_json,
)
from halotrack.cli.output import write_output
from halotrack.errors import ConfigError
from halotrack.models.export import MATCH_COLUMNS_HELP
from halotrack.models.names import load_personal_scores


class Format(StrEnum):
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    parquet = "parquet"


_SUFFIXES = {
    "csv": Format.csv,
    "json": Format.json,
    "jsonl": Format.jsonl,
    "ndjson": Format.jsonl,
    "parquet": Format.parquet,
    "pq": Format.parquet,
}


def _format_of(output: Path | None, default: Format = Format.json) -> Format:
    """The format a file name asks for (`x.csv` is CSV); `default` when it does not say."""
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    return _SUFFIXES.get(suffix, default)


def _cell(value: str, delta: str) -> str:
    """The number, with its change underneath: keeps columns narrow in an 80-column shell."""
    return f"{value}\n{delta}" if delta else value


def _num(v: float | None, fmt: str = "{:,}") -> str:
    return "" if v is None else fmt.format(v)


def _dnum(v: float | None, fmt: str = "{:+,}") -> str:
    text = "" if v is None else fmt.format(v)
    return "" if text.lstrip("+-").strip("0.,") == "" else text


# The history table's number columns: header, row number, its format, its change's format.
_HISTORY_COLUMNS = (
    ("games", "matches", "{:,}", "{:+,}"),
    ("W", "wins", "{:,}", "{:+,}"),
    ("L", "losses", "{:,}", "{:+,}"),
    ("kills", "kills", "{:,}", "{:+,}"),
    ("deaths", "deaths", "{:,}", "{:+,}"),
    ("K/D", "kd", "{:.2f}", "{:+.2f}"),
    ("acc%", "accuracy", "{:.2f}", "{:+.2f}"),
)

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
    kind: KindOpt = "matchmade",
    as_json: JsonOpt = False,
) -> None:
    from halotrack.store.history import parse_when
    from halotrack.usecases import stored

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
    table.add_column("captured (UTC)", no_wrap=True)
    for header, *_ in _HISTORY_COLUMNS:
        table.add_column(header, justify="right")
    table.add_column(" CSR", no_wrap=True)
    for r in rows:
        table.add_row(
            r.captured_at.strftime("%Y-%m-%d %H:%M"),
            *(
                _cell(_num(r.numbers[name], fmt), _dnum(r.deltas[name], dfmt))
                for _, name, fmt, dfmt in _HISTORY_COLUMNS
            ),
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
    kind: KindOpt = "matchmade",
    as_json: JsonOpt = False,
) -> None:
    from halotrack.store.history import parse_when
    from halotrack.usecases import stored

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


EXPORT_HELP = f"""Write stored snapshots or matches for analysis.

`export PLAYER` (or `export snapshots PLAYER`): every stored snapshot as JSON or CSV.

`export matches PLAYER` (or `export matches --all-players`): one row per player per match
as CSV, JSON lines or Parquet (Parquet needs pyarrow: the `parquet` extra), oldest first;
times are UTC, absent values empty.

Columns: {MATCH_COLUMNS_HELP}.
"""


def export_cmd(
    ctx: typer.Context,
    what: Annotated[
        str,
        typer.Argument(
            help="`matches`, `snapshots`, or a player (their snapshots).",
            metavar="WHAT",
            show_default=False,
        ),
    ],
    player: Annotated[
        str | None, typer.Argument(help="Gamertag (current or past) or XUID.", metavar="PLAYER")
    ] = None,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="snapshots: csv or json; matches: csv, jsonl or parquet (default: from the "
            "-o extension, else json for snapshots and csv for matches).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default stdout).")
    ] = None,
    csr: Annotated[
        bool, typer.Option("--csr", help="Snapshots as CSV: the CSR snapshots instead.")
    ] = False,
    all_players: Annotated[
        bool, typer.Option("--all-players", help="Matches: every stored player's rows.")
    ] = False,
) -> None:
    if what == "matches":
        if csr:
            raise ConfigError("--csr is for snapshot exports", hint="export snapshots PLAYER --csr")
        _export_matches(ctx, player, fmt, output, all_players)
        return
    if all_players:
        raise ConfigError("--all-players is for match exports", hint="export matches --all-players")
    if what != "snapshots":
        if player is not None:
            raise ConfigError(
                f"cannot export {what!r}", hint="export matches PLAYER, or export snapshots PLAYER"
            )
        player = what
    if player is None:
        raise ConfigError("whose snapshots?", hint="export snapshots PLAYER")
    _export_snapshots(ctx, player, fmt, output, csr)


def _export_snapshots(
    ctx: typer.Context, player: str, fmt: Format | None, output: Path | None, csr: bool
) -> None:
    from halotrack.store.history import export_csv, export_json
    from halotrack.usecases import stored

    fmt = fmt or _format_of(output)
    if fmt not in (Format.csv, Format.json):
        raise ConfigError(
            f"snapshots export as csv or json, not {fmt.value}",
            hint="matches export as jsonl or parquet: export matches PLAYER",
        )
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


def _export_matches(
    ctx: typer.Context,
    player: str | None,
    fmt: Format | None,
    output: Path | None,
    all_players: bool,
) -> None:
    from halotrack.cli.output import open_output, open_stdout
    from halotrack.cli.progress import RunProgress
    from halotrack.usecases.exports import export_matches, parquet_available

    if (player is None) == (not all_players):
        raise ConfigError(
            "name one player or pass --all-players",
            hint="export matches PLAYER -o matches.csv",
        )
    fmt = fmt or _format_of(output, Format.csv)
    if fmt is Format.json:
        raise ConfigError("matches export as csv, jsonl or parquet", hint="use --format jsonl")
    if fmt is Format.parquet:
        parquet_available()
        if output is None:
            raise ConfigError("Parquet is binary: name a file", hint="-o matches.parquet")
    with open_db(ctx, write=False) as store, RunProgress(err_console, unit="rows") as shown:

        def progress(done: int, total: int) -> None:
            shown.update("export", done, total)

        with open_output(output) if output is not None else open_stdout() as sink:
            n = export_matches(store, player, fmt.value, sink, progress=progress)
    if output is not None:
        who = player or "every player"
        console.print(
            f"wrote {output} ({n} rows: {who}, {fmt.value})", highlight=False, soft_wrap=True
        )
