"""Benchmark `export matches`: speed of each format, and that memory does not grow with the
number of rows (the export is written a page at a time).

The store is the insights benchmark's (a daily player's 5,000 matches with their skill
answers, and everyone else's rows of those matches). Each format is exported for the one
player and for every player (about eight times the rows); the baseline is the same rows
held in memory at once, as an export that did not page would hold them.

    .venv/bin/python bench/export.py [--matches 5000] [--db URL]

Prints a table; the last line is `export_rows_per_s=<csv, every player, per CPU second>
export_peak_ratio=<peak Python memory, every player over one player, CSV>` (about 1 when
memory does not grow with the rows).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench.insights: the same seeded career
from bench.insights import career, seed  # noqa: E402

from halotrack.store import Store, open_store  # noqa: E402
from halotrack.usecases import exports as ux  # noqa: E402


def run(fn: Callable[[], int]) -> tuple[int, float, float, float]:
    """(rows, wall seconds, CPU seconds, peak MB of Python allocations: a second run under
    tracemalloc). On a shared machine the CPU time says what the export costs."""
    c0, t0 = time.process_time(), time.perf_counter()
    rows = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return rows, wall, cpu, peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--matches", type=int, default=5000)
    ap.add_argument("--db", help="a database URL, seeded once and kept (default: a temp file)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        with open_store(url) as store:
            world, p = career(args.matches)
            if store.match_count(p.xuid) < args.matches:
                seed(store, world, p, args.matches)
            results = measure(store, p.gamertag)
    width = max(len(k) for k in results)
    head = f"{'export':<{width}}  {'rows':>7}  {'wall s':>6}  {'CPU s':>6}  {'rows/CPU s':>10}"
    print(f"{head}  {'peak MB':>8}")
    for key, (rows, wall, cpu, peak) in results.items():
        print(
            f"{key:<{width}}  {rows:>7,}  {wall:>6.2f}  {cpu:>6.2f}  {rows / cpu:>10,.0f}  "
            f"{peak:>8.1f}"
        )
    one, every = results["csv, one player"], results["csv, every player"]
    print(f"export_rows_per_s={every[0] / every[2]:.0f} export_peak_ratio={every[3] / one[3]:.2f}")
    return 0


def export(store: Store, player: str | None, fmt: str) -> int:
    """To /dev/null: memory then measures the export, not a copy of its output."""
    with open(os.devnull, "wb") as sink:
        return ux.export_matches(store, player, fmt, sink)


def measure(store: Store, tag: str) -> dict[str, tuple[int, float, float, float]]:
    out: dict[str, tuple[int, float, float, float]] = {}
    for who, player in (("one player", tag), ("every player", None)):
        for fmt in ux.FORMATS:
            out[f"{fmt}, {who}"] = run(lambda f=fmt, pl=player: export(store, pl, f))

        def held(pl: str | None = player) -> int:
            return len([r for page in ux.export_rows(store, pl) for r in page])

        out[f"baseline: held in memory, {who}"] = run(held)
    return out


if __name__ == "__main__":
    sys.exit(main())
