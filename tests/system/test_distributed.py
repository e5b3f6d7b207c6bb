"""Issue 15 end to end: `halotrack worker` processes, started as the README says, against the
simulator with its gateway limiting every host, over several simulated days.

Promises checked: the final database equals single-process `halotrack track --once` runs of
the same world at the same simulated moments (every column but surrogate ids and
bookkeeping times, see tests/support/distributed.py); every player due at a step was
checked in that step (observation times are compared to the simulated hour, and the
workers settle with no player due); the simulator answered no rate-limit 429; repeated
SIGKILLs of workers lose nothing and store nothing twice; the 20% fault mix changes nothing.

Scaled to this 2-core machine: the issue's 2,000 players are `PLAYERS` (40) here, the
largest that kept the equality test near a minute (58 s, at a load average of 7 from other
jobs; the SIGKILL and fault tests took 78 and 82 s); bench/scale.py runs larger worlds, and
`HALOTRACK_DIST_PLAYERS=2000` runs these tests at the issue's size (bench/RESULTS.md).
429s while the fleet starts (`FIRST_BURST`) are forgiven, as the issue allows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from halotrack.simulator import Simulator, start_simulator
from tests.support import distributed as dist

pytestmark = pytest.mark.slow

PLAYERS = int(os.environ.get("HALOTRACK_DIST_PLAYERS", "40"))
PATIENCE = max(240.0, 0.6 * PLAYERS)  # seconds a step may take to settle
DAYS = 3
RATE = 40.0  # requests per second per host, the gateway's and the fleet's budget
WORLD = {"seasons": 4, "ranked_playlists": 2, "history_scale": 0.02}


def _schema(pg_url: str) -> str:
    import uuid

    import sqlalchemy as sa

    name = f"halotrack_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    admin.dispose()
    return name


@pytest.fixture
def ref_url(pg_url: str):  # type: ignore[no-untyped-def]
    """A second fresh schema: the single-process run's database."""
    import sqlalchemy as sa

    name = _schema(pg_url)
    url = sa.make_url(pg_url).update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()


async def _fleet(sim: Simulator, tmp: Path, url: str, ref_url: str, **kw: Any) -> dist.Outcome:
    """Three workers, as the issue says, given time to settle in proportion to the world."""
    return await dist.run(sim, tmp, url, ref_url, workers=3, patience=PATIENCE, **kw)


def _assert_same(out: dist.Outcome) -> None:
    assert out.integrity == []
    assert out.differences == [], "\n".join(out.differences)
    assert out.failed_jobs == [], out.log_tail


async def test_three_workers_equal_one_track_process(
    tmp_path: Path, pg_schema_url: str, ref_url: str
) -> None:
    async with start_simulator(seed=15, players=PLAYERS, **WORLD) as sim:
        out = await _fleet(sim, tmp_path, pg_schema_url, ref_url, rate=RATE, days=DAYS)
    print(out)
    _assert_same(out)
    assert out.rate_limited_late == 0, f"the fleet overran the gateway: {out.limited_when}"
    assert out.busiest <= 1.05 * RATE, "a 10 s window went over the budget"
    assert len(out.steps) == DAYS + 1
    # every player was checked at the first step, and someone at every later one
    assert out.checks >= PLAYERS + DAYS


async def test_sigkilled_workers_lose_nothing_and_store_nothing_twice(
    tmp_path: Path, pg_schema_url: str, ref_url: str
) -> None:
    async with start_simulator(seed=16, players=PLAYERS, **WORLD) as sim:
        out = await _fleet(sim, tmp_path, pg_schema_url, ref_url, days=2, kill_every=2.5)
    print(out)
    assert out.kills >= 3, "no worker was killed: nothing proven"
    _assert_same(out)


async def test_faults_during_a_distributed_run_change_nothing(
    tmp_path: Path, pg_schema_url: str, ref_url: str
) -> None:
    from halotrack.simulator.faults import mix

    faults = mix(0.2, seed=5, latency_ms=1, retry_after=1)
    async with start_simulator(seed=17, players=PLAYERS, **WORLD) as sim:
        out = await _fleet(sim, tmp_path, pg_schema_url, ref_url, days=2, faults=faults)
        by_status = sim.stats()["by_status"]
    injected = sum(n for s, n in by_status.items() if s in {"429", "500", "503", "401", "0", "-1"})
    print(out)
    assert injected > 0.05 * out.requests, "few faults were injected: nothing proven"
    _assert_same(out)
