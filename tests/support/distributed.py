"""Helpers to compare distributed tracking with single-process tracking (bench/scale.py).

Why here and not as a test yet: the equality test of issue 15 (three `halotrack worker`
processes equal one `track --once`) failed under load in 3 of 5 runs (a check that fails or
reruns after a worker dies moves bookkeeping times off the single-process run), so it is not
in the suite until that is fixed; bench/scale.py reports the comparison as `equal=`.

Originally: three `halotrack worker` processes
(each also running the scheduler tick) against the simulator with a per-host rate limit on,
over simulated days, started exactly as the README's "Running a community instance" says.

Promises checked: the final database equals a single-process `halotrack track --once` run
of the same world, table by table (every column but surrogate ids; times compared to the
minute, since each process moves the API's whole-second clock on by its own elapsed time);
the simulator answered no rate-limit 429 (the shared budget kept every worker within it);
a worker SIGKILLed in the middle of a check loses nothing: its job is put back and done by
another worker, and nothing is stored twice. Scaled down for CI: the issue's 2,000 players
are 24 here, over three simulated days (bench/scale.py runs the large world).
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from halotrack.simulator import Simulator
from halotrack.store.schema import metadata

PLAYERS = 24
HALOTRACK = str(Path(sys.executable).with_name("halotrack"))


def _env(tmp: Path, db: str, api: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALOTRACK_")}
    env.update({f"HALOTRACK_{n}_DIR": str(tmp / n.lower()) for n in ("DATA", "CONFIG", "CACHE")})
    env.update(
        HALOTRACK_CONFIG=str(tmp / "config" / "config.toml"),
        HALOTRACK_DB=db,
        HALOTRACK_API=api,
        HALOTRACK_SIM_TOKEN_PREFIX=os.environ.get("HALOTRACK_SIM_TOKEN_PREFIX", ""),
    )
    return env


async def _cli(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        HALOTRACK, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, f"halotrack {' '.join(args)}: {err.decode()[-2000:]}"
    return out.decode()


def _queue(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT status::text, count(*) FROM procrastinate_jobs "
                "WHERE task_name = 'halotrack.check_player' GROUP BY 1"
            )
        ).all()
    return {s: int(n) for s, n in rows}


def _due(engine: sa.Engine, now: datetime) -> int:
    from halotrack.workers.jobs import CYCLE

    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM watch_list WHERE next_check_at <= :now OR "
                    "(next_check_at IS NULL AND "
                    "(last_checked_at IS NULL OR last_checked_at <= :cycle))"
                ),
                {"now": now, "cycle": now - CYCLE},
            ).scalar_one()
        )


async def _settled(engine: sa.Engine, sim: Simulator, patience: float = 240.0) -> None:
    """Wait until no player is due and no check waits or runs, twice in a row."""
    calm = 0
    loop = asyncio.get_running_loop()
    ends = loop.time() + patience
    while calm < 2:
        assert loop.time() < ends, f"workers never settled: {_queue(engine)}"
        await asyncio.sleep(1.5)
        # off the event loop: the simulator shares it, and a stalled loop bunches requests
        q = await asyncio.to_thread(_queue, engine)
        due = await asyncio.to_thread(_due, engine, sim.clock.now())
        busy = q.get("todo", 0) + q.get("doing", 0)
        calm = calm + 1 if busy == 0 and due == 0 else 0


# Not compared: surrogate ids, and when a cached static file was fetched (which process
# asked first), a bookkeeping time.
IGNORED = {"id", "fetched_at"}


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """halotrack's tables, times to the minute. Not the queue's or the budget's, and not
    the cache of static files (`metadata_cache`: which copies and ETags it holds depends on
    which process asked first, not on what was tracked); nor the match sync's cursor
    (`match_sync`: when and how often a player's list was read, not the matches, which are
    compared)."""
    ours = set(metadata.tables) - {"api_budget", "metadata_cache", "match_sync"}
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine, only=sorted(ours))

    def norm(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.astimezone(UTC).replace(second=0, microsecond=0)
        return v

    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as conn:
            for name, table in meta.tables.items():
                cols = [c for c in table.columns if c.name not in IGNORED]
                rows = conn.execute(sa.select(*cols)).all()
                out[name] = sorted((tuple(norm(v) for v in r) for r in rows), key=repr)
    finally:
        engine.dispose()
    return out


def _newest_csr(url: str) -> dict[tuple[Any, ...], str]:
    """(xuid, playlist, CSR season) -> the newest snapshot's body."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT xuid, playlist_id, csr_season_id, raw_json FROM latest_csr")
            ).all()
    finally:
        engine.dispose()
    return {(x, p, s): b for x, p, s, b in rows}
