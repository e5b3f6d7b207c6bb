"""Scale-out: N `halotrack worker` processes track a simulated world within one API budget.

    .venv/bin/python bench/scale.py                       # 2,000 players, 20 req/s, 1 2 4
    .venv/bin/python bench/scale.py --players 20000 --rate 50 --workers 1 2 4

For each worker count: a fresh PostgreSQL schema and a fresh simulated world, the processes
started as README's "Running a community instance" says (tests/support/distributed.py, the
harness of tests/system/test_distributed.py), the simulator's gateway limiting each host to
`--rate` (bursts of 10) and the workers sharing a budget of `--rate` per host; then the
first full cycle (every player checked once) and one simulated day (players play by their
activity; adaptive polling decides who is checked). Reported, from the first cycle: players
checked per hour, the stats host's achieved rate as a fraction of the budget (first to last
request), requests per player, worker CPU per player check; from the day: PostgreSQL bytes
per player per day; over both: the busiest 10 s window over the budget and rate-limited
429s. With the most workers, single-process `halotrack track --once` runs of the same world
at the same moments are compared with the fleet's database (`equal=`); at 20,000 players
`--ref-sample 1000` keeps that reference to a random thousand of them (hours less).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from halotrack.simulator import start_simulator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# the end-to-end tests' harness: one copy of it
from tests.support import distributed as dist

PG = os.environ.get("HALOTRACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WORLD = {"seasons": 4, "ranked_playlists": 2, "history_scale": 0.02}


def _schema(admin: sa.Engine) -> tuple[str, str]:
    name = f"halotrack_scale_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    url = sa.make_url(PG).update_query_dict({"options": f"-csearch_path={name}"})
    return name, url.render_as_string(hide_password=False)


async def _loop_lag(
    lag: dict[int, float], every: float = 0.02, freeze_every: float | None = None
) -> None:
    """The simulator's event loop lateness, worst per second (the gateway's clock): a
    stalled loop answers the requests of the stall at once, which its GCRA counts as a
    burst although the workers sent them in their slots. With `freeze_every`, what the
    process holds by then is moved out of the collector's reach (`gc.freeze`) that often."""
    frozen = time.monotonic()
    while True:
        t0 = time.monotonic()
        await asyncio.sleep(every)
        late = time.monotonic() - t0 - every
        sec = int(time.monotonic())
        lag[sec] = max(lag.get(sec, 0.0), late)
        if freeze_every is not None and t0 - frozen >= freeze_every:
            gc.freeze()
            frozen = t0


class FullCollections:
    """How long each full (generation 2) collection of this process, the simulator's,
    held its loop, worst per second: a world of 20,000 players' histories is millions
    of objects, and a full collection walks every one of them."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.pauses: dict[int, float] = {}

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        now = time.monotonic()
        if phase == "start":
            self.started = now
        elif self.started is not None:
            sec = int(self.started)
            self.pauses[sec] = max(self.pauses.get(sec, 0.0), now - self.started)
            self.started = None


async def one(
    players: int,
    rate: float,
    workers: int,
    seed: int,
    compare: bool,
    sample: int | None,
    nice: int,
    freeze: float | None,
) -> dict[str, Any]:
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    made: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="halotrack-scale-"))
    try:
        name, url = _schema(admin)
        made.append(name)
        ref_url = None
        if compare:
            ref_name, ref_url = _schema(admin)
            made.append(ref_name)
        async with start_simulator(seed=seed, players=players, **WORLD) as sim:
            limits = sim.state.limits
            first: dict[str, Any] = {}

            async def after_first_cycle() -> None:
                per_second = limits.per_second.get("stats", {})
                first["span"] = max(per_second) - min(per_second) + 1 if per_second else 1
                first["stats"] = limits.admitted.get("stats", 0)
                first["requests"] = sim.stats()["total"]
                limited = sum(n for c in limits.limited_per_second.values() for n in c.values())
                print(
                    f"  first cycle: {first['span']} s, {players / first['span'] * 3600:.0f} "
                    f"players/h, budget used {first['stats'] / first['span'] / rate:.2f}, "
                    f"{first['requests'] / players:.1f} req/player, {limited} 429s so far; "
                    f"loop stalls up to {max(lag.values(), default=0.0):.2f} s, "
                    f"{len(collections.pauses)} full collections up to "
                    f"{max(collections.pauses.values(), default=0.0):.2f} s",
                    file=sys.stderr,
                    flush=True,
                )

            lag: dict[int, float] = {}
            collections = FullCollections()
            gc.callbacks.append(collections)
            monitor = asyncio.ensure_future(_loop_lag(lag, freeze_every=freeze))
            try:
                out = await dist.run(
                    sim, tmp, url, ref_url, workers=workers, rate=rate, days=1,
                    active_fraction=None, patience=7200.0, after_first=after_first_cycle,
                    ref_sample=sample, nice=nice,
                )  # fmt: skip
            finally:
                monitor.cancel()
                gc.callbacks.remove(collections)
            limited = {s: n for c in limits.limited_per_second.values() for s, n in c.items()}
            # the simulator's worst stall in each second with 429s, or the one before, and
            # the longest full collection in those two seconds
            gcs = collections.pauses
            stalls = sorted(
                (max(lag.get(s, 0), lag.get(s - 1, 0)), max(gcs.get(s, 0), gcs.get(s - 1, 0)), n)
                for s, n in limited.items()
            )
        span = first["span"]
        return {
            "workers": workers,
            "players_per_hour": players / span * 3600,
            "efficiency": first["stats"] / span / rate,
            "requests_per_player": first["requests"] / players,
            "cpu_ms_per_check": 1000 * out.worker_cpu / max(1, out.checks),
            "pg_bytes_per_player_day": (out.pg_bytes[-1] - out.pg_bytes[0]) / players,
            "pg_bytes_per_player": out.pg_bytes[0] / players,
            "checks_day": out.checks - players,
            "overrun": out.busiest / rate,
            "limited_429": out.rate_limited,
            "seconds": span,
            "equal": compare and not out.differences and not out.integrity,
            "differences": out.differences,
            "limited_when": out.limited_when,
            "steps": out.steps,
            "stalls": stalls,
            "max_lag": max(lag.values(), default=0.0),
            "max_gc": max(gcs.values(), default=0.0),
            "full_gcs": len(gcs),
        }
    finally:
        with admin.connect() as conn:
            for name in made:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--players", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument(
        "--ref-sample",
        type=int,
        metavar="N",
        help="the single-process reference tracks N players drawn at random, and equal= "
        "compares their rows and the matches it stored (default: every player)",
    )
    ap.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        metavar="N",
        help="the workers' nice value (default 10): on a machine this small the simulator, "
        "standing in for servers elsewhere, must not wait for CPU behind them",
    )
    ap.add_argument(
        "--gc-freeze",
        type=float,
        default=10.0,
        metavar="S",
        help="every S seconds, move what the simulator's process holds out of the garbage "
        "collector's reach (default 10; 0: never), so that no full collection of a "
        "large world stalls the gateway",
    )
    args = ap.parse_args(argv)
    rows = []
    print("| workers | players/h | budget used | req/player | CPU ms/check | PG B/player "
          "| PG B/player/day | checks/day | overrun | 429s | s |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.workers:
        t0 = time.perf_counter()
        compare = n == max(args.workers)
        r = asyncio.run(
            one(
                args.players, args.rate, n, args.seed, compare, args.ref_sample,
                args.worker_nice, args.gc_freeze or None,
            )
        )  # fmt: skip
        rows.append(r)
        print(
            f"| {n} | {r['players_per_hour']:.0f} | {r['efficiency']:.2f} "
            f"| {r['requests_per_player']:.1f} | {r['cpu_ms_per_check']:.1f} "
            f"| {r['pg_bytes_per_player']:.0f} | {r['pg_bytes_per_player_day']:.0f} "
            f"| {r['checks_day']} | {r['overrun']:.2f} | {r['limited_429']} "
            f"| {r['seconds']} ({time.perf_counter() - t0:.0f} wall) |",
            flush=True,
        )
        if r["limited_429"]:
            # (seconds after the host's first admitted request, 429s in that second)
            print(f"  429s: {r['limited_when']}; steps settled in {r['steps']}")
            print(
                "  at those 429s, (simulator loop stall s, full collection s, 429s): "
                f"{[(round(a, 2), round(b, 2), n) for a, b, n in r['stalls']]}"
            )
        print(
            f"  simulator loop: worst stall {r['max_lag']:.2f} s; {r['full_gcs']} full "
            f"collections, the longest {r['max_gc']:.2f} s"
        )
        for d in r["differences"]:
            print(f"  differs: {d[:300]}")
    last = rows[-1]
    print(
        f"efficiency={last['efficiency']:.2f} overrun={max(r['overrun'] for r in rows):.2f} "
        f"limited_429={sum(r['limited_429'] for r in rows)} "
        f"equal={'yes' if last['equal'] else 'no'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
