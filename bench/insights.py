"""Benchmark the insights over a long career: 5,000 stored matches of one player.

The matches are the simulator's (a daily player of a world whose histories are scaled up),
with their skill answers, stored straight through `match_rows`/`save_match` (no HTTP).
Times `breakdown` (by mode, map and playlist), `session`, `mates` and `vs` (issue 13's
target: under 0.5 s each), and for reference `streaks`, `csr_history` and the performance
trend (which reads every skill answer).

    .venv/bin/python bench/insights.py [--matches 5000] [--repeat 5] [--db URL]

On PostgreSQL the tables are ANALYZEd after seeding (see `analyze`). Prints a table; the
last line is `insights_s=<x>`: the slowest of breakdown, session,
mates and vs (median of the repeats).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from halotrack.simulator.world import SimPlayer, World
from halotrack.store import Store, open_store
from halotrack.usecases import insights as ins

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test-support package: tests/support/career.py
from tests.support.career import save_career  # noqa: E402

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def career(count: int) -> tuple[World, SimPlayer]:
    """A world with a daily player who has at least `count` matches."""
    world = World(seed=5, players=40, history_scale=count / 150)
    for p in world.players:
        if p.activity == "daily" and len(world.history(p)) >= count:
            return world, p
    raise SystemExit(f"no player with {count} matches in the world; try a smaller --matches")


def seed(store: Store, world: World, p: SimPlayer, count: int) -> None:
    save_career(store, world, p, world.slots(p)[-count:], NOW)


def analyze(store: Store) -> None:
    """PostgreSQL's table statistics, as a database in use has them (autovacuum gathers
    them after bulk inserts; without them the planner guesses a player has 200 matches).
    SQLite is left as halotrack leaves it: nothing runs ANALYZE there."""
    if store.engine.dialect.name != "postgresql":
        return
    with store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `repeat` calls (on a shared machine the CPU time
    says what the code costs; the wall time what a user waits)."""
    wall, cpu = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--matches", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", help="a database URL, seeded once and kept (default: a temp file)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        with open_store(url) as store:
            t0 = time.perf_counter()
            world, p = career(args.matches)
            if store.match_count(p.xuid) < args.matches:  # a kept --db is seeded once
                seed(store, world, p, args.matches)
            analyze(store)
            seed_s = time.perf_counter() - t0
            stored = store.match_count(p.xuid)
            tag = p.gamertag
            rival = ins.mates(store, tag, limit=1).opponents[0].name
            required: dict[str, Callable[[], Any]] = {
                "breakdown --by mode": lambda: ins.breakdown(store, tag, "mode"),
                "breakdown --by map": lambda: ins.breakdown(store, tag, "map"),
                "breakdown --by playlist": lambda: ins.breakdown(store, tag, "playlist"),
                "session --last 1": lambda: ins.sessions(store, tag, last=1),
                "session --last 10": lambda: ins.sessions(store, tag, last=10),
                "mates": lambda: ins.mates(store, tag),
                "vs (top opponent)": lambda: ins.versus(store, tag, rival),
            }
            extra: dict[str, Callable[[], Any]] = {
                "streaks": lambda: ins.streaks(store, tag),
                "csr-history": lambda: ins.csr_history(store, tag),
                "performance trend": lambda: ins.performance_trend(store, tag),
            }
            results = {k: timed(fn, args.repeat) for k, fn in {**required, **extra}.items()}
    slowest = max(results[k][0] for k in required)
    rows = [
        ("matches stored", f"{stored:,}"),
        ("seed the store (once)", f"{seed_s:.1f} s"),
        *(
            (
                k,
                f"{w * 1000:5.0f} ms wall {c * 1000:5.0f} ms CPU"
                + ("" if k in required else "  (no target)"),
            )
            for k, (w, c) in results.items()
        ),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure (median)':<{width}}  value  (target < 500 ms wall)")
    print(f"{'-' * width}  {'-' * 30}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(f"insights_s={slowest:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
