"""`watch add` with many XUIDs (issue 15: a community instance adds thousands at once):
XUIDs are resolved a profile batch at a time, gamertags one by one, and every player still
gets their own answer, in the order given."""

from __future__ import annotations

from pathlib import Path

from halotrack.simulator import start_simulator
from halotrack.store import open_store
from halotrack.usecases import add_players
from tests.integration.test_tracker_cycle import make_client

UNKNOWN = 2533274899999999  # in the XUID range, in no simulated world of this size


async def test_xuids_cost_one_request_per_hundred(tmp_path: Path) -> None:
    async with start_simulator(seed=5, players=120) as sim:
        people = sim.world.players
        asked = [str(p.xuid) for p in people[1:]]  # 119 XUIDs
        asked += [str(UNKNOWN), f"xuid({people[1].xuid})", people[0].gamertag, "xuid(abc)"]
        with open_store(f"sqlite:///{tmp_path / 'w.sqlite'}") as store:
            sim.reset_stats()
            async with make_client(sim, store) as client:
                added, failed = await add_players(client, store, asked, matches=True)
            calls = sim.stats()["by_endpoint"]
            watched = {e.xuid: e.gamertag for e in store.watch_list()}
    assert calls.get("profile.users") == 2  # 120 distinct XUIDs, batches of 100
    assert calls.get("profile.user.gt") == 1
    assert "profile.user.xuid" not in calls
    assert watched == {p.xuid: p.gamertag for p in people}
    assert [e.xuid for e in added] == [p.xuid for p in people[1:]] + [
        people[1].xuid,
        people[0].xuid,
    ]
    assert [(f.query, f.exit_code) for f in failed] == [(str(UNKNOWN), 6), ("xuid(abc)", 2)]
    assert "no player with this XUID" in (failed[0].error or "")


async def test_a_batch_of_only_unknown_xuids_says_so_for_each(tmp_path: Path) -> None:
    async with start_simulator(seed=5, players=3) as sim:
        with open_store(f"sqlite:///{tmp_path / 'w.sqlite'}") as store:
            async with make_client(sim, store) as client:
                added, failed = await add_players(
                    client, store, [str(UNKNOWN), str(UNKNOWN - 1)], matches=False
                )
            assert store.watch_list() == []
    assert added == []
    assert [f.query for f in failed] == [str(UNKNOWN), str(UNKNOWN - 1)]
    assert all(f.error and "no player with this XUID" in f.error for f in failed)
