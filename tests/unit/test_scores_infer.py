"""Personal-score inference: the simulator's truth, the real samples, saving the names file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from halotrack.models.names import load_personal_scores
from halotrack.simulator.catalog import MODES, PS_POINTS
from halotrack.simulator.gen import _PS_FROM
from halotrack.simulator.views import match_stats
from halotrack.simulator.world import World
from halotrack.usecases import scores

REAL = Path(__file__).parents[1] / "data" / "real" / "match-stats"
KILLED, ASSIST, FLAG = 1024030246, 638246808, 601966503


def _real() -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(REAL.glob("*.json"))]


def _by_id(found: list[scores.Inference]) -> dict[int, scores.Inference]:
    return {i.name_id: i for i in found}


def test_the_real_samples_say_what_the_expected_stats_count() -> None:
    """By hand first: in the samples, each human's award count equals the stat the test
    below expects the inference to find (bots have no personal scores at all)."""
    kills = assists = flags = 0
    for raw in _real():
        for p in raw["Players"]:
            for t in p["PlayerTeamStats"]:
                stats = t["Stats"]
                core = stats["CoreStats"]
                counts = {a["NameId"]: a["Count"] for a in core["PersonalScores"]}
                if not counts:
                    continue
                assert counts.get(KILLED, 0) == core["Kills"] or raw["MatchInfo"][
                    "GameVariantCategory"
                ] in (8, 42)  # elimination awards "Eliminated Player"; PvE kills none
                if "CaptureTheFlagStats" in stats:
                    ctf = stats["CaptureTheFlagStats"]
                    assert counts.get(FLAG, 0) == ctf["FlagCaptures"]
                    flags += ctf["FlagCaptures"]
                kills += counts.get(KILLED, 0)
                assists += counts.get(ASSIST, 0)
    assert kills > 300 and assists > 150 and flags >= 1


def test_finds_killed_player_kill_assist_and_flag_captured_in_the_real_samples() -> None:
    found = _by_id(
        scores.infer(scores.observations_from_matches(_real()), known=load_personal_scores())
    )
    killed, assist, flag = found[KILLED], found[ASSIST], found[FLAG]
    assert killed.proposed_name == "Killed Player" and killed.points == 100
    assert killed.stat == "CoreStats.Kills" and killed.status == "confident" and killed.agrees
    assert killed.best is not None and killed.best.matched == killed.best.observed
    # One Infection player got 2 assist awards for 3 assists: "likely", with the evidence.
    assert assist.proposed_name == "Kill Assist" and assist.points == 50 and assist.agrees
    assert assist.stat == "CoreStats.Assists" and assist.status in ("confident", "likely")
    assert "44 of 45" in assist.evidence
    assert flag.proposed_name == "Flag Captured" and flag.points == 300 and flag.agrees
    assert flag.stat == "CaptureTheFlagStats.FlagCaptures" and flag.status == "confident"
    assert "Capture the Flag" in flag.evidence
    # The scripted award is never named; a single observation with many fits is ambiguous.
    assert found[4294967295].proposed_name is None
    assert found[2408971842].status == "ambiguous"


def _sim_path(src: str) -> list[str]:
    """The JSON paths the simulator's column `src` appears under in match stats."""
    block, _, name = src.partition(".")
    if block == "core":
        out = [f"CoreStats.{name}"]
        if name in ("Kills", "Deaths", "Assists"):
            out += [f"PvpStats.{name}", f"PveStats.{name}"]
        return out
    mode = MODES[block]
    for rec, mname, _ in mode.fields:
        if rec == name:
            return [f"{mode.match_key}.{mname}"]
    raise AssertionError(src)


@pytest.mark.slow
def test_the_simulator_truth_is_recovered() -> None:
    world = World(seed=3, players=40, history_scale=0.6)
    raws: list[dict[str, Any]] = []
    seen: set[str] = set()
    for p in world.players[:8]:  # about 400 matches
        for m in world.matches_of(p):
            if m.match_id not in seen:
                seen.add(m.match_id)
                raws.append(match_stats(world, m))
    found = _by_id(scores.infer(scores.observations_from_matches(raws), min_matches=3))
    checked = 0
    for nid, src in _PS_FROM:
        inf = found.get(nid)
        if inf is None or inf.awards < 5:
            continue  # too rare in this world to say anything (betrayals, vehicles)
        assert inf.stat in _sim_path(src), (nid, src, inf.evidence, inf.alternatives)
        assert inf.status == "confident", (nid, inf.status, inf.evidence)
        assert inf.points == PS_POINTS[nid]
        checked += 1
    assert checked >= 20
    assert found[KILLED].proposed_name == "Killed Player"
    assert found[FLAG].proposed_name == "Flag Captured"


def test_save_merges_into_the_user_names_file(tmp_path: Path) -> None:
    path = tmp_path / "config" / "personal_scores.json"
    path.parent.mkdir()
    path.write_text(
        json.dumps(
            {
                "scores": [
                    {"name_id": 7, "name": "Mine", "points": 5},
                    {"name_id": FLAG, "name": "x"},
                ]
            }
        )
    )
    found = scores.infer(scores.observations_from_matches(_real()))
    report = scores.save_inferences(path, found)
    assert FLAG in report.updated and KILLED in report.added
    assert ASSIST not in report.added  # only "likely": not saved
    book = load_personal_scores(path, bundled=False)
    assert book.name(7) == "Mine"
    assert book.name(FLAG) == "Flag Captured" and book.points(FLAG) == 300
    assert book.name(KILLED) == "Killed Player"
    again = scores.save_inferences(path, found)
    assert again.added == [] and again.updated == []
