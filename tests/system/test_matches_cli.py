"""`matches`, `match`, `medals PLAYER` and `scores infer` over a store filled with the real
match samples (no HTTP), and `matches sync` in a subprocess killed with SIGKILL mid-way."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from halotrack.cli import common, main
from halotrack.models import MatchStats, decode
from halotrack.simulator import start_simulator
from halotrack.store import matches as sm
from halotrack.store import open_store
from halotrack.usecases.matches import sync_player_matches
from halotrack.usecases.metadata import MEDALS
from halotrack.waypoint import Limits, WaypointClient

REAL = Path(__file__).parents[1] / "data" / "real"
ME = 2535445291321133  # the samples' author
NOW = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HALOTRACK_CONFIG_DIR", str(tmp_path / "config"))
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    with open_store(url) as store:
        store.upsert_player(ME, "SampleAuthor")
        for path in sorted((REAL / "match-stats").glob("*.json")):
            stats: MatchStats = decode("match-stats", path.read_bytes())
            store.save_match(sm.match_rows(stats, None, fetched_at=NOW))
            ugc = stats.match_info.ugc_game_variant
            if ugc is not None:
                store.save_asset(
                    "mode",
                    ugc.asset_id,
                    ugc.version_id,
                    name=f"Mode {path.stem}",
                    raw="{}",
                    fetched_at=NOW,
                )
        medals = (REAL / "gamecms" / "medals-metadata.json").read_bytes()
        store.put_metadata(*MEDALS, medals, fetched_at=NOW)
    return url


def run(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> tuple[int, str]:
    code = main(["--db", db, *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return code, out


def test_matches_lists_newest_first(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, db, "matches", "SampleAuthor", "--json")
    rows = json.loads(out)
    assert len(rows) >= 5
    assert [r["start_time"] for r in rows] == sorted((r["start_time"] for r in rows), reverse=True)
    _, same = run(capsys, db, "matches", "list", str(ME), "--json")
    assert json.loads(same) == rows
    _, ctf = run(capsys, db, "matches", "SampleAuthor", "--mode", "ctf-2025", "--json")
    assert [r["mode"] for r in json.loads(ctf)] == ["Mode ctf-2025"]
    _, limited = run(capsys, db, "matches", "SampleAuthor", "--limit", "2")
    assert "SampleAuthor: 2 newest matches" in limited


@pytest.mark.parametrize("columns", [80, 160])
def test_matches_table_keeps_names_whole(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    monkeypatch.setattr(common.console, "_width", columns)  # COLUMNS is read once, at import
    _, out = run(capsys, db, "matches", "SampleAuthor")
    assert "…" not in out  # no "Soli…" / "Outc…" cells
    assert max(len(line) for line in out.splitlines()) <= columns
    _, data = run(capsys, db, "matches", "SampleAuthor", "--json")
    rows = json.loads(data)
    for row in rows:
        assert all(word in out for word in row["mode"].replace(":", " ").split())
        assert row["outcome"] in out
    newest = datetime.fromisoformat(rows[0]["start_time"])
    # a narrow terminal drops the year, as `watch list` does
    shown = newest.strftime("%m-%d %H:%M" if columns < 100 else "%Y-%m-%d %H:%M")
    assert shown in out


def test_match_scoreboard_names_medals(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    raw = json.loads((REAL / "match-stats" / "slayer-2025.json").read_text())
    _, out = run(capsys, db, "match", raw["MatchId"], "--json")
    doc = json.loads(out)
    assert len(doc["players"]) == len(raw["Players"])
    assert {t["team_id"] for t in doc["teams"]} == {0, 1}
    medals = {k for p in doc["players"] for k in p["medals"]}
    assert medals and not any(k.startswith("Medal ") for k in medals)  # all named
    _, table = run(capsys, db, "match", raw["MatchId"])
    assert "Team 0" in table and "SampleAuthor" in table


@pytest.mark.parametrize("columns", [80, 200])
def test_match_scoreboard_fits_and_keeps_every_medal(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    raw = json.loads((REAL / "match-stats" / "slayer-2025.json").read_text())
    _, out = run(capsys, db, "match", raw["MatchId"], "--json")
    doc = json.loads(out)
    monkeypatch.setattr(common.console, "_width", columns)
    _, table = run(capsys, db, "match", raw["MatchId"])
    assert "…" not in table
    assert max(len(line) for line in table.splitlines()) <= columns
    lines = table.splitlines()
    for p in doc["players"]:
        assert p["player"] in table
        for name in p["medals"]:  # on one line: never "Triple" at the end, "Kill" below
            assert any(name in line for line in lines), name
    assert ("Medals:" in table) is (columns < 120)  # below the table when narrow


def test_medals_of_a_player_with_rare_ones(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, db, "medals", "SampleAuthor", "--json")
    doc = json.loads(out)
    total = 0
    for path in (REAL / "match-stats").glob("*.json"):
        stats: MatchStats = decode("match-stats", path.read_bytes())
        player = stats.player(ME)
        if player is not None:
            total += sum(m.count for pts in player.player_team_stats for m in pts.stats.core.medals)
    assert sum(r["count"] for r in doc["medals"]) == total
    levels = Counter(r["difficulty"] for r in doc["medals"])
    # The metadata sample is older than some matches: a few medals are unknown to it.
    assert set(levels) <= {"normal", "heroic", "legendary", "mythic", "unknown"}
    assert levels["unknown"] < sum(levels.values()) / 2
    assert all(r["difficulty"] in ("legendary", "mythic") for r in doc["rare"])
    rare_kinds = {r["name_id"] for r in doc["medals"] if r["difficulty"] in ("legendary", "mythic")}
    assert {r["name_id"] for r in doc["rare"]} == rare_kinds


def test_scores_infer_and_save(db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, out = run(capsys, db, "scores", "infer", "--min-matches", "1", "--json")
    found = {i["name_id"]: i for i in json.loads(out)["inferences"]}
    assert found[1024030246]["proposed_name"] == "Killed Player"
    assert found[601966503]["proposed_name"] == "Flag Captured"
    assert found[638246808]["proposed_name"] == "Kill Assist"
    _, saved = run(capsys, db, "scores", "infer", "--min-matches", "1", "--save")
    assert "Saved to" in saved
    written = json.loads((tmp_path / "config" / "personal_scores.json").read_text())
    names = {r["name_id"]: r["name"] for r in written["scores"]}
    assert names[601966503] == "Flag Captured"


def test_scores_table_shows_whole_name_ids_at_80_columns(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data = run(capsys, db, "scores", "infer", "--min-matches", "1", "--json")
    ids = [i["name_id"] for i in json.loads(data)["inferences"]]
    monkeypatch.setattr(common.console, "_width", 80)
    _, out = run(capsys, db, "scores", "infer", "--min-matches", "1")
    assert ids and all(str(name_id) in out for name_id in ids)
    assert max(len(line) for line in out.splitlines()) <= 80


def test_match_id_is_checked_and_case_free(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--db", db, "match", "nope"])
    _, err = capsys.readouterr()
    assert code == 2 and "malformed match id 'nope'" in err and "not stored" not in err
    raw = json.loads((REAL / "match-stats" / "slayer-2025.json").read_text())
    _, out = run(capsys, db, "match", raw["MatchId"].upper(), "--json")
    assert json.loads(out)["match_id"] == raw["MatchId"].lower()


def test_unknown_player_says_what_to_do(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--db", db, "matches", "NobodyAtAll"])
    _, err = capsys.readouterr()
    assert code != 0 and "matches sync" in err


STATS_URL = re.compile(r"/hi/matches/([0-9a-f-]+)/stats$")


def _stored(url: str, xuid: int) -> int:
    try:
        with open_store(url, upgrade=False) as store:
            return len(store.player_match_ids(xuid))
    except Exception:  # not migrated yet by the subprocess
        return 0


@pytest.mark.slow
async def test_sigkill_mid_backfill_then_resume(tmp_path: Path) -> None:
    """A killed `halotrack matches sync` leaves whole matches only; the resumed sync fetches
    every remaining match once, and refetches at most the matches in flight at the kill."""
    url = f"sqlite:///{tmp_path / 'kill.sqlite'}"
    async with start_simulator(seed=11, players=40, history_scale=0.5) as sim:
        p = next(p for p in sim.world.players if 40 <= len(sim.world.slots(p)) <= 70)
        tokens = sim.issue_tokens(p.xuid)
        env = {
            **os.environ,
            "HALOTRACK_API": sim.base_url,
            "HALOTRACK_SPARTAN_TOKEN": tokens.spartan,
            "HALOTRACK_CLEARANCE": tokens.clearance or "",
            "HALOTRACK_RATE": "40",
            "HALOTRACK_CONCURRENCY": "2",
            "HALOTRACK_CONFIG_DIR": str(tmp_path / "config"),
            "HALOTRACK_CACHE_DIR": str(tmp_path / "cache"),
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "halotrack", "--db", url, "matches", "sync", str(p.xuid),
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(600):  # until some matches are committed (30 s at most)
            await asyncio.sleep(0.05)
            if (tmp_path / "kill.sqlite").exists() and _stored(url, p.xuid) >= 10:
                break
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        first = [m[1] for r in sim.requests(5000) if (m := STATS_URL.search(r["path"]))]
        with open_store(url) as store:
            stored = store.player_match_ids(p.xuid)
            assert 0 < len(stored) < len(sim.world.slots(p))
            # Whole matches only: every stored match has all its player rows.
            for mid in stored:
                got = store.get_match(mid)
                m = sim.world.find_match(mid)
                assert got is not None and m is not None
                assert len(got.players) == len(sim.world.roster(m))
            sim.reset_stats()
            async with WaypointClient(
                tokens=tokens, api_root=sim.base_url, limits=Limits.unlimited(4), cache=False
            ) as client:
                result = await sync_player_matches(client, store, p.xuid)
            assert result.complete
            assert store.player_match_ids(p.xuid) == {m.match_id for m in sim.world.matches_of(p)}
        second = [m[1] for r in sim.requests(5000) if (m := STATS_URL.search(r["path"]))]
        assert max(Counter(second).values()) == 1
        assert not set(second) & stored  # nothing stored is asked for again
        refetched = set(first) & set(second)
        assert len(refetched) <= 4  # only what was in flight (2 workers x 2) at the kill


def test_scores_infer_is_short_and_all_keeps_evidence_whole(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data = run(capsys, db, "scores", "infer", "--min-matches", "1", "--json")
    found = json.loads(data)["inferences"]
    monkeypatch.setattr(common.console, "_width", 80)
    _, short = run(capsys, db, "scores", "infer", "--min-matches", "1")
    # one line per NameId, give or take a wrapped name; the evidence is not in it
    assert len(short.splitlines()) <= 1.5 * len(found) + 8
    assert not any(i["evidence"][:20] in short for i in found)
    _, full = run(capsys, db, "scores", "infer", "--min-matches", "1", "--all")
    assert max(len(line) for line in full.splitlines()) <= 80
    flat = " ".join(full.split())
    for i in found:  # whole sentences, never a word cut in two
        assert f"{i['name_id']}: {i['evidence']}" in flat


@pytest.mark.parametrize("columns", [80, 160])
def test_matches_table_shows_short_ids(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    _, data = run(capsys, db, "matches", "SampleAuthor", "--json")
    rows = json.loads(data)
    monkeypatch.setattr(common.console, "_width", columns)
    _, out = run(capsys, db, "matches", "SampleAuthor")
    for row in rows:
        assert row["short_id"] == row["match_id"][:8]
        assert re.search(rf"\b{row['short_id']}\b", out), row["match_id"]


def _store_copy_with_id(url: str, sample: Path, match_id: str) -> None:
    raw = json.loads(sample.read_text())
    raw["MatchId"] = match_id
    stats: MatchStats = decode("match-stats", json.dumps(raw).encode())
    with open_store(url) as store:
        store.save_match(sm.match_rows(stats, None, fetched_at=NOW))


def test_match_takes_a_unique_prefix_and_lists_an_ambiguous_one(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = REAL / "match-stats" / "slayer-2025.json"
    real_id = json.loads(sample.read_text())["MatchId"].lower()
    # a second stored match whose id shares the first 19 characters
    twin = real_id[:19] + ("0000" if real_id[19:23] != "0000" else "1111") + real_id[23:]
    _store_copy_with_id(db, sample, twin)
    _, out = run(capsys, db, "match", real_id[:24].upper(), "--json")
    assert json.loads(out)["match_id"] == real_id
    _, out = run(capsys, db, "match", twin[:24], "--json")
    assert json.loads(out)["match_id"] == twin

    code = main(["--db", db, "match", real_id[:8]])
    _, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "ambiguous" in err and real_id[:20] in err and twin[:20] in err
    code = main(["--db", db, "match", "ffff0000"])
    _, err = capsys.readouterr()
    assert code == 6 and "no stored match id starts with 'ffff0000'" in err


def test_medals_of_a_player_short_by_default(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data = run(capsys, db, "medals", "SampleAuthor", "--all", "--json")
    rare = json.loads(data)["rare"]
    assert len(rare) > 10, "the samples hold more rare medals than the default shows"
    monkeypatch.setattr(common.console, "_width", 80)
    _, short = run(capsys, db, "medals", "SampleAuthor")
    _, full = run(capsys, db, "medals", "SampleAuthor", "--all")
    assert "--all" in short
    shown = {r["short_id"] for r in rare[:10]}
    assert all(sid in short for sid in shown)
    assert all(r["short_id"] == r["match_id"][:8] and r["short_id"] in full for r in rare)
    hidden = {r["short_id"] for r in rare[10:]} - shown
    assert hidden and not any(sid in short for sid in hidden)
