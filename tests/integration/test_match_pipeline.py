"""Match sync as one pipeline: players synced together store exactly what one-by-one syncs
store, with the same requests; a slow commit never holds back requests; the tracker's first
cycle with matches stores every opted-in player's history.

Checked against the simulator's truth (who played which match) and its own request
counters; bench/backfill.py measures the speed this buys.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from halotrack.errors import HaloTrackError
from halotrack.simulator import Simulator, start_simulator
from halotrack.store import Store, open_store
from halotrack.store import matches as sm
from halotrack.usecases import Tracker
from halotrack.usecases.matches import SyncResult, sync_player_matches, sync_players_matches
from halotrack.waypoint import Limits, WaypointClient

STATS_URL = re.compile(r"/hi/matches/([0-9a-f-]+)/stats$")
FIXED = datetime(2026, 1, 15, 12, tzinfo=UTC)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with start_simulator(seed=5, players=30, history_scale=0.1) as s:
        await s.advance(24, active_fraction=1.0)
        yield s


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    a = open_store(f"sqlite:///{tmp_path / 'together.sqlite'}")
    b = open_store(f"sqlite:///{tmp_path / 'one-by-one.sqlite'}")
    yield a, b
    a.close()
    b.close()


def client(sim: Simulator, concurrency: int = 4) -> WaypointClient:
    return WaypointClient(
        tokens=sim.issue_tokens(sim.world.players[0].xuid),
        api_root=sim.base_url,
        limits=Limits.unlimited(concurrency=concurrency),
        cache=False,
    )


def truth(sim: Simulator, xuid: int) -> set[str]:
    return {m.match_id for m in sim.world.matches_of(sim.world.by_xuid[xuid])}


def sharing_players(sim: Simulator, n: int) -> list[int]:
    """`n` players, the first two of whom played a match together."""
    world = sim.world
    shared = next(
        m
        for m in world.live_matches.values()
        if sum(s.xuid in world.by_xuid for s in world.roster(m)) >= 2
    )
    pair = [s.xuid for s in world.roster(shared) if s.xuid in world.by_xuid][:2]
    rest = [p.xuid for p in world.players if p.xuid not in pair and world.slots(p)]
    return [x for x in pair if x is not None] + rest[: n - 2]


def match_tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every match table's rows (surrogate ids left out), sorted."""
    meta = sa.MetaData()
    meta.reflect(store.engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with store.engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            if name.startswith("match") or name == "players":
                cols = [c for c in table.columns if c.name != "id"]
                out[name] = sorted((tuple(r) for r in conn.execute(sa.select(*cols))), key=repr)
    return out


def stats_fetched(sim: Simulator) -> list[str]:
    return [m[1] for r in sim.requests(limit=50_000) if (m := STATS_URL.search(r["path"]))]


async def test_players_synced_together_store_what_one_by_one_syncs_store(
    sim: Simulator, stores: tuple[Store, Store]
) -> None:
    together, one_by_one = stores
    xuids = sharing_players(sim, 5)
    assert len(xuids) == 5
    union = set().union(*(truth(sim, x) for x in xuids))
    assert sum(len(truth(sim, x)) for x in xuids) > len(union)  # some match is shared

    sim.reset_stats()
    async with client(sim) as c:
        for x in xuids:
            await sync_player_matches(c, one_by_one, x, now=lambda: FIXED)
    sequential = dict(sim.stats()["by_endpoint"])

    sim.reset_stats()
    async with client(sim) as c:
        outcome = await sync_players_matches(c, together, xuids, now=lambda: FIXED)
    assert dict(sim.stats()["by_endpoint"]) == sequential  # not one request more
    fetched = stats_fetched(sim)
    assert Counter(fetched).most_common(1)[0][1] == 1 and set(fetched) == union

    for x in xuids:
        result = outcome[x]
        assert isinstance(result, SyncResult) and result.complete
        assert together.player_match_ids(x) == truth(sim, x)
    assert sum(r.new_matches for r in outcome.values() if isinstance(r, SyncResult)) == len(union)
    assert match_tables(together) == match_tables(one_by_one)


async def test_a_slow_commit_does_not_hold_back_the_next_matches_requests(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first commit blocks until well more matches than the workers were fetched;
    a worker kept until its match is written would stop at two."""
    xuid = max((p for p in sim.world.players), key=lambda p: len(sim.world.slots(p))).xuid
    history = truth(sim, xuid)
    assert len(history) >= 12
    release = threading.Event()
    save_match = sm.MatchWriter.save_match

    def slow_save(tx: Any, rows: Any) -> bool:
        release.wait(timeout=120)
        return save_match(tx, rows)

    monkeypatch.setattr(sm.MatchWriter, "save_match", slow_save)
    store = open_store(f"sqlite:///{tmp_path / 'slow.sqlite'}")
    sim.reset_stats()
    try:
        async with client(sim) as c:
            task = asyncio.ensure_future(sync_player_matches(c, store, xuid, workers=2))
            for _ in range(600):  # up to 60 s on a loaded machine; no timing is asserted
                if len(set(stats_fetched(sim))) >= 10 or task.done():
                    break
                await asyncio.sleep(0.1)
            fetched_while_blocked = len(set(stats_fetched(sim)))
            release.set()
            result = await task
        assert fetched_while_blocked >= 10
        assert result.complete and store.player_match_ids(xuid) == history
    finally:
        release.set()
        store.close()


async def test_first_track_cycle_with_matches_stores_every_opted_in_history(
    sim: Simulator, tmp_path: Path
) -> None:
    xuids = sharing_players(sim, 4)
    store = open_store(f"sqlite:///{tmp_path / 'track.sqlite'}")
    try:
        for x in xuids[:3]:
            store.watch_add(x, matches=True)
        store.watch_add(xuids[3])  # watched without its matches
        sim.reset_stats()
        ticks: list[tuple[str, int, int]] = []
        async with client(sim) as c:
            report = await Tracker(
                c, store, clock=sim.clock.now, progress=lambda *a: ticks.append(a)
            ).run_cycle()
        assert not report.failures
        union = set().union(*(truth(sim, x) for x in xuids[:3]))
        assert report.matches_synced == len(union)
        fetched = stats_fetched(sim)
        assert Counter(fetched).most_common(1)[0][1] == 1 and set(fetched) == union
        for x in xuids[:3]:
            assert store.player_match_ids(x) == truth(sim, x)
        assert store.player_match_ids(xuids[3]) <= union  # only what the others shared
        for entry in store.watch_list():  # counts settled: the next cycle is quiet
            played = sim.world.slots(sim.world.by_xuid[entry.xuid])
            assert entry.last_match_count == len(played)
        done, total = max((d, t) for p, d, t in ticks if p == "matches")
        # progress counts each opted-in player's matches (a shared one once per player)
        assert done == total == sum(len(truth(sim, x)) for x in xuids[:3])
    finally:
        store.close()


async def test_one_players_failure_leaves_the_others_sync_whole(
    sim: Simulator, tmp_path: Path
) -> None:
    """A player the API does not know fails alone, with its error as its outcome."""
    real = sharing_players(sim, 2)
    unknown = 2533274899999999
    assert unknown not in sim.world.by_xuid
    store = open_store(f"sqlite:///{tmp_path / 'one-fails.sqlite'}")
    try:
        async with client(sim) as c:
            outcome = await sync_players_matches(c, store, [real[0], unknown, real[1]])
        assert isinstance(outcome[unknown], HaloTrackError)
        for x in real:
            result = outcome[x]
            assert isinstance(result, SyncResult) and result.complete
            assert store.player_match_ids(x) == truth(sim, x)
            assert store.get_sync_state(x).complete
    finally:
        store.close()
