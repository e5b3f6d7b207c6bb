"""Scale-out: N `halotrack worker` processes track a simulated world within one API budget.

    .venv/bin/python bench/scale.py                       # 2,000 players, 20 req/s, 1 2 4
    .venv/bin/python bench/scale.py --players 300 --rate 20 --workers 1 2 4

For each worker count: a fresh PostgreSQL schema, `db upgrade`, `auth sim`, every player
watched, the simulator's gateway limiting each host to `--rate` (bursts of 10) and the
workers sharing a budget of `--rate` per host; then one full cycle (every player checked
once, as on the first day). Reported: players checked per hour, the stats host's achieved
rate as a fraction of the budget (from the first to the last request), requests per player
per cycle, worker CPU per player check, PostgreSQL bytes per player, the busiest 10 s
window over the budget and rate-limited 429s. With the most workers, the database is then
compared with a single-process `halotrack track --once` of the same world (every table
but CSR equal, CSR equal where both hold it: see README, "Running a community instance").
The issue's 20,000 players and 50 req/s are scaled down to this 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from halotrack.simulator import start_simulator

PG = os.environ.get("HALOTRACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HALOTRACK = str(Path(sys.executable).with_name("halotrack"))
HERE = Path(__file__).resolve().parent


def _test_module() -> Any:
    """The distributed test's helpers (settling, table comparison): one copy of them."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    path = HERE.parent / "tests" / "support" / "distributed.py"
    spec = importlib.util.spec_from_file_location("halotrack_workers_distributed", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _schema(admin: sa.Engine) -> tuple[str, str]:
    name = f"halotrack_scale_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    url = sa.make_url(PG).update_query_dict({"options": f"-csearch_path={name}"})
    return name, url.render_as_string(hide_password=False)


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one(
    t: Any, players: int, rate: float, workers: int, seed: int, compare: bool
) -> dict[str, Any]:
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    made: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="halotrack-scale-"))
    world = {"seasons": 4, "ranked_playlists": 2, "history_scale": 0.02}
    try:
        name, url = _schema(admin)
        made.append(name)
        async with start_simulator(seed=seed, players=players, **world) as sim:
            env = t._env(tmp / "fleet", url, sim.base_url)
            await t._cli(env, "db", "upgrade")
            await t._cli(env, "auth", "sim")
            xuids = [str(p.xuid) for p in sim.world.players]
            await t._cli(env, "watch", "add", *xuids, "--matches")
            sim.state.limits.configure({"*": {"rate": rate, "burst": 10}})
            procs = []
            logs = []
            for i in range(workers):
                log = (tmp / f"w{i}.log").open("wb")
                logs.append(log)
                args = ["worker", "--concurrency", "8", "--rate", str(rate), "--name", f"w{i}"]
                proc = await asyncio.create_subprocess_exec(
                    HALOTRACK, *args, env=env, stdout=log, stderr=log
                )
                procs.append(proc)
            engine = sa.create_engine(url)
            try:
                await t._settled(engine, sim, patience=3600.0)
                cpu = sum(_cpu(p.pid) for p in procs)
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    await p.wait()
                for log in logs:
                    log.close()
            stats = sim.stats()
            limits = sim.state.limits
            per_second = limits.per_second.get("stats", {})
            span = max(1, max(per_second) - min(per_second) + 1) if per_second else 1
            stats_requests = limits.admitted.get("stats", 0)
            with engine.connect() as conn:
                size = conn.execute(
                    sa.text(
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :s AND c.relkind = 'r' "
                        "AND c.relname NOT LIKE 'procrastinate%'"
                    ),
                    {"s": name},
                ).scalar_one()
            engine.dispose()
            result: dict[str, Any] = {
                "workers": workers,
                "players_per_hour": players / span * 3600,
                "efficiency": stats_requests / span / rate,
                "requests_per_player": stats["total"] / players,
                "cpu_ms_per_check": 1000 * cpu / players,
                "pg_bytes_per_player": int(size or 0) / players,
                "overrun": limits.busiest_window("stats") / rate,
                "limited_429": stats["rate_limited"],
                "seconds": span,
            }
            if compare:
                ref_name, ref_url = _schema(admin)
                made.append(ref_name)
                sim.state.limits.clear()
                ref = t._env(tmp / "single", ref_url, sim.base_url)
                ref["HALOTRACK_RATE"] = "0"
                await t._cli(ref, "db", "upgrade")
                await t._cli(ref, "auth", "sim")
                await t._cli(ref, "watch", "add", *xuids, "--matches")
                await t._cli(ref, "track", "--once", "--quiet")
                result["equal"] = _equal(t, url, ref_url)
            return result
    finally:
        with admin.connect() as conn:
            for name in made:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()


def _equal(t: Any, mine_url: str, ref_url: str) -> bool:
    mine, theirs = t._rows(mine_url), t._rows(ref_url)
    names = (set(mine) | set(theirs)) - {"csr_snapshots"}
    if any(set(map(repr, mine.get(n, []))) != set(map(repr, theirs.get(n, []))) for n in names):
        return False
    a, b = t._newest_csr(mine_url), t._newest_csr(ref_url)
    shared = set(a) & set(b)
    return bool(shared) and all(a[k] == b[k] for k in shared)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--players", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args(argv)
    t = _test_module()
    rows = []
    print("| workers | players/h | budget used | req/player | CPU ms/check | PG B/player "
          "| overrun | 429s | s |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.workers:
        t0 = time.perf_counter()
        r = asyncio.run(
            one(t, args.players, args.rate, n, args.seed, compare=n == max(args.workers))
        )
        rows.append(r)
        print(
            f"| {n} | {r['players_per_hour']:.0f} | {r['efficiency']:.2f} "
            f"| {r['requests_per_player']:.1f} | {r['cpu_ms_per_check']:.1f} "
            f"| {r['pg_bytes_per_player']:.0f} | {r['overrun']:.2f} | {r['limited_429']} "
            f"| {r['seconds']} ({time.perf_counter() - t0:.0f} wall) |",
            flush=True,
        )
    last = rows[-1]
    print(
        f"efficiency={last['efficiency']:.2f} overrun={max(r['overrun'] for r in rows):.2f} "
        f"limited_429={sum(r['limited_429'] for r in rows)} "
        f"equal={'yes' if last.get('equal') else 'no'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
