"""Match sync against the simulator: backfill, incremental stop, resume without refetching,
bots never sent to skill, CSR per match agreeing with the CSR endpoint."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from halotrack.simulator import Simulator, start_simulator
from halotrack.store import Store, open_store
from halotrack.store import matches as sm
from halotrack.usecases.matches import sync_player_matches
from halotrack.waypoint import Limits, WaypointClient

STATS_URL = re.compile(r"/hi/matches/([0-9a-f-]+)/stats$")
SKILL_URL = re.compile(r"/hi/matches/([0-9a-f-]+)/skill$")


@dataclass
class Env:
    sim: Simulator
    xuid: int
    client: WaypointClient

    def log(self) -> list[dict[str, Any]]:
        return self.sim.requests(limit=20_000)

    def stats_fetched(self) -> list[str]:
        return [m[1] for r in self.log() if (m := STATS_URL.search(r["path"]))]

    def truth(self) -> list[str]:
        """The player's match ids, newest first."""
        p = self.sim.world.by_xuid[self.xuid]
        return [m.match_id for m in self.sim.world.matches_of(p)]


def _pick(sim: Simulator, low: int, high: int) -> int:
    """A player with between low and high matches, who plays ranked and with bots."""
    world = sim.world
    for p in world.players:
        slots = world.slots(p)
        if not low <= len(slots) <= high:
            continue
        ranked = sum(s.match.ranked for s in slots)
        bots = sum(
            any(x.bot for x in world.roster(s.match)) and s.match.lifecycle == 3 for s in slots
        )
        if ranked >= 10 and bots >= 1:
            return p.xuid
    raise AssertionError("no suitable player in the world")


@pytest.fixture
def lite_store(tmp_path: Path) -> Iterator[Store]:
    """SQLite only: the store functions run on both backends elsewhere; the sync logic is the
    same on either, and one PostgreSQL sync test below is enough for it."""
    store = open_store(f"sqlite:///{tmp_path / 'm.sqlite'}")
    yield store
    store.close()


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with start_simulator(seed=11, players=40, history_scale=0.5) as sim:
        xuid = _pick(sim, 35, 80)
        tokens = sim.issue_tokens(xuid)
        async with WaypointClient(
            tokens=tokens,
            api_root=sim.base_url,
            limits=Limits.unlimited(concurrency=6),
            cache=False,
        ) as client:
            yield Env(sim, xuid, client)


@pytest.mark.slow
async def test_backfill_then_incremental(env: Env, match_store: Store) -> None:
    store = match_store
    first = await sync_player_matches(env.client, store, env.xuid)
    truth = env.truth()
    assert first.new_matches == len(truth) and first.complete
    assert store.player_match_ids(env.xuid) == set(truth)
    assert sorted(env.stats_fetched()) == sorted(truth)  # each match once
    state = store.get_sync_state(env.xuid)
    assert state.complete and state.newest_match_id == truth[0]

    env.sim.reset_stats()
    second = await sync_player_matches(env.client, store, env.xuid)
    assert second.new_matches == 0 and second.pages == 1
    paths = [r["path"] for r in env.log()]
    assert len(paths) == 1 and paths[0].endswith("/matches")  # one history page, nothing old

    new_ids = env.sim.play(env.xuid, 3)
    env.sim.reset_stats()
    third = await sync_player_matches(env.client, store, env.xuid)
    assert third.new_matches == 3
    assert sorted(env.stats_fetched()) == sorted(new_ids)
    assert store.get_sync_state(env.xuid).newest_match_id == new_ids[-1]
    mine = store.player_matches(env.xuid, limit=None)
    assert [m.match_id for m in mine] == env.truth()


async def test_backfill_rows_assets_and_skill_for_humans_only(env: Env, lite_store: Store) -> None:
    await sync_player_matches(env.client, lite_store, env.xuid)
    world = env.sim.world
    with lite_store.reader() as tx:
        n_rows = tx.conn.execute(sa.select(sa.func.count()).select_from(sm.match_players))
        expected = sum(len(world.roster(m)) for m in world.matches_of(world.by_xuid[env.xuid]))
        assert n_rows.scalar_one() == expected
    rows = lite_store.player_matches(env.xuid, limit=None)
    for row in rows:
        m = world.find_match(row.match_id)
        assert m is not None
        assert row.map_name == m.map_asset.name
        assert row.mode_name == m.variant_asset.name
        assert row.playlist_name == (m.playlist.asset.name if m.playlist else None)
        me = next(s for s in world.roster(m) if s.xuid == env.xuid)
        vec = world.slot_vector(me)
        from halotrack.simulator.catalog import COL

        assert (row.kills, row.deaths, row.assists) == (
            vec[COL["core.Kills"]],
            vec[COL["core.Deaths"]],
            vec[COL["core.Assists"]],
        )
    # Each asset version was asked for once.
    asked = Counter(r["path"] for r in env.log() if "/versions/" in r["path"])
    assert asked and max(asked.values()) == 1
    _bots_never_sent_to_skill(env, lite_store)


def _bots_never_sent_to_skill(env: Env, lite_store: Store) -> None:
    skill = [r for r in env.log() if SKILL_URL.search(r["path"])]
    assert skill and all(r["status"] == 200 for r in skill)
    assert not any("bid" in r["query"] for r in skill)
    world = env.sim.world
    asked = {SKILL_URL.search(r["path"])[1] for r in skill}  # type: ignore[index]
    with_bots = [
        m
        for m in world.matches_of(world.by_xuid[env.xuid])
        if m.lifecycle == 3 and any(s.bot for s in world.roster(m))
    ]
    assert with_bots and all(m.match_id in asked for m in with_bots)
    customs = [m for m in world.matches_of(world.by_xuid[env.xuid]) if m.lifecycle != 3]
    assert not any(m.match_id in asked for m in customs)
    # The humans were each asked about, with their CSR stored.
    m = with_bots[0]
    got = lite_store.get_match(m.match_id)
    assert got is not None
    humans = [p for p in got.players if not p.is_bot]
    assert humans and all(p.xuid is not None for p in humans)


async def test_csr_per_match_agrees_with_the_csr_endpoint(env: Env, lite_store: Store) -> None:
    world = env.sim.world
    current = world.csr_season(None)
    assert current is not None
    # Ranked matches in the current CSR season (history ends at the world's start).
    for _ in range(40):
        env.sim.play(env.xuid, 1)
        p = world.by_xuid[env.xuid]
        if sum(s.match.ranked for s in p.live) >= 3:
            break
    await sync_player_matches(env.client, lite_store, env.xuid)
    newest: dict[str, sm.PlayerMatch] = {}
    for row in lite_store.player_matches(env.xuid, limit=None):  # newest first
        m = world.find_match(row.match_id)
        if m is not None and m.ranked and row.playlist_asset_id is not None:
            newest.setdefault(row.playlist_asset_id, row)
    checked = 0
    for pid, row in newest.items():
        m = world.find_match(row.match_id)
        assert m is not None
        if m.season.index != current.index:
            continue
        csr = await env.client.skill.playlist_csr(pid, [env.xuid], season=current.bare_id)
        value = csr.current(env.xuid)
        assert value is not None and row.csr_post == value.value
        checked += 1
    assert checked >= 1
    # Pre of each ranked match equals post of the one before it (same playlist, season).
    chains: dict[tuple[str, int], list[sm.PlayerMatch]] = {}
    for row in reversed(lite_store.player_matches(env.xuid, limit=None)):
        m = world.find_match(row.match_id)
        if m is not None and m.ranked and row.playlist_asset_id:
            chains.setdefault((row.playlist_asset_id, m.season.index), []).append(row)
    links = 0
    for rows in chains.values():
        for before, after in itertools.pairwise(rows):
            assert after.csr_pre == before.csr_post
            links += 1
    assert links > 5


@pytest.mark.slow
async def test_cancelled_backfill_resumes_without_refetching(env: Env, lite_store: Store) -> None:
    store = lite_store
    task: asyncio.Task[Any] | None = None

    def progress(done: int, total: int | None) -> None:
        if done >= 40 and task is not None and not task.cancelling():
            # What is left answers slowly: the cancellation lands while it is in flight.
            env.sim.set_faults(stats={"latency_ms": 1500})
            task.cancel()

    # Each match answers in 0.1 s, so stored matches are reported while the rest are still
    # being fetched (an instant simulator lets the pipeline fetch all before the first write).
    env.sim.set_faults(stats={"latency_ms": 100})
    task = asyncio.create_task(sync_player_matches(env.client, store, env.xuid, progress=progress))
    with pytest.raises(asyncio.CancelledError):
        await task
    stored = store.player_match_ids(env.xuid)
    assert 40 <= len(stored) < len(env.truth())
    state = store.get_sync_state(env.xuid)
    assert not state.complete and state.frontier >= 25  # leading complete pages recorded
    env.sim.clear_faults()
    # Matches are played meanwhile: offsets move under the resumed backfill.
    env.sim.play(env.xuid, 4)
    result = await sync_player_matches(env.client, store, env.xuid)
    assert result.complete and result.resumed_at is not None
    fetched = env.stats_fetched()
    dupes = [mid for mid, n in Counter(fetched).items() if n > 1]
    assert dupes == []
    assert sorted(fetched) == sorted(env.truth())
    assert store.player_match_ids(env.xuid) == set(env.truth())
    assert store.get_sync_state(env.xuid).complete


@pytest.mark.slow
async def test_full_sync_fills_a_gap_only(env: Env, lite_store: Store) -> None:
    await sync_player_matches(env.client, lite_store, env.xuid)
    gap = env.truth()[7]
    with lite_store.transaction() as tx:
        for table in (sm.match_medals, sm.match_personal_scores, sm.match_teams):
            tx.conn.execute(table.delete().where(table.c.match_id == gap))
        tx.conn.execute(sm.match_players.delete().where(sm.match_players.c.match_id == gap))
        tx.conn.execute(sm.matches.delete().where(sm.matches.c.match_id == gap))
    env.sim.reset_stats()
    assert (await sync_player_matches(env.client, lite_store, env.xuid)).new_matches == 0
    env.sim.reset_stats()
    full = await sync_player_matches(env.client, lite_store, env.xuid, full=True)
    assert full.new_matches == 1
    assert env.stats_fetched() == [gap]


async def test_a_match_shared_by_two_players_is_fetched_once(lite_store: Store) -> None:
    async with start_simulator(seed=5, players=30, history_scale=0.1) as sim:
        world = sim.world
        await sim.advance(24, active_fraction=1.0)
        shared = next(
            m
            for m in world.live_matches.values()
            if sum(s.xuid in world.by_xuid for s in world.roster(m)) >= 2
        )
        a, b = [s.xuid for s in world.roster(shared) if s.xuid in world.by_xuid][:2]
        assert a is not None and b is not None
        async with WaypointClient(
            tokens=sim.issue_tokens(a),
            api_root=sim.base_url,
            limits=Limits.unlimited(concurrency=4),
            cache=False,
        ) as client:
            await sync_player_matches(client, lite_store, a)
            sim.reset_stats()
            second = await sync_player_matches(client, lite_store, b)
        fetched = [m[1] for r in sim.requests(5000) if (m := STATS_URL.search(r["path"]))]
        assert shared.match_id not in fetched
        assert second.already_stored >= 1
        truth_b = {m.match_id for m in world.matches_of(world.by_xuid[b])}
        assert lite_store.player_match_ids(b) == truth_b


async def test_a_failing_skill_service_stores_nothing_half(lite_store: Store) -> None:
    """Skill still failing after the client's retries fails the sync before the match is
    stored; once the service is back, a later run fetches it whole, CSR included."""
    from halotrack.errors import ServerError
    from halotrack.waypoint import RetryPolicy

    async with start_simulator(seed=11, players=40, history_scale=0.5) as sim:
        xuid = _pick(sim, 35, 80)
        sim.set_faults(seed=1, skill={"rate_500": 1.0})
        async with WaypointClient(
            tokens=sim.issue_tokens(xuid),
            api_root=sim.base_url,
            limits=Limits.unlimited(concurrency=4),
            retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.002),
            cache=False,
        ) as client:
            with pytest.raises(ServerError):
                await sync_player_matches(client, lite_store, xuid)
            world = sim.world
            for mid in lite_store.player_match_ids(xuid):
                m = world.find_match(mid)
                assert m is not None and m.lifecycle != 3  # only customs (no skill) got in
            sim.clear_faults()
            result = await sync_player_matches(client, lite_store, xuid)
        assert result.complete and result.skill_failed == 0
        truth = {m.match_id for m in world.matches_of(world.by_xuid[xuid])}
        assert lite_store.player_match_ids(xuid) == truth
        rows = lite_store.player_matches(xuid, limit=None)
        ranked = [r for r in rows if (m := world.find_match(r.match_id)) and m.lifecycle == 3]
        assert ranked and all(r.csr_post is not None for r in ranked)


async def test_a_gamertag_is_resolved_once_and_remembered(env: Env, lite_store: Store) -> None:
    from halotrack.usecases.matches import resolve_xuid

    # ASCII: the store's case-insensitive lookup uses SQL lower(), ASCII-only on SQLite.
    p = next(p for p in env.sim.world.players if p.gamertag.isascii())
    assert await resolve_xuid(env.client, lite_store, p.gamertag) == p.xuid
    found = lite_store.find_player(p.gamertag)
    assert found is not None and found.xuid == p.xuid and found.gamertag == p.gamertag
    env.sim.reset_stats()
    assert await resolve_xuid(None, lite_store, p.gamertag.upper()) == p.xuid  # offline now
    assert await resolve_xuid(env.client, lite_store, f"xuid({p.xuid})") == p.xuid
    assert env.log() == []
