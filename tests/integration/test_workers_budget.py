"""The shared API budget: GCRA cells in PostgreSQL taken atomically by every worker, a 429
pausing the host for all of them, and the transport pacing through it."""

from __future__ import annotations

import threading

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
    # One slot per 1,000 s, as below: the k-th reservation's slot is k intervals after the
    # first one's send time on the database's clock, and its wait is that minus the moment
    # it was taken, so wait / 1000 rounds to k however slow this machine is (within 500 s).
    # Reading slots as "now + wait" on this side instead made the spacing depend on the
    # scheduling delay of each reading, which a busy machine stretched past any tolerance.
    budget.configure("stats.example", rate=0.001, burst=1)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            wait = budget.take("stats.example")
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 40 racing reservations: each slot taken exactly once, none skipped
    assert sorted(round(w / 1000) for w in waits) == list(range(40))
    with budget.engine.connect() as conn:
        tat, since = conn.execute(sa.text("SELECT tat, since FROM api_budget")).one()
    assert tat - since == pytest.approx(40 * 1000.0, abs=1e-3)
    (row,) = usage(budget.engine)
    assert (row.host, row.taken, row.limited) == ("stats.example", 40, 0)
    assert 39_500 < row.ahead <= 40_000  # 40 slots reserved ahead, less the time taken


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
