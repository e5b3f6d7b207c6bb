"""`halotrack export matches`: one row per player per match, for pandas, polars or a
spreadsheet, as CSV, JSON lines or Parquet.

Why one column list (`COLUMNS`): the three formats must hold the same data under the same
names, so each writer walks this list and nothing else. Values keep their types: counts are
integers, ratios floats, times UTC (ISO 8601 with `Z` in text, timestamp[us, UTC] in
Parquet), enum values their names, absent values empty (CSV) or null. Rows are read and
written a page at a time (`store.exports.export_pages`), so memory does not grow with the
career.

Parquet needs pyarrow (`pip install 'halotrack[parquet]'`); it is imported only when asked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import IO, Any

import msgspec

from halotrack.errors import ConfigError
from halotrack.models._base import iso_datetime
from halotrack.models.enums import (
    GameplayInteraction,
    GameVariantCategory,
    LifecycleMode,
    Outcome,
    PlaylistExperience,
)
from halotrack.models.export import COLUMNS, NAMES
from halotrack.models.summary import kd_ratio
from halotrack.store import Store
from halotrack.store import exports as sx
from halotrack.store import insights as si
from halotrack.usecases.insights import Performance, performances, resolve_player

FORMATS = ("csv", "jsonl", "parquet")
PARQUET_MISSING = "Parquet export needs pyarrow: pip install 'halotrack[parquet]'"


# Stored column -> export column, where only the name differs.
_RENAMED = {
    "playlist_asset_id": "playlist_id",
    "playlist_version_id": "playlist_version",
    "map_asset_id": "map_id",
    "map_version_id": "map_version",
    "mode_asset_id": "mode_id",
    "mode_version_id": "mode_version",
    "playlist_name": "playlist",
    "map_name": "map",
    "mode_name": "mode",
    "csr_pre": "csr_before",
    "csr_pre_tier": "csr_before_tier",
    "csr_pre_sub_tier": "csr_before_sub_tier",
    "csr_pre_matches_remaining": "placements_left_before",
    "csr_post": "csr_after",
    "csr_post_tier": "csr_after_tier",
    "csr_post_sub_tier": "csr_after_sub_tier",
    "csr_matches_remaining": "placements_left_after",
}
_ENUMS: dict[str, tuple[str, Any]] = {
    "lifecycle": ("lifecycle_mode", LifecycleMode),
    "game_type": ("game_variant_category", GameVariantCategory),
    "interaction": ("gameplay_interaction", GameplayInteraction),
    "experience": ("playlist_experience", PlaylistExperience),
    "outcome": ("outcome", Outcome),
}


def _row(stored: dict[str, Any], names: dict[int, str], perf: Performance | None) -> dict[str, Any]:
    """One export row (every name of `COLUMNS`) from a stored row of `export_pages`."""
    out = {_RENAMED.get(k, k): v for k, v in stored.items()}
    for col, (src, enum) in _ENUMS.items():
        out[col] = enum.label(stored[src]) if stored[src] is not None else None
    xuid = stored["xuid"]
    out["player"] = names.get(xuid) if xuid is not None else None
    out["pve"] = bool(stored["pve"])
    out["kd"] = kd_ratio(stored["kills"], stored["deaths"])
    if perf is not None:
        out["expected_kills"], out["expected_deaths"] = perf.expected_kills, perf.expected_deaths
        out["kills_spread"], out["deaths_spread"] = perf.kills_spread, perf.deaths_spread
        out["performance_index"] = perf.index
    else:
        out["kills_spread"] = out["deaths_spread"] = out["performance_index"] = None
    if out["csr_delta"] is not None:
        out["csr_delta"] = int(out["csr_delta"])
    return {name: out[name] for name in NAMES}


def export_rows(
    store: Store, player: str | None, *, progress: Callable[[int, int], None] | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Pages of export rows: one player's (by name or XUID) or, with `player` None, every
    stored player's, oldest match first. `progress(done, total)` after each page. An
    unknown player fails here, before anything is written."""
    xuid = resolve_player(store, player)[0] if player is not None else None
    return _pages(store, xuid, progress)


def _pages(
    store: Store, xuid: int | None, progress: Callable[[int, int], None] | None
) -> Iterator[list[dict[str, Any]]]:
    with store.reader() as tx:
        total = sx.export_size(tx, xuid)
        done = 0
        if progress is not None:
            progress(0, total)  # the clock of the rate starts here
        for page in sx.export_pages(tx, xuid):
            names = tx.display_names({r["xuid"] for r in page if r["xuid"] is not None})
            # Each skill answer decoded once for all its players.
            perf = {
                mid: performances(text)
                for mid, text in si.skill_answers(tx, {r["match_id"] for r in page}).items()
            }
            rows = [_row(r, names, perf.get(r["match_id"], {}).get(r["xuid"] or 0)) for r in page]
            yield rows
            done += len(rows)
            if progress is not None:
                progress(done, total)


# ---------------------------------------------------------------------------- writers


_TIMES = [i for i, c in enumerate(COLUMNS) if c.kind == "time"]
_BOOLS = [i for i, c in enumerate(COLUMNS) if c.kind == "bool"]


def _csv_cells(row: dict[str, Any]) -> list[Any]:
    """Times as ISO 8601 UTC, booleans as true/false; None is written as an empty cell."""
    cells = [row[name] for name in NAMES]
    for i in _TIMES:
        if cells[i] is not None:
            cells[i] = iso_datetime(cells[i])
    for i in _BOOLS:
        if cells[i] is not None:
            cells[i] = "true" if cells[i] else "false"
    return cells


def _write_csv(pages: Iterator[list[dict[str, Any]]], sink: IO[bytes]) -> int:
    text = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=True)
    try:
        out = csv.writer(text)  # quotes what needs it: commas, quotes, line breaks
        out.writerow(NAMES)
        n = 0
        for page in pages:
            out.writerows(_csv_cells(r) for r in page)
            n += len(page)
        text.flush()
        return n
    finally:
        text.detach()  # the caller owns `sink`: closing the wrapper would close it


def _write_jsonl(pages: Iterator[list[dict[str, Any]]], sink: IO[bytes]) -> int:
    enc = msgspec.json.Encoder()  # times as RFC 3339 UTC (`...Z`)
    n = 0
    for page in pages:
        sink.write(enc.encode_lines(page))
        n += len(page)
    return n


def _arrow_schema() -> Any:
    import pyarrow as pa

    types = {
        "str": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "time": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([pa.field(c.name, types[c.kind], metadata={"doc": c.doc}) for c in COLUMNS])


def parquet_available() -> None:
    """Fails in one line naming the extra when pyarrow is not installed."""
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise ConfigError(PARQUET_MISSING, hint="or choose --format csv or jsonl") from None


def _write_parquet(pages: Iterator[list[dict[str, Any]]], sink: IO[bytes]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema()
    n = 0
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for page in pages:
            writer.write_table(pa.Table.from_pylist(page, schema=schema))
            n += len(page)
        if n == 0:
            writer.write_table(schema.empty_table())
    return n


WRITERS: dict[str, Callable[[Iterator[list[dict[str, Any]]], IO[bytes]], int]] = {
    "csv": _write_csv,
    "jsonl": _write_jsonl,
    "parquet": _write_parquet,
}


def export_matches(
    store: Store,
    player: str | None,
    fmt: str,
    sink: IO[bytes],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the match rows of `player` (None: every player) to `sink` as `fmt`; returns
    the number of rows. The caller makes `sink` atomic (a temporary file renamed when this
    returns), so a failure never leaves a partial file under the real name."""
    if fmt not in WRITERS:
        raise ConfigError(f"unknown export format {fmt!r}", hint=f"use {', '.join(FORMATS)}")
    if fmt == "parquet":
        parquet_available()
    return WRITERS[fmt](export_rows(store, player, progress=progress), sink)
