"""The shared API budget: GCRA cells in PostgreSQL taken atomically by every worker, a 429
pausing the host for all of them, and the transport pacing through it."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
import sqlalchemy as sa

from halotrack.errors import ConfigError, RateLimited
from halotrack.store import open_store
from halotrack.store.budget import Budget, usage
from halotrack.waypoint import RetryPolicy, WaypointClient

pytestmark = pytest.mark.postgres


@pytest.fixture
def budget(pg_schema_url: str):  # type: ignore[no-untyped-def]
    store = open_store(pg_schema_url)
    try:
        yield Budget(store.engine)
    finally:
        store.close()


def test_concurrent_takes_get_slots_one_interval_apart(budget: Budget) -> None:
    budget.configure("stats.example", rate=2.0, burst=1)
    slots: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            wait = budget.take("stats.example")
            with lock:
                slots.append(time.monotonic() + wait)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots.sort()
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    # 40 reservations made far faster than 2 per second: each lands 0.5 s after the last.
    # The slot is read as "now + wait" on this side of the connection, so a loaded machine
    # adds its scheduling delay to each reading; a double-booked slot would show a gap near 0.
    assert len(slots) == 40 and min(gaps) > 0.3 and max(gaps) < 0.7
    assert slots[-1] - slots[0] == pytest.approx(39 * 0.5, abs=0.4)
    (row,) = usage(budget.engine)
    assert (row.host, row.taken, row.limited) == ("stats.example", 40, 0)
    assert row.ahead == pytest.approx(20.0, abs=1.0)  # 40 slots at 2/s reserved ahead


def test_burst_goes_at_once_and_a_pause_holds_every_taker(budget: Budget) -> None:
    budget.configure("skill.example", rate=1000.0, burst=5)
    assert [budget.take("skill.example") < 0.01 for _ in range(5)] == [True] * 5
    budget.pause("skill.example", 30.0)
    assert budget.take("skill.example") == pytest.approx(30.0, abs=1.0)
    other = Budget(budget.engine)  # another worker's view of the same row
    assert other.take("skill.example") == pytest.approx(30.0, abs=1.0)
    (row,) = usage(budget.engine)
    assert row.limited == 1 and row.paused == pytest.approx(30.0, abs=1.0)


@pytest.mark.parametrize("burst", [1, 3])
def test_a_burst_of_b_lets_exactly_b_requests_go_at_once(budget: Budget, burst: int) -> None:
    # One slot per 1,000 s: every wait the database hands out is either ~0 (within the
    # burst) or ~1,000 s (the next interval), whatever this machine's scheduling delays.
    budget.configure("stats.example", rate=0.001, burst=burst)
    waits = [budget.take("stats.example") for _ in range(burst + 2)]
    assert [round(w / 1000) for w in waits] == [0] * burst + [1, 2]
    with budget.engine.connect() as conn:
        tat, since = conn.execute(sa.text("SELECT tat, since FROM api_budget")).one()
    # the cell's arrival time is one interval per request past the first one's send time
    assert tat - since == pytest.approx((burst + 2) * 1000.0, abs=1.0)


def test_unknown_host_and_sqlite_are_refused(budget: Budget, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="no budget"):
        budget.take("nobody.example")
    with pytest.raises(ConfigError, match="PostgreSQL"):
        Budget(sa.create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}"))


class _Recorder:
    def __init__(self) -> None:
        self.waits: list[str] = []
        self.pauses: list[tuple[str, float]] = []

    async def wait(self, service: str) -> None:
        self.waits.append(service)

    async def pause(self, service: str, seconds: float) -> None:
        self.pauses.append((service, seconds))


async def test_transport_paces_through_the_shared_pacer_and_reports_429(simulator) -> None:  # type: ignore[no-untyped-def]
    simulator.state.limits.configure({"stats": {"rate": 0.01, "burst": 1}})
    xuid = simulator.world.players[0].xuid
    pacer = _Recorder()

    async def sleep(seconds: float) -> None:
        return None

    async with WaypointClient(
        tokens=simulator.issue_tokens(xuid),
        api_root=simulator.base_url,
        cache=False,
        pacer=pacer,
        sleep=sleep,
        retry=RetryPolicy(attempts=2, budget=1000.0),
    ) as client:
        await client.stats.match_count(xuid)
        with pytest.raises(RateLimited):
            await client.stats.match_count(xuid)
    # every request asked the shared pacer; the 429's Retry-After (100 s, past the request's
    # deadline, so not waited for here) paused the host for every sharer
    assert pacer.waits == ["stats"] * 2
    assert pacer.pauses == [("stats", pytest.approx(100.0, abs=1.0))]
