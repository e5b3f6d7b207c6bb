"""`halotrack record` with its career rank and the summary of stored matches, against the
simulator's truth: the world's own career answer and rank track, and the matches it played
(stored through the store's own `match_rows`, as `matches sync` stores them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from halotrack.cli import main
from halotrack.models import MatchSkill, MatchStats, decode_as
from halotrack.simulator import Simulator
from halotrack.simulator.catalog import COL
from halotrack.simulator.views import career_progress, data_json, match_stats, skill_result
from halotrack.simulator.world import SimPlayer, Slot, World
from halotrack.store import matches as sm
from halotrack.store import open_store
from halotrack.waypoint import Tokens
from tests.integration.test_cli_read import env  # noqa: F401  (the CLI aimed at `sim`)
from tests.integration.test_insights import NOW, is_pve, pvp, truth_totals
from tests.support.sim import SimThread


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with SimThread(seed=11, players=12, history_scale=0.3) as s:
        yield s


def player_with_pvp_and_pve(world: World) -> SimPlayer:
    for p in world.players:
        slots = world.slots(p)
        if any(is_pve(s.match) for s in slots) and any(pvp(s.match) for s in slots):
            return p
    raise AssertionError("no player in the world played both PvP and Firefight")


@pytest.fixture
def db(sim: Simulator, env: Tokens, tmp_path: Path) -> str:  # noqa: F811
    """The CLI pointed at the simulator (`env`); a SQLite store holding one player's
    matches. Its URL."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    world = sim.world
    p = player_with_pvp_and_pve(world)
    store = open_store(url)
    try:
        with store.transaction() as tx:
            for s in world.slots(p):
                humans = [h for h in world.roster(s.match) if not h.bot]
                skill = {"Value": [skill_result(world, h) for h in humans]}
                tx.save_match(
                    sm.match_rows(
                        decode_as(MatchStats, json.dumps(match_stats(world, s.match)).encode()),
                        decode_as(MatchSkill, json.dumps(skill).encode()),
                        fetched_at=NOW,
                    )
                )
        store.upsert_player(p.xuid, p.gamertag, seen_at=NOW)
    finally:
        store.close()
    return url


def record_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert isinstance(doc, dict)
    return doc


def index(world: World, s: Slot) -> float:
    perf = skill_result(world, s)["Result"]["StatPerformances"]
    k, d = perf["Kills"], perf["Deaths"]
    return float(
        (k["Count"] - k["Expected"]) / k["StdDev"] - (d["Count"] - d["Expected"]) / d["StdDev"]
    )


@pytest.fixture
def doc(sim: Simulator, db: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """`record --json` of the player whose matches are stored."""
    p = player_with_pvp_and_pve(sim.world)
    return record_json(capsys, "--db", db, "record", p.gamertag, "--json")


def test_record_summarises_stored_matches_pvp_apart(sim: Simulator, doc: dict[str, Any]) -> None:
    world = sim.world
    p = player_with_pvp_and_pve(world)
    got = doc["stored_matches"]
    slots = world.slots(p)
    mine = [s for s in slots if pvp(s.match)]
    pve = [s for s in slots if is_pve(s.match) and s.match.lifecycle == 3]
    for name, want in (("pvp", mine), ("pve", pve)):
        truth = truth_totals(world, want)
        assert {k: got[name][k] for k in truth} == truth, name
    perf = got["performance"]
    assert perf["matches"] == len(mine)
    assert perf["mean_index"] == pytest.approx(
        sum(index(world, s) for s in mine) / len(mine), abs=1e-3
    )
    expected = sum(
        skill_result(world, s)["Result"]["StatPerformances"]["Kills"]["Expected"] for s in mine
    )
    kills = truth_totals(world, mine)["kills"]
    assert perf["kills_vs_expected"] == pytest.approx(kills - expected, abs=1e-3)


def test_record_shows_the_career_rank_of_the_world(sim: Simulator, doc: dict[str, Any]) -> None:
    world = sim.world
    p = player_with_pvp_and_pve(world)
    got = doc["career_rank"]
    answer = career_progress(world, p)["CurrentProgress"]
    ranks = {r["Rank"]: r for r in data_json("careerrank1.json")["Ranks"]}

    def title(n: int) -> str:
        r = ranks[n]
        words = (r[k]["value"] for k in ("RankTitle", "RankSubTitle", "RankTier"))
        return " ".join(w for w in words if w)

    rank = answer["Rank"]
    assert (got["rank"], got["title"], got["xp"]) == (rank, title(rank), answer["PartialProgress"])
    assert got["next_title"] == title(rank + 1)
    assert got["xp_needed"] == ranks[rank]["XpRequiredForRank"]
    # The world's career XP: a quarter of the personal score of every match played.
    total = sum(world.slot_vector(s)[COL["core.PersonalScore"]] for s in world.slots(p)) // 4
    assert got["total_xp"] == total
    matchmade = sum(1 for s in world.slots(p) if s.match.lifecycle == 3)
    assert got["xp_per_match"] == pytest.approx(total / matchmade, abs=0.05)


def test_record_table_fits_80_columns_and_says_how_to_sync(
    sim: Simulator, db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    world = sim.world
    p = player_with_pvp_and_pve(world)
    assert main(["--db", db, "record", p.gamertag]) == 0
    out, _ = capsys.readouterr()
    wide = [line for line in out.splitlines() if len(line) > 80]
    assert "Career rank:" in out and "PvP" in out and "PvE" in out
    assert "Performance index" in out
    other = next(q for q in world.players if q.xuid != p.xuid)
    assert main(["--db", db, "record", other.gamertag]) == 0
    out, _ = capsys.readouterr()
    assert "matches sync" in out
    wide += [line for line in out.splitlines() if len(line) > 80]
    assert wide == []
