"""A worker's split of the cycle (issue 15): one-player checks that leave the match sync and
CSR to jobs of their own, then those jobs, store what one `track` cycle over all of them
stores, and the CSR costs one request per ranked playlist for the batch, not per player.

In process, on two SQLite stores and one simulated world at one moment, so no worker
process, queue or PostgreSQL is needed to pin the seam down (tests/system/test_distributed.py
checks the whole fleet the same way)."""

from __future__ import annotations

from pathlib import Path

from halotrack.simulator import Simulator, start_simulator
from halotrack.store import Store, open_store
from halotrack.usecases import Tracker
from tests.integration.test_tracker_cycle import make_client  # the same client, unlimited
from tests.support import distributed as dist

WORLD = {"seasons": 4, "ranked_playlists": 2, "history_scale": 0.02}


def _watch(sim: Simulator, store: Store) -> None:
    for p in sim.world.players:
        store.watch_add(p.xuid, gamertag=p.gamertag, matches=True, now=sim.clock.now())


async def _split(sim: Simulator, store: Store) -> int:
    """Checks one by one, then the deferred syncs, then the batch's CSR; returns the CSR
    requests the checks made."""
    async with make_client(sim, store) as client:
        checks = Tracker(client, store, clock=sim.clock.now, ask_csr=False, matches_later=True)
        due: dict[int, int] = {}
        played_now = set()
        for entry in store.watch_list():
            report = await checks.run_entries([entry], watched=1)
            assert report.failures == []
            due.update(checks.matches_due)
            if report.played:
                played_now.add(entry.xuid)
        csr_by_checks = sim.stats()["by_endpoint"].get("skill.csrs", 0)
        syncs = Tracker(client, store, clock=sim.clock.now)
        for xuid, count in due.items():
            entry = store.watch_get(xuid)
            assert entry is not None
            assert (await syncs.sync_player(entry, count))[1] is None
        played = []
        for entry in store.watch_list():
            record = store.latest_record(entry.xuid)
            if entry.xuid in played_now and record is not None:
                from halotrack.models import ServiceRecord
                from halotrack.models.decoding import decode_as

                lifetime = decode_as(ServiceRecord, record.raw_json, source="store")
                played.append((entry, lifetime, set[str]()))
        stored, errors = await syncs.fill_csr(played)
        assert errors == [] and stored > 0
    return csr_by_checks


async def test_split_checks_store_what_one_cycle_stores(tmp_path: Path) -> None:
    async with start_simulator(seed=23, players=10, **WORLD) as sim:
        urls = {n: f"sqlite:///{tmp_path / n}.sqlite" for n in ("cycle", "split")}
        with open_store(urls["cycle"]) as one, open_store(urls["split"]) as split:
            _watch(sim, one)
            _watch(sim, split)
            start = sim.clock.now()
            # the first day's backfill, then a day of play: ranks move, sessions end
            for day in range(2):
                if day:
                    await sim.advance(24, 1.0)
                async with make_client(sim, one) as client:
                    report = await Tracker(client, one, clock=sim.clock.now).run_cycle()
                assert report.failures == [] and report.played > 0
                sim.reset_stats()
                csr_by_checks = await _split(sim, split)
                by_endpoint = sim.stats()["by_endpoint"]
                assert csr_by_checks == 0
                # the batch asked each ranked playlist once, for every player at once
                assert by_endpoint["skill.csrs"] == report.ranked_playlists == 2
                assert report.csr_created > 0, "no new CSR: the fill's writes go unproven"
            with one.engine.connect() as conn:
                kinds = set(conn.exec_driver_sql("SELECT kind FROM notify_events").scalars())
            assert "session" in kinds, "no session ended: the deferred sync goes unproven"
    assert dist.differences(urls["split"], urls["cycle"], start) == []


async def test_a_sync_that_succeeds_after_a_failed_attempt_clears_the_failure(
    tmp_path: Path,
) -> None:
    """A match-sync job whose first attempt failed (the player's row carries that failure)
    and whose retry succeeds leaves the row as a successful check would: no failure. Seen
    in the distributed faults test: the row kept the 401."""
    async with start_simulator(seed=5, players=3, **WORLD) as sim:
        with open_store(f"sqlite:///{tmp_path / 'split.sqlite'}") as store:
            _watch(sim, store)
            async with make_client(sim, store) as client:
                checks = Tracker(
                    client, store, clock=sim.clock.now, ask_csr=False, matches_later=True
                )
                await checks.run_entries(store.watch_list(), watched=3)
                assert checks.matches_due, "the world's players have matches to sync"
                xuid, count = next(iter(checks.matches_due.items()))
                store.watch_failed(xuid, "matches: not signed in (401)", next_check_at=None)
                entry = store.watch_get(xuid)
                assert entry is not None and entry.failure_count == 1
                syncs = Tracker(client, store, clock=sim.clock.now)
                assert (await syncs.sync_player(entry, count))[1] is None
            after = store.watch_get(xuid)
    assert after is not None
    assert (after.failure_count, after.last_error) == (0, None)
