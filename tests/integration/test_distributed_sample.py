"""The sampled comparison bench/scale.py uses at 20,000 players (tests/support/distributed.py
`Sample`): a reference that tracked a few of the world's players equals the whole world's
database on what concerns them, and any change to a sampled player's rows or to a match the
reference stored shows, while the other players' rows are not compared."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from halotrack.simulator import start_simulator
from halotrack.store import open_store
from halotrack.usecases import Tracker
from tests.integration.test_tracker_cycle import make_client
from tests.support import distributed as dist

WORLD = {"seasons": 4, "ranked_playlists": 2, "history_scale": 0.02}
pytestmark = pytest.mark.slow  # two tracking cycles: about 3 s


async def test_a_sampled_reference_compares_only_its_players_and_matches(
    tmp_path: Path,
) -> None:
    async with start_simulator(seed=31, players=8, **WORLD) as sim:
        urls = {n: f"sqlite:///{tmp_path / n}.sqlite" for n in ("all", "ref")}
        players = sim.world.players
        sampled = players[:3]
        start = sim.clock.now()
        for name, watched in (("all", players), ("ref", sampled)):
            with open_store(urls[name]) as store:
                for p in watched:
                    store.watch_add(p.xuid, gamertag=p.gamertag, matches=True, now=start)
                async with make_client(sim, store) as client:
                    report = await Tracker(client, store, clock=sim.clock.now).run_cycle()
                assert report.failures == []

    def sample() -> dist.Sample:
        return dist.Sample({p.xuid for p in sampled})

    assert dist.differences(urls["all"], urls["ref"], start) != []  # 8 players vs 3
    assert dist.differences(urls["all"], urls["ref"], start, sample=sample()) == []

    engine = sa.create_engine(urls["all"])
    with engine.begin() as conn:
        ref_matches = dist.rows(urls["ref"], start)["matches"]
        assert ref_matches, "the sample stored no match: the match filter goes unproven"
        outsider = players[-1].xuid
        conn.execute(
            sa.text("UPDATE watch_list SET failure_count = 7 WHERE xuid = :x"), {"x": outsider}
        )
    assert dist.differences(urls["all"], urls["ref"], start, sample=sample()) == []

    with engine.begin() as conn:
        match_id = conn.execute(
            sa.text("SELECT match_id FROM match_players WHERE xuid = :x ORDER BY match_id LIMIT 1"),
            {"x": sampled[0].xuid},
        ).scalar_one()
        conn.execute(
            sa.text("UPDATE match_players SET kills = kills + 1 WHERE match_id = :m"),
            {"m": match_id},
        )
    found = dist.differences(urls["all"], urls["ref"], start, sample=sample())
    assert [d.split(":")[0] for d in found] == ["match_players"]

    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE match_players SET kills = kills - 1 WHERE match_id = :m"),
            {"m": match_id},
        )
        conn.execute(
            sa.text("UPDATE watch_list SET failure_count = 7 WHERE xuid = :x"),
            {"x": sampled[1].xuid},
        )
    found = dist.differences(urls["all"], urls["ref"], start, sample=sample())
    assert [d.split(":")[0] for d in found] == ["watch_list"]
    engine.dispose()
