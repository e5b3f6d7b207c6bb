"""Notification events written by tracking cycles against the simulator (issue 16).

Every expected event comes from the simulated world: rank changes from its CSR replay at
each cycle, sessions and personal bests from the matches it generated. Idempotence is
shown by two trackers over one store, a cycle run again, and a failure inside the
snapshot's transaction (nothing is written, then everything exactly once).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from halotrack.errors import StoreError
from halotrack.models.csr import csr_block, tier_for
from halotrack.simulator import Simulator, gen, start_simulator
from halotrack.simulator.catalog import COL
from halotrack.simulator.formats import TICKS_PER_MS
from halotrack.simulator.world import LIFECYCLE_CUSTOM, LIFECYCLE_MATCHMADE, Match, SimPlayer
from halotrack.store import Store
from halotrack.store import events as se
from halotrack.store.schema import MATCH_TABLES, notify_deliveries, notify_events
from halotrack.usecases import StoreEtagCache, Tracker
from halotrack.usecases import cycle as cycle_module
from halotrack.usecases import events as ev
from halotrack.usecases.insights import DEFAULT_GAP
from halotrack.waypoint import Limits, RetryPolicy, WaypointClient
from halotrack.wiring.simtokens import SimulatorTokens
from tests.integration.test_insights import _fill, firefight_evening, truth_index

DOWN: dict[str, set[int]] = {}  # simulator host -> XUIDs whose match count answers 500
CSR_DOWN: dict[str, set[int]] = {}  # simulator host -> XUIDs whose CSR answers 500


def _outage_plugin(app: web.Application, state: object) -> None:
    @web.middleware
    async def down(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if any(f"xuid({x})" in request.path for x in DOWN.get(request.host, set())):
            return web.Response(status=500)
        csr_down = CSR_DOWN.get(request.host, set())
        if request.path.endswith("/csrs") and any(
            f"xuid({x})" in request.query_string for x in csr_down
        ):
            return web.Response(status=500)
        return await handler(request)

    app.middlewares.append(down)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with start_simulator(
        seed=11, players=24, plugins=[_outage_plugin], seasons=6, history_scale=0.3
    ) as s:
        yield s
        DOWN.pop(s.base_url.removeprefix("http://"), None)
        CSR_DOWN.pop(s.base_url.removeprefix("http://"), None)


@pytest.fixture
def ev_store(store: Store) -> Iterator[Store]:
    """`store` with the outbox and match tables empty (the shared PostgreSQL schema keeps
    them between tests)."""

    def clear() -> None:
        with store.transaction() as tx:
            for table in (notify_deliveries, notify_events, *reversed(MATCH_TABLES)):
                tx.conn.execute(table.delete())

    clear()
    yield store
    clear()


@asynccontextmanager
async def client_for(sim: Simulator, store: Store) -> AsyncIterator[WaypointClient]:
    async with WaypointClient(
        tokens=SimulatorTokens(sim, sim.world.players[0].xuid),
        api_root=sim.base_url,
        limits=Limits.unlimited(),
        retry=RetryPolicy(attempts=1, base_delay=0.001, max_delay=0.002),
        cache=StoreEtagCache(store),
    ) as c:
        yield c


def watch(sim: Simulator, store: Store, players: list[SimPlayer], *, matches: bool) -> None:
    for p in players:
        store.watch_add(p.xuid, gamertag=p.gamertag, matches=matches, now=sim.clock.now())


def events_of(store: Store, kind: str) -> list[ev.Event]:
    return [e for e in ev.recent_events(store, 10_000) if e.kind == kind]


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


# ---------------------------------------------------------------------------- truth


def csr_truth(sim: Simulator, players: list[SimPlayer]) -> dict[tuple[int, str], tuple[int, int]]:
    """(xuid, playlist id) -> (CSR, placement matches left) in the running CSR season."""
    world = sim.world
    season = world.csr_season(None)
    assert season is not None
    return {
        (p.xuid, pl.asset.asset_id.lower()): world.csr_of(p, pl, season)[:2]
        for p in players
        for pl in world.playlists
        if pl.ranked
    }


def rank_changes(
    before: dict[tuple[int, str], tuple[int, int]], after: dict[tuple[int, str], tuple[int, int]]
) -> list[tuple[int, str, str, int]]:
    """(xuid, playlist, "up" | "down" | "placed", CSR after) by the skill service's tier
    table: a tier or sub-tier left, or placement finished."""

    def step(value: int) -> tuple[int, int]:
        pos = tier_for(value)
        names = ["Bronze", "Silver", "Gold", "Platinum", "Diamond", "Onyx"]
        return names.index(pos.tier), pos.sub_tier

    out = []
    for key, (v1, _) in after.items():
        v0, _ = before.get(key, (-1, 0))
        if v1 < 0 or v0 == v1:
            continue
        if v0 < 0:
            out.append((*key, "placed", v1))
        elif step(v1) != step(v0):
            out.append((*key, "up" if step(v1) > step(v0) else "down", v1))
    return sorted(out)


def told_ranks(store: Store) -> list[tuple[int, str, str, int]]:
    return sorted(
        (int(e.data["xuid"]), e.data["playlist_id"], e.data["change"], e.data["after"]["csr"])
        for e in events_of(store, "rank")
    )


def is_pvp(m: Match) -> bool:
    return m.lifecycle == 3 and not (m.variant.category == 42 or m.interaction == 2)


def end_ms(m: Match) -> int:
    return m.start_ms + m.duration_ticks // TICKS_PER_MS


def session_truth(
    sim: Simulator, p: SimPlayer, since: datetime, now: datetime
) -> list[tuple[datetime, int, int, int, int]]:
    """(first start, matchmade matches, PvE, custom and local games among them) of each
    session of the world's matches that ended at or after `since` and more than the gap
    before `now`. Games of every kind split sessions; only matchmade ones count, and an
    evening of custom or LAN games alone is no session."""
    out: list[list[Any]] = []  # [first start ms, last end ms, matchmade, PvE, custom, local]
    for m in sorted((s.match for s in sim.world.slots(p)), key=lambda m: m.start_ms):
        made = m.lifecycle == LIFECYCLE_MATCHMADE
        counts = (made, made and not is_pvp(m), m.lifecycle == LIFECYCLE_CUSTOM)
        counts += (not made and not counts[2],)
        if out and m.start_ms - out[-1][1] <= DEFAULT_GAP.total_seconds() * 1000:
            out[-1][1] = max(out[-1][1], end_ms(m))
            for i, c in enumerate(counts):
                out[-1][2 + i] += int(c)
        else:
            out.append([m.start_ms, end_ms(m), *map(int, counts)])
    return [
        (at(first), n, pve, custom, local)
        for first, last, n, pve, custom, local in out
        if n and at(last) >= since and now - at(last) >= DEFAULT_GAP
    ]


def best_truth(sim: Simulator, p: SimPlayer, since: datetime) -> list[tuple[str, str, float]]:
    """(what, match id, value) of each most-kills, best-performance and longest-win-streak
    best the world's PvP matches set at or after `since` (with ev.MIN_EARLIER matches
    before them); the performance index from the world's own skill answers."""
    world = sim.world
    slots = sorted(
        (s for s in world.slots(p) if is_pvp(s.match)),
        key=lambda s: (s.match.start_ms, s.match.match_id),
    )
    out: list[tuple[str, str, float]] = []
    runs: list[int] = [0]
    indexes = [truth_index(world, s) for s in slots]
    for n, s in enumerate(slots):
        kills = world.slot_vector(s)[COL["core.Kills"]]
        new = at(s.match.start_ms) >= since and n >= ev.MIN_EARLIER
        earlier = [world.slot_vector(e)[COL["core.Kills"]] for e in slots[:n]]
        if new and earlier and kills > max(earlier):
            out.append(("kills", s.match.match_id, kills))
        if new and indexes[n] > max(indexes[:n]):
            out.append(("performance", s.match.match_id, round(indexes[n], 3)))
        if s.outcome == gen.WIN:
            runs[-1] += 1
            if new and runs[-1] >= 2 and runs[-1] == max(runs[:-1]) + 1:
                out.append(("win_streak", s.match.match_id, runs[-1]))
        else:
            runs.append(0)
    return out


# ---------------------------------------------------------------------------- tests


@pytest.mark.slow
async def test_rank_events_are_the_worlds_csr_changes_once_with_two_trackers(
    sim: Simulator, ev_store: Store
) -> None:
    players = [p for p in sim.world.players if p.activity == "daily"][:4]
    watch(sim, ev_store, players, matches=False)
    async with client_for(sim, ev_store) as one, client_for(sim, ev_store) as two:
        first = Tracker(one, ev_store, clock=sim.clock.now, sync_matches=False)
        second = Tracker(two, ev_store, clock=sim.clock.now, sync_matches=False)
        await first.run_cycle(force=True)
        before = csr_truth(sim, players)
        expected: list[tuple[int, str, str, int]] = []
        for _ in range(6):
            await sim.advance(12)
            runs = await asyncio.gather(first.run_cycle(force=True), second.run_cycle(force=True))
            assert [r.failures for r in runs] == [[], []]
            after = csr_truth(sim, players)
            expected += rank_changes(before, after)
            before = after
            assert told_ranks(ev_store) == sorted(expected)
        await first.run_cycle(force=True)  # a cycle run again adds nothing
    assert len(expected) >= 3, "the world should have moved some ranks"
    assert told_ranks(ev_store) == sorted(expected)
    names = {p.xuid: p.gamertag for p in players}
    for e in events_of(ev_store, "rank"):
        assert e.xuid is not None and e.title.startswith(names[e.xuid])
        assert str(e.xuid) not in e.title + e.body
        # an event exists with its snapshot: the reading it announces is stored
        [snap] = [
            s
            for s in ev_store.csr_history(e.xuid, e.data["playlist_id"])
            if s.captured_at == e.occurred_at
        ]
        assert snap.current_value == e.data["after"]["csr"]
        assert snap.label() in e.body


@pytest.mark.slow
async def test_a_failure_inside_the_snapshot_transaction_loses_no_event_and_repeats_none(
    sim: Simulator, ev_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = next(p for p in sim.world.players if p.activity == "daily")
    watch(sim, ev_store, [p], matches=False)
    async with client_for(sim, ev_store) as client:
        tracker = Tracker(client, ev_store, clock=sim.clock.now, sync_matches=False)
        await tracker.run_cycle()
        before = csr_truth(sim, [p])
        for _ in range(20):  # play until the world moves a rank
            sim.play(p.xuid, 3)
            if rank_changes(before, csr_truth(sim, [p])):
                break
        expected = rank_changes(before, csr_truth(sim, [p]))
        assert expected
        stored = len(ev_store.csr_history(p.xuid))

        real = ev.snapshot_events

        def crash(*args: Any, **kwargs: Any) -> int:
            assert real(*args, **kwargs) > 0  # the events were in the transaction ...
            raise StoreError("disk gone")  # ... which then fails

        monkeypatch.setattr(cycle_module, "snapshot_events", crash)
        report = await tracker.run_cycle()
        assert [f.step for f in report.failures] == ["store"]
        assert told_ranks(ev_store) == [] and len(ev_store.csr_history(p.xuid)) == stored

        monkeypatch.setattr(cycle_module, "snapshot_events", real)
        await tracker.run_cycle()
        await tracker.run_cycle(force=True)
    assert told_ranks(ev_store) == expected


@pytest.mark.slow
async def test_sessions_and_personal_bests_are_the_worlds_matches(
    sim: Simulator, ev_store: Store
) -> None:
    # the players with the shortest histories: a best comes sooner, and backfilled
    # matches (older than the watch) set none
    players = sorted(
        (p for p in sim.world.players if sim.world.slots(p)), key=lambda p: len(sim.world.slots(p))
    )[:3]
    watch(sim, ev_store, players, matches=True)
    since = sim.clock.now()
    async with client_for(sim, ev_store) as client:
        tracker = Tracker(client, ev_store, clock=sim.clock.now)
        await tracker.run_cycle(force=True)
        for round_ in range(7):
            for p in players:
                sim.play(p.xuid, 3 + round_ % 3)
            await tracker.run_cycle(force=True)  # mid-session: nothing ended yet
            await sim.advance(1.5, active_fraction=0.0)
            await tracker.run_cycle(force=True)
            await tracker.run_cycle(force=True)  # again: nothing new
        now = sim.clock.now()
    sessions = events_of(ev_store, "session")
    bests = events_of(ev_store, "best")
    for p in players:
        got = sorted(
            (
                datetime.fromisoformat(e.data["start"]),
                e.data["matches"],
                e.data["pve_matches"],
                e.data["custom_matches"],
                e.data["local_matches"],
            )
            for e in sessions
            if e.xuid == p.xuid
        )
        assert got == session_truth(sim, p, since, now)
        told = sorted(
            (e.data["best"], e.data["match_id"], e.data["value"]) for e in bests if e.xuid == p.xuid
        )
        assert told == sorted(best_truth(sim, p, since))
    assert len(sessions) == 7 * len(players)
    assert {e.data["best"] for e in bests} >= {"kills", "performance"}, "the world set none"
    for e in sessions + bests:
        assert e.xuid is not None and str(e.xuid) not in e.title + e.body
        assert len(e.title) <= 48 and "\n" not in e.title


@pytest.mark.slow
async def test_a_renamed_player_and_a_day_of_failures_are_told_once(
    sim: Simulator, ev_store: Store
) -> None:
    a, b = [p for p in sim.world.players if p.activity == "daily"][:2]
    watch(sim, ev_store, [a, b], matches=False)
    async with client_for(sim, ev_store) as client:
        tracker = Tracker(client, ev_store, clock=sim.clock.now, sync_matches=False)
        await tracker.run_cycle(force=True)

        # b's checks fail for a day and more: told once, with its name and the error
        DOWN[sim.base_url.removeprefix("http://")] = {b.xuid}
        await sim.advance(23, active_fraction=0.0)
        await tracker.run_cycle(force=True)
        assert events_of(ev_store, "ops") == []  # a failure, but not for a day yet
        await sim.advance(2, active_fraction=0.0)
        await tracker.run_cycle(force=True)
        await tracker.run_cycle(force=True)
        [ops] = events_of(ev_store, "ops")
        assert ops.xuid == b.xuid and ops.title.startswith(b.gamertag)
        assert ops.data["failures"] == 2  # told at the first failed check a day after a good one
        assert ev_store.watch_get(b.xuid).failure_count == 3  # type: ignore[union-attr]
        DOWN.clear()

        # a's gamertag changes; told with a's next snapshot
        with ev_store.transaction() as tx:
            tx.upsert_player(a.xuid, "Renamed One", seen_at=sim.clock.now())
        sim.play(a.xuid, 1)
        await tracker.run_cycle(force=True)
        sim.play(a.xuid, 1)
        await tracker.run_cycle(force=True)
    [renamed] = events_of(ev_store, "gamertag")
    assert renamed.xuid == a.xuid
    assert (renamed.data["old"], renamed.data["new"]) == (a.gamertag, "Renamed One")
    assert renamed.title == f"{a.gamertag} is now Renamed One"
    assert len(events_of(ev_store, "ops")) == 1


def csr_result(value: int) -> dict[str, Any]:
    block = csr_block(value, 0 if value >= 0 else 5, placement=5)
    return {"Current": block, "SeasonMax": block, "AllTimeMax": block}


def test_a_new_csr_season_is_told_once_by_the_first_snapshot_in_it(ev_store: Store) -> None:
    """The simulator's calendar ends with its running season, so the season change is
    stored here by hand, as the tracker's transaction stores it."""
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    players = (2533274800000001, 2533274800000002)

    def snapshot(xuid: int, season: str, value: int, when: datetime) -> int:
        with ev_store.transaction() as tx:
            tx.upsert_player(xuid, f"Player {xuid % 10}", seen_at=when)
            saved = tx.save_csr(xuid, "pl-ranked", season, csr_result(value), when)
            return ev.snapshot_events(tx, xuid, season, {"pl-ranked": saved}, when)

    assert snapshot(players[0], "CsrSeason5-1", 1300, t0) == 0  # the first season seen
    assert snapshot(players[1], "CsrSeason5-1", 1000, t0) == 0
    assert snapshot(players[0], "CsrSeason6-1", -1, t0 + timedelta(days=1)) == 1
    assert snapshot(players[1], "CsrSeason6-1", -1, t0 + timedelta(days=2)) == 0
    assert snapshot(players[1], "CsrSeason6-1", 1250, t0 + timedelta(days=3)) == 1  # placed
    [season] = events_of(ev_store, "season")
    assert season.xuid is None and season.data["csr_season"] == "CsrSeason6-1"
    assert season.title == "New season: Ranked season 6-1"
    assert season.occurred_at == t0 + timedelta(days=1)
    [placed] = events_of(ev_store, "rank")
    assert placed.body == "Player 2 finished placement in a ranked playlist: Diamond 2 (1250)"


def test_the_outbox_insert_is_idempotent_and_read_newest_first(ev_store: Store) -> None:
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    with ev_store.transaction() as tx:
        tx.upsert_player(2533274800000001, "Cortana Sniper", seen_at=now)
        tx.upsert_player(2533274800000002, "Other Player", seen_at=now)

    def event(xuid: int, n: int) -> ev.Event:
        return ev.Event(
            ev.event_id("best", xuid, n),
            "best",
            xuid,
            now + timedelta(minutes=n),
            f"title {n}",
            f"body {n}",
            {"n": n},
        )

    first = [event(2533274800000001, n) for n in range(3)] + [event(2533274800000002, 9)]
    with ev_store.transaction() as tx:
        assert ev.save_events(tx, first, now) == 4
    with ev_store.transaction() as tx:  # the same causes again, and one new
        assert ev.save_events(tx, [*first, event(2533274800000001, 3)], now) == 1
    assert se.existing_ids(ev_store, [e.event_id for e in first]) == {e.event_id for e in first}
    newest = ev.recent_events(ev_store, 3, player="cortana sniper")
    assert [e.data["n"] for e in newest] == [3, 2, 1]
    seqs = [e.seq or 0 for e in newest]
    assert seqs == sorted(seqs, reverse=True) and 0 not in seqs
    assert json.loads(json.dumps(newest[0].as_dict()))["xuid"] == "2533274800000001"
    assert len(ev.recent_events(ev_store, 100)) == 5


def test_a_session_event_names_its_pve_games_and_its_pvp_best(ev_store: Store) -> None:
    """An evening with Firefight beside PvP: the session event's best match is the PvP
    games' best by the world's skill answers, and one line counts the PvE games."""
    evening, p, played = firefight_evening()
    world = evening.world
    _fill(ev_store, evening)
    ev_store.watch_add(p.xuid, gamertag=p.gamertag, matches=True, now=at(played[0].match.start_ms))
    shooters = [s for s in played if is_pvp(s.match)]
    best = max(shooters, key=lambda s: truth_index(world, s))
    pve = len(played) - len(shooters)
    now = at(end_ms(played[-1].match)) + 2 * DEFAULT_GAP
    [event] = ev.ended_sessions(ev_store, [p.xuid], now)
    assert event.data["best_match"]["match_id"] == best.match.match_id
    assert (event.data["pve_matches"], event.data["custom_matches"]) == (pve, 0)
    assert event.body.splitlines()[-1] == f"PvE: {pve} games, not in the K/D or best."


@pytest.mark.slow
async def test_a_day_of_failing_csr_while_records_update_is_told_once(
    sim: Simulator, ev_store: Store
) -> None:
    p = next(p for p in sim.world.players if p.activity == "daily")
    watch(sim, ev_store, [p], matches=False)
    async with client_for(sim, ev_store) as client:
        tracker = Tracker(client, ev_store, clock=sim.clock.now, sync_matches=False)
        await tracker.run_cycle(force=True)
        CSR_DOWN[sim.base_url.removeprefix("http://")] = {p.xuid}
        sim.play(p.xuid, 2)
        await sim.advance(23, active_fraction=0.0)
        await tracker.run_cycle(force=True)
        assert events_of(ev_store, "ops") == []  # failing, but not for a day yet
        await sim.advance(2, active_fraction=0.0)
        sim.play(p.xuid, 1)
        await tracker.run_cycle(force=True)
        await tracker.run_cycle(force=True)
        record = ev_store.latest_record(p.xuid)
    [ops] = events_of(ev_store, "ops")
    assert ops.xuid == p.xuid and ops.data["step"] == "csr" and ops.title.startswith(p.gamertag)
    assert ops.data["failures"] == 2  # the first failed fetch a day after the last good one
    # the records kept updating through the outage: the newest counts every matchmade game
    made = [s for s in sim.world.slots(p) if s.match.lifecycle == LIFECYCLE_MATCHMADE]
    assert record is not None and record.matches_completed == len(made)


@pytest.mark.slow
async def test_the_simulators_next_season_is_told_once_when_a_snapshot_reaches_it(
    ev_store: Store,
) -> None:
    """A world whose calendar announces the next season 30 hours on: nothing is told
    before it starts; after, the first snapshot in it tells it, once for all players."""
    store = ev_store
    async with start_simulator(
        seed=5, players=6, seasons=6, history_scale=0.2, next_season_in=timedelta(hours=30)
    ) as sim:
        world = sim.world
        running, following = world.season_at(world.clock.now_ms()), world.seasons[-1]
        assert running.index + 1 == following.index
        players = [p for p in world.players if p.activity != "idle"][:2]
        watch(sim, store, players, matches=False)
        async with client_for(sim, store) as client:
            tracker = Tracker(client, store, clock=sim.clock.now, sync_matches=False)
            await tracker.run_cycle(force=True)
            for p in players:
                sim.play(p.xuid, 1)
            await tracker.run_cycle(force=True)
            assert events_of(store, "season") == []  # still the running season
            await sim.advance(31, active_fraction=0.0)
            for p in players:
                sim.play(p.xuid, 1)
            await tracker.run_cycle(force=True)
            await tracker.run_cycle(force=True)
    [told] = events_of(store, "season")
    bare = world.csr_seasons[following.index - 1].bare_id
    assert told.data["csr_season"] == bare
    assert told.occurred_at >= datetime.fromtimestamp(following.start_ms / 1000, UTC)
