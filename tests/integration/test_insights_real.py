"""The performance index on a real skill answer (acurtis166/SPNKr's recorded response):
its StatPerformances read by hand here, then through the store and `matches`/`match`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from halotrack.cli import main
from halotrack.models import MatchSkill, MatchStats, decode_as
from halotrack.store import matches as sm
from halotrack.store import open_store
from halotrack.usecases import insights as ins

REAL = Path(__file__).parent.parent / "data" / "real"
SKILL = REAL / "match-skill" / "match-skill-one-player.json"
STATS = REAL / "match-stats" / "slayer-2025.json"


def test_a_real_skill_answer_gives_its_own_expectations_and_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = json.loads(SKILL.read_text("utf-8"))
    [entry] = raw["Value"]
    xuid = int(entry["Id"][5:-1])
    k = entry["Result"]["StatPerformances"]["Kills"]
    d = entry["Result"]["StatPerformances"]["Deaths"]
    want = (k["Count"] - k["Expected"]) / k["StdDev"] - (d["Count"] - d["Expected"]) / d["StdDev"]

    perf = ins.performance_from_skill(SKILL.read_text("utf-8"), xuid)
    assert perf is not None
    assert (perf.kills, perf.expected_kills, perf.kills_spread) == (
        k["Count"],
        k["Expected"],
        k["StdDev"],
    )
    assert (perf.deaths, perf.expected_deaths, perf.deaths_spread) == (
        d["Count"],
        d["Expected"],
        d["StdDev"],
    )
    assert perf.index == pytest.approx(want)
    assert ins.performance_from_skill(SKILL.read_text("utf-8"), xuid + 1) is None

    db = f"sqlite:///{tmp_path / 'real.sqlite'}"
    now = datetime(2026, 11, 29, tzinfo=UTC)
    with open_store(db) as store:
        rows = sm.match_rows(
            decode_as(MatchStats, STATS.read_bytes()),
            decode_as(MatchSkill, SKILL.read_bytes()),
            fetched_at=now,
        )
        store.save_match(rows)
        store.upsert_player(xuid, "SampleAuthor", seen_at=now)
    assert main(["--db", db, "matches", "SampleAuthor", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["expected_kills"] == k["Expected"] and row["expected_deaths"] == d["Expected"]
    assert row["performance"]["index"] == pytest.approx(want, abs=1e-3)
    assert main(["--db", db, "match", row["match_id"], "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    mine = next(p for p in doc["players"] if p["player_id"] == entry["Id"])
    others = [p["performance"] for p in doc["players"] if p["player_id"] != entry["Id"]]
    assert mine["performance"] == row["performance"] and not any(others)


def test_a_real_firefight_match_stays_out_of_the_headline(tmp_path: Path) -> None:
    """pve-2024: a matchmade Firefight match of 69 kills and 2 deaths."""
    raw = json.loads((REAL / "match-stats" / "pve-2024.json").read_text("utf-8"))
    me = next(p for p in raw["Players"] if p["PlayerId"].startswith("xuid("))
    core = me["PlayerTeamStats"][0]["Stats"]["CoreStats"]
    now = datetime(2026, 11, 29, tzinfo=UTC)
    with open_store(f"sqlite:///{tmp_path / 'pve.sqlite'}") as store:
        for path in (REAL / "match-stats" / "pve-2024.json", STATS):
            stats = decode_as(MatchStats, path.read_bytes())
            store.save_match(sm.match_rows(stats, fetched_at=now))
        got = ins.pvp_and_pve(store, me["PlayerId"][5:-1])
    assert (got["pve"].matches, got["pve"].kills, got["pve"].deaths) == (
        1,
        core["Kills"],
        core["Deaths"],
    )
    assert got["pvp"].matches == 0 and got["custom"].matches == 0
