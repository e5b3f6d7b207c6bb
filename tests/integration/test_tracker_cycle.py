"""Tracking cycles against the simulator, on SQLite and PostgreSQL (the `store` fixture).

Truth comes from the simulated world; request counts from the simulator's own log.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from aiohttp import web

from halotrack.simulator import Filters, Simulator, start_simulator, views
from halotrack.store import Store, open_store
from halotrack.store import history as hist
from halotrack.usecases import StoreEtagCache, Tracker, TrackerBusy, TrackerLock
from halotrack.waypoint import Limits, RetryPolicy, WaypointClient
from halotrack.wiring.simtokens import SimulatorTokens

GHOST = 2533274899999999  # not a player of the world: the API answers 404
FAIL: dict[str, set[str]] = {}


def _fault_plugin(app: web.Application, state: object) -> None:
    """Per-player 500s: `FAIL[base_url]` holds `xuid(N)/endpoint-suffix` markers; a marker
    starting with `weird:` answers 200 with a body of the wrong shape instead."""

    @web.middleware
    async def fail_one(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        for marker in FAIL.get(request.host, set()):
            weird = marker.startswith("weird:")
            who, _, suffix = marker.removeprefix("weird:").partition("/")
            hit = who in (request.query_string if suffix == "csrs" else request.path)
            if weird and hit and request.path.endswith(suffix):
                return web.json_response({"Weird": 1})
            if weird:
                continue
            if suffix == "csrs" and request.path.endswith("/csrs"):
                if who in request.query_string:  # the skill service refuses this player
                    return web.Response(status=404)
            elif who in request.path and request.path.endswith(suffix):
                return web.Response(status=500)
        return await handler(request)

    app.middlewares.append(fail_one)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with start_simulator(
        seed=11, players=24, plugins=[_fault_plugin], seasons=6, history_scale=0.3
    ) as s:
        yield s
        FAIL.pop(s.base_url.removeprefix("http://"), None)


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    """A SQLite store, for the tests whose logic does not depend on the backend."""
    with open_store(f"sqlite:///{tmp_path / 'lite.sqlite'}") as s:
        yield s


@asynccontextmanager
async def make_client(sim: Simulator, store: Store) -> AsyncIterator[WaypointClient]:
    async with WaypointClient(
        tokens=SimulatorTokens(sim, sim.world.players[0].xuid),
        api_root=sim.base_url,
        limits=Limits.unlimited(),
        retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.002),
        cache=StoreEtagCache(store),
    ) as c:
        yield c


def active(sim: Simulator, n: int) -> list[int]:
    return [p.xuid for p in sim.world.players if p.activity != "idle"][:n]


def watch(sim: Simulator, store: Store, xuids: list[int]) -> None:
    for x in xuids:
        p = sim.world.by_xuid.get(x)
        store.watch_add(x, gamertag=p.gamertag if p else None, now=sim.clock.now())


def truth(sim: Simulator, xuid: int) -> dict[str, object]:
    return views.service_record(sim.world, sim.world.by_xuid[xuid], Filters())


@pytest.mark.slow
async def test_quiet_cycle_costs_one_request_per_player_and_writes_nothing(
    sim: Simulator, store: Store
) -> None:
    async with make_client(sim, store) as client:
        await _quiet_cycle(sim, store, client)


async def _quiet_cycle(sim: Simulator, store: Store, client: WaypointClient) -> None:
    xuids = active(sim, 5)
    watch(sim, store, xuids)
    tracker = Tracker(client, store, clock=sim.clock.now)
    first = await tracker.run_cycle()
    assert (first.checked, first.played, first.failures) == (5, 5, [])
    assert first.records_created >= 5 and first.csr_created == 5 * first.ranked_playlists
    sim.reset_stats()
    second = await tracker.run_cycle()
    assert (second.played, second.records_created, second.records_unchanged) == (0, 0, 0)
    assert second.csr_created == 0
    assert sim.stats()["by_endpoint"] == {"stats.matches.count": 5}
    assert second.requests == 5
    for x in xuids:
        row = store.latest_record(x)
        assert row is not None and row.matches_completed == truth(sim, x)["MatchesCompleted"]
        assert row.captured_at == first.started_at  # simulated time, not the wall clock
    assert store.integrity_check() == []


@pytest.mark.slow
async def test_a_change_writes_exactly_one_snapshot_and_ended_seasons_once(
    sim: Simulator, store: Store
) -> None:
    async with make_client(sim, store) as client:
        await _one_change(sim, store, client)


async def _one_change(sim: Simulator, store: Store, client: WaypointClient) -> None:
    xuids = active(sim, 3)
    watch(sim, store, xuids)
    tracker = Tracker(client, store, clock=sim.clock.now)
    await tracker.run_cycle()
    x = xuids[0]
    for _ in range(2):
        before = len(store.records_history(x))
        sim.play(x, 3)
        report = await tracker.run_cycle()
        assert report.played == 1 and report.failures == []
        # The lifetime record and the running season's changed; ended ones are not asked.
        assert report.records_created == 2 and report.records_unchanged == 0
        history = store.records_history(x)
        assert len(history) == before + 1
        assert history[-1].matches_completed == truth(sim, x)["MatchesCompleted"]
    now = sim.clock.now_ms()
    ended = {s.record_id for s in sim.world.seasons if s.end_ms <= now}
    asked: dict[str, int] = {}
    for r in sim.requests(limit=5000):
        if f"xuid({x})" in r["path"] and r["path"].endswith("servicerecord"):
            for sid in parse_qs(r["query"]).get("seasonId", []):
                asked[sid] = asked.get(sid, 0) + 1
    # From Season 5 on the record lists each season twice (metadata and CSR path, as the real
    # one does); the metadata path is an alias the tracker never spends a request on.
    aliases = {s.metadata_path for s in sim.world.seasons if s.index >= 5}
    listed = set(truth(sim, x)["Subqueries"]["SeasonIds"])  # type: ignore[index,arg-type]
    assert listed & aliases, "the record should list both families"
    assert not set(asked) & aliases
    mine = listed - aliases
    assert mine & ended, "the player should have ended seasons"
    for sid in mine & ended:
        assert asked[sid] == 1, sid
    for sid in mine - ended:
        assert asked[sid] == 3, sid  # the running season: every cycle the player played


async def test_diff_numbers_equal_the_simulated_matches(sim: Simulator, lite: Store) -> None:
    async with make_client(sim, lite) as client:
        await _diff_numbers_equal_the_simulated_matches(sim, lite, client)


async def _diff_numbers_equal_the_simulated_matches(
    sim: Simulator, store: Store, client: WaypointClient
) -> None:
    x = active(sim, 1)[0]
    watch(sim, store, [x])
    tracker = Tracker(client, store, clock=sim.clock.now)
    await tracker.run_cycle()
    before = truth(sim, x)
    sim.play(x, 4)
    await tracker.run_cycle()
    after = truth(sim, x)
    with store.reader() as tx:
        diff = hist.compute_diff(tx, hist.resolve_player(tx, str(x)))
    n = diff.numbers

    def delta(name: str) -> object:
        return n[name]["delta"]

    assert delta("matches_completed") == after["MatchesCompleted"] - before["MatchesCompleted"]
    assert delta("wins") == after["Wins"] - before["Wins"]
    for field, key in (("kills", "Kills"), ("deaths", "Deaths"), ("assists", "Assists")):
        assert delta(field) == after["CoreStats"][key] - before["CoreStats"][key]  # type: ignore[index]
    assert any(line.startswith("matches +") for line in diff.lines)


async def test_one_players_failure_does_not_stop_the_others(sim: Simulator, lite: Store) -> None:
    async with make_client(sim, lite) as client:
        await _one_players_failure_does_not_stop_the_others(sim, lite, client)


async def _one_players_failure_does_not_stop_the_others(
    sim: Simulator, store: Store, client: WaypointClient
) -> None:
    xuids = active(sim, 4)
    count_fails, record_fails = xuids[0], xuids[1]
    watch(sim, store, [*xuids, GHOST])
    FAIL[sim.base_url.removeprefix("http://")] = {
        f"xuid({count_fails})/matches/count",
        f"xuid({record_fails})/servicerecord",
    }
    tracker = Tracker(client, store, clock=sim.clock.now)
    report = await tracker.run_cycle()
    failed = {f.xuid: f for f in report.failures}
    assert set(failed) == {count_fails, record_fails, GHOST}
    assert failed[count_fails].step == "match count"
    assert failed[record_fails].step == "service record"
    assert "500" in failed[count_fails].error or "failing" in failed[count_fails].error
    assert failed[GHOST].step == "match count"
    for x in xuids[2:]:
        assert store.latest_record(x) is not None
    for x in (count_fails, record_fails, GHOST):
        entry = store.watch_get(x)
        assert entry is not None and entry.failure_count == 1 and entry.last_error
        assert entry.last_match_count is None and store.latest_record(x) is None
    assert any("failed" in line for line in report.summary())

    FAIL.clear()
    retry = await tracker.run_cycle()
    assert {f.xuid for f in retry.failures} == {GHOST}
    for x in (count_fails, record_fails):
        entry = store.watch_get(x)
        assert entry is not None and entry.failure_count == 0 and entry.last_error is None
        assert store.latest_record(x) is not None
    assert store.integrity_check() == []


async def test_tokens_renew_as_simulated_days_pass(sim: Simulator, lite: Store) -> None:
    async with make_client(sim, lite) as client:
        await _tokens_renew_as_simulated_days_pass(sim, lite, client)


async def _tokens_renew_as_simulated_days_pass(
    sim: Simulator, store: Store, client: WaypointClient
) -> None:
    xuids = active(sim, 2)
    watch(sim, store, xuids)
    tracker = Tracker(client, store, clock=sim.clock.now)
    await tracker.run_cycle()
    await sim.advance(30)  # the 4 h token has long expired
    report = await tracker.run_cycle()
    assert report.failures == [] and report.checked == 2
    assert client.counters.refreshes == 0  # renewed ahead of expiry, no 401 needed


def test_a_second_tracker_is_refused_then_can_wait(store_url: str) -> None:
    with (
        TrackerLock(store_url),
        pytest.raises(TrackerBusy, match="another tracker is already running"),
    ):
        TrackerLock(store_url).acquire()
    # Released: a waiting tracker gets in once the first one lets go.
    first = TrackerLock(store_url)
    first.acquire()
    threading.Timer(0.3, first.release).start()
    t0 = time.monotonic()
    with TrackerLock(store_url, wait=10, poll=0.05):
        assert time.monotonic() - t0 < 10


async def test_idle_players_are_skipped_until_due(sim: Simulator, lite: Store) -> None:
    async with make_client(sim, lite) as client:
        x = active(sim, 1)[0]
        watch(sim, lite, [x])
        tracker = Tracker(client, lite, clock=sim.clock.now)
        await tracker.run_cycle()
        await sim.advance(8 * 24, active_fraction=0.0)  # a quiet week and a day
        idle = await tracker.run_cycle()
        assert (idle.checked, idle.played) == (1, 0)
        entry = lite.watch_get(x)
        assert entry is not None and entry.next_check_at == sim.clock.now() + timedelta(hours=6)
        skipped = await tracker.run_cycle()
        assert (skipped.due, skipped.requests) == (0, 0)
        await sim.advance(6)
        assert (await tracker.run_cycle()).checked == 1


@pytest.mark.parametrize(("suffix", "step"), [("servicerecord", "service record"), ("csrs", "csr")])
async def test_a_wrong_shape_answer_is_never_stored_and_fails_the_player(
    sim: Simulator, lite: Store, suffix: str, step: str
) -> None:
    """A 200 body without the fields of its kind must not become the latest snapshot (an
    all-zero service record once did): the player fails with the reason, the next good
    cycle stores the truth."""
    async with make_client(sim, lite) as client:
        x, other = active(sim, 2)
        watch(sim, lite, [x, other])
        tracker = Tracker(client, lite, clock=sim.clock.now)
        await tracker.run_cycle()
        records, csr = len(lite.records_history(x)), len(lite.csr_history(x))
        sim.play(x, 3)
        sim.play(other, 1)
        FAIL[sim.base_url.removeprefix("http://")] = {f"weird:xuid({x})/{suffix}"}
        report = await tracker.run_cycle()
        # CSR is asked for both players in one request, so its wrong answer fails both.
        failed = {x, other} if suffix == "csrs" else {x}
        assert {(f.xuid, f.step) for f in report.failures} == {(p, step) for p in failed}
        assert all("missing required field" in f.error for f in report.failures)
        if step == "service record":
            assert len(lite.records_history(x)) == records
        assert len(lite.csr_history(x)) == csr
        latest = lite.latest_record(x)
        assert latest is not None and latest.matches_completed > 0
        entry = lite.watch_get(x)
        assert entry is not None and entry.failure_count == 1 and entry.last_error
        assert lite.latest_record(other).matches_completed == truth(sim, other)["MatchesCompleted"]  # type: ignore[union-attr]
        FAIL.clear()
        again = await tracker.run_cycle()
        assert again.failures == []
        latest = lite.latest_record(x)
        assert latest is not None
        assert latest.matches_completed == truth(sim, x)["MatchesCompleted"]
        assert len(lite.csr_history(x)) > csr
        assert lite.integrity_check() == []


async def test_a_refused_csr_keeps_the_records_and_retries_the_player(
    sim: Simulator, lite: Store
) -> None:
    async with make_client(sim, lite) as client:
        xuids = active(sim, 3)
        refused = xuids[1]
        watch(sim, lite, xuids)
        FAIL[sim.base_url.removeprefix("http://")] = {f"xuid({refused})/csrs"}
        tracker = Tracker(client, lite, clock=sim.clock.now)
        report = await tracker.run_cycle()
        assert [(f.xuid, f.step) for f in report.failures] == [(refused, "csr")]
        assert "refused" in report.failures[0].error
        assert lite.latest_record(refused) is not None  # records kept
        assert lite.csr_history(refused) == []
        assert all(lite.csr_history(x) for x in xuids if x != refused)
        entry = lite.watch_get(refused)
        assert entry is not None and entry.failure_count == 1 and entry.last_match_count is None
        FAIL.clear()
        again = await tracker.run_cycle()
        assert again.failures == [] and again.played == 1 and again.records_created == 0
        assert lite.csr_history(refused)
        assert lite.integrity_check() == []


def test_etags_live_in_the_store(lite: Store) -> None:
    cache = StoreEtagCache(lite)
    url = "https://gamecms-hacs.svc.halowaypoint.com/hi/Waypoint/file/medals/metadata.json"
    assert cache.get(url) is None
    cache.put(url, '"v1"', b'{"medals": []}')
    assert cache.get(url) == ('"v1"', b'{"medals": []}')
    cache.put(url + ".png", '"p"', b"\x89PNG\r\n")  # binary: not kept (the store holds text)
    assert cache.get(url + ".png") is None
