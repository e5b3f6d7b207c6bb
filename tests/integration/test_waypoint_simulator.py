"""The client against the simulator: real paths and shapes, and its fault injection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from halotrack.errors import NotFound, RateLimited, ServerError
from halotrack.simulator import Simulator, start_simulator
from halotrack.waypoint import Limits, RetryPolicy, Tokens, WaypointClient


class NoWait:
    """Backoff sleeps recorded, not slept: fault tests stay fast and deterministic."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with start_simulator(seed=7, players=30) as s:
        yield s


def make(sim: Simulator, tokens: Tokens, sleep: Any = None, **kw: Any) -> WaypointClient:
    kw.setdefault("limits", Limits.unlimited(16))
    kw.setdefault("cache", False)
    if sleep is not None:
        kw["sleep"] = sleep
    return WaypointClient(tokens=tokens, api_root=sim.base_url, **kw)


async def test_reads_every_service_from_the_simulator(sim: Simulator) -> None:
    me = sim.world.players[0]
    async with make(sim, sim.issue_tokens(me.xuid)) as c:
        by_gamertag = await c.stats.service_record(me.gamertag)
        by_xuid = await c.stats.service_record(me.xuid)
        assert by_gamertag.raw_bytes == by_xuid.raw_bytes
        assert by_xuid.matches_completed > 0
        count = await c.stats.match_count(me.xuid)
        assert count.matchmade_matches_played_count >= by_xuid.matches_completed
        history = [m async for m in c.stats.iter_match_history(me.xuid, limit=30)]
        assert len(history) == min(30, count.matches_played_count)
        stats = await c.stats.match_stats(history[0].match_id)
        humans = [p.player_id for p in stats.players]
        skill = await c.skill.match_skill(history[0].match_id, humans)
        assert skill.value
        calendar = await c.gamecms.season_calendar()
        assert calendar.seasons
        assert (await c.gamecms.csr_season_calendar()).seasons
        assert len(await c.gamecms.medal_names()) > 100
        assert (await c.gamecms.career_rank_track()).ranks
        ids = by_xuid.subqueries.playlist_asset_ids if by_xuid.subqueries else []
        assert ids
        asset = await c.gamecms.playlist_asset(ids[0])
        assert asset.ugc_playlist_version
        version = await c.discovery.playlist(ids[0], asset.ugc_playlist_version)
        assert version.public_name
        assert await c.profile.xuid_for(me.gamertag) == me.xuid
        assert (await c.profile.me()).xuid_int == me.xuid
        others = [p.xuid for p in sim.world.players[:5]]
        assert set(await c.profile.gamertags_for(others)) == set(others)
        progress = await c.economy.career_rank_progress(me.xuid)
        assert progress.rank >= 0
        png = await c.gamecms.image("medals/images/medal_sheet_sm.png")
        assert png[:4] == b"\x89PNG"
        with pytest.raises(NotFound, match="no such player"):
            await c.stats.service_record("Nobody Here 1")
        assert c.counters.by_status.get(404) == 1
        assert c.counters.retries == 0


@pytest.mark.slow
async def test_csr_for_many_players_with_one_unknown(sim: Simulator) -> None:
    me = sim.world.players[0]
    everyone = [p.xuid for p in sim.world.players]
    unknown = 2533274899999999
    async with make(sim, sim.issue_tokens(me.xuid), csr_batch_size=8) as c:
        record = await c.stats.service_record(me.xuid)
        ids = record.subqueries.playlist_asset_ids if record.subqueries else []
        ranked = [pid for pid in ids or [] if (await c.gamecms.playlist_asset(pid)).has_csr]
        assert ranked
        result = await c.skill.playlist_csr(ranked[0], [*everyone[:13], unknown, *everyone[13:]])
    assert result.bad == [unknown]
    assert list(result.entries) == everyone
    assert all(e.result_code == 0 for e in result.entries.values())


async def test_faults_are_retried_until_the_answer_is_right(sim: Simulator) -> None:
    me = sim.world.players[0]
    async with make(sim, sim.issue_tokens(me.xuid)) as c:
        truth = (await c.stats.service_record(me.xuid)).raw_bytes
    sim.set_faults(
        seed=3,
        stats={"rate_429": 0.08, "rate_500": 0.06, "rate_503": 0.06, "rate_drop": 0.05,
               "rate_truncate": 0.05, "retry_after": 2},
    )  # fmt: skip
    wait = NoWait()
    async with make(sim, sim.issue_tokens(me.xuid), wait, retry=RetryPolicy(attempts=8)) as c:
        records = await asyncio.gather(*(c.stats.service_record(me.xuid) for _ in range(30)))
        counters = c.counters
    assert all(r.raw_bytes == truth for r in records)
    assert counters.retries > 0
    assert counters.requests == 30 + counters.retries
    assert 2.0 in wait.sleeps  # a 429's Retry-After was honoured
    assert {429, 500, 503} & set(counters.by_status)


async def test_persistent_faults_end_in_clear_errors(sim: Simulator) -> None:
    me = sim.world.players[0]
    wait = NoWait()
    policy = RetryPolicy(attempts=3)
    sim.set_faults(stats={"rate_429": 1.0, "retry_after": 1})
    async with make(sim, sim.issue_tokens(me.xuid), wait, retry=policy) as c:
        with pytest.raises(RateLimited, match="lower --rate"):
            await c.stats.match_count(me.xuid)
    sim.set_faults(stats={"rate_503": 1.0})
    async with make(sim, sim.issue_tokens(me.xuid), wait, retry=policy) as c:
        with pytest.raises(ServerError, match="try again later"):
            await c.stats.match_count(me.xuid)
    sim.set_faults()


async def test_expired_token_is_refreshed_once(sim: Simulator) -> None:
    me = sim.world.players[0]

    class Renewing:
        def __init__(self) -> None:
            self.refreshes = 0
            self.tokens = Tokens(spartan="v4=not-a-token", clearance=sim.state.clearance_id)

        async def get(self) -> Tokens:
            return self.tokens

        async def refresh(self) -> Tokens:
            self.refreshes += 1
            self.tokens = sim.issue_tokens(me.xuid)
            return self.tokens

    provider = Renewing()
    async with make(sim, provider) as c:  # type: ignore[arg-type]
        await c.stats.match_count(me.xuid)
        await c.stats.match_count(me.xuid)
    assert provider.refreshes == 1


async def test_no_token_in_logs_under_faults(
    sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    me = sim.world.players[0]
    tokens = sim.issue_tokens(me.xuid)
    sim.set_faults(seed=1, **{"*": {"rate_500": 0.3, "rate_truncate": 0.2, "rate_401": 0.1}})
    async with make(sim, tokens, NoWait(), retry=RetryPolicy(attempts=10)) as c:
        await asyncio.gather(*(c.stats.match_count(me.xuid) for _ in range(10)))
        await c.gamecms.medal_metadata()
    sim.set_faults()
    assert tokens.spartan not in caplog.text
    assert tokens.clearance and tokens.clearance not in caplog.text


async def test_static_files_revalidate_with_etags(sim: Simulator, tmp_path: Any) -> None:
    me = sim.world.players[0]
    tokens = sim.issue_tokens(me.xuid)
    async with make(sim, tokens, cache=tmp_path) as c:
        first = await c.gamecms.medal_metadata()
        assert c.counters.not_modified == 0
    async with make(sim, tokens, cache=tmp_path) as c:  # a later run: same disk cache
        again = await c.gamecms.medal_metadata()
        calendar = await c.gamecms.season_calendar()
        assert c.counters.not_modified == 1
        assert c.counters.by_status == {304: 1, 200: 1}
    assert again.raw_bytes == first.raw_bytes
    assert calendar.seasons
