"""`halotrack history/diff/export/db` on SQLite and PostgreSQL, from a store built out of the
real service record sample with numbers edited to a known change."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from halotrack.cli import main
from halotrack.store import Scope, Store, open_store
from halotrack.store.history import csr_short, parse_when

XUID = 2535445291321133
GT = "Sample Player"
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
T2 = T0 + timedelta(days=2)
PLAYLIST = "edfef3ac-9cbe-4fa2-b949-8f29deafd483"
REAL = Path(__file__).parents[1] / "data" / "real"
DOUBLE_KILL = 622331684
KILLED_PLAYER = 1024030246


def sample() -> dict[str, Any]:
    data = json.loads((REAL / "servicerecord" / "matchmade-lifetime.json").read_text())
    assert isinstance(data, dict)
    return data


def played(data: dict[str, Any], wins: int, losses: int, kills: int, deaths: int) -> dict:
    """The record after some matches: counts moved, accuracy nudged, medals earned."""
    out = copy.deepcopy(data)
    out["MatchesCompleted"] += wins + losses
    out["Wins"] += wins
    out["Losses"] += losses
    core = out["CoreStats"]
    core["Kills"] += kills
    core["Deaths"] += deaths
    core["Accuracy"] += 0.25
    for medal in core["Medals"]:
        if medal["NameId"] == DOUBLE_KILL:
            medal["Count"] += 3
    for score in core["PersonalScores"]:
        if score["NameId"] == KILLED_PLAYER:
            score["Count"] += kills
    return out


def csr(value: int, tier: str, sub: int) -> dict[str, Any]:
    result = json.loads((REAL / "csr" / "playlist-csrs-one-player.json").read_text())
    res = result["Value"][0]["Result"]
    res["Current"].update(Value=value, Tier=tier, SubTier=sub, MeasurementMatchesRemaining=0)
    assert isinstance(res, dict)
    return res


@pytest.fixture
def db(store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A store with three lifetime snapshots (T0, T1, T2) and CSR at T0 and T1; its URL."""
    monkeypatch.setenv("HALOTRACK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("HALOTRACK_DB", raising=False)
    first = sample()
    second = played(first, wins=5, losses=2, kills=61, deaths=40)
    third = played(second, wins=1, losses=0, kills=10, deaths=2)
    third["Subqueries"]["SeasonIds"].append("Seasons/Season99.json")
    with store.transaction() as tx:
        tx.upsert_player(XUID, GT, seen_at=T0)
        tx.save_service_record(XUID, "matchmade", Scope(), first, T0)
        tx.save_csr(XUID, PLAYLIST, "CsrSeason5-1", csr(1149, "Platinum", 5), T0)
    with store.transaction() as tx:
        tx.save_service_record(XUID, "matchmade", Scope(), second, T1)
        tx.save_csr(XUID, PLAYLIST, "CsrSeason5-1", csr(1203, "Diamond", 0), T1)
    store.save_service_record(XUID, "matchmade", Scope(), third, T2)
    store.save_service_record(
        XUID, "matchmade", Scope.season("Csr/Seasons/CsrSeason5-1.json"), first, T0
    )
    return store.engine.url.render_as_string(hide_password=False)


def run(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> tuple[int, str, str]:
    code = main(["--db", db, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_diff_words_for_a_known_change(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, db, "diff", GT, "--to", T1.isoformat())
    assert code == 0
    lines = [line.strip() for line in out.splitlines()[1:]]
    assert lines == [
        "matches +7 (5 W, 2 L)",
        "kills +61",
        "deaths +40",
        "K/D in these matches 1.52",
        "accuracy 47.15% to 47.40%",
        "medals: Medal 622331684 +3",
        "personal scores: Killed Player +61",
        f"CSR {PLAYLIST}: Platinum 6 to Diamond 1 (1149 to 1203, +54)",
    ]


def test_diff_json_numbers_and_named_medals(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store(db)
    body = (REAL / "gamecms" / "medals-metadata.json").read_bytes()
    store.put_metadata("gamecms", "hi/Waypoint/file/medals/metadata.json", body)
    store.close()
    code, out, _ = run(capsys, db, "diff", str(XUID), "--json")
    assert code == 0
    d = json.loads(out)
    assert (d["xuid"], d["gamertag"], d["scope"]) == (XUID, GT, "lifetime")
    assert d["numbers"]["matches_completed"] == {"before": 2664, "after": 2672, "delta": 8}
    assert d["numbers"]["wins"]["delta"] == 6
    assert d["numbers"]["kills"]["delta"] == 71
    assert d["numbers"]["kd"]["before"] == pytest.approx(42197 / 26566)
    assert d["numbers"]["kd"]["after"] == pytest.approx(42268 / 26608)
    assert d["medals"] == [
        {"name_id": DOUBLE_KILL, "name": "Double Kill", "count": 6, "points": None}
    ]
    assert d["personal_scores"] == [
        {"name_id": KILLED_PLAYER, "name": "Killed Player", "count": 71, "points": 100}
    ]
    assert d["new_seasons"] == ["Seasons/Season99.json"]
    assert "new season entered: Seasons/Season99.json" in d["lines"]
    assert d["csr"][0]["before"] == "Platinum 6" and d["csr"][0]["after"] == "Diamond 1"


def test_diff_window_between_later_snapshots(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, db, "diff", GT, "--from", T1.isoformat(), "--json")
    assert code == 0
    d = json.loads(out)
    assert d["numbers"]["matches_completed"]["delta"] == 1
    assert d["lines"][0] == "matches +1 (1 W, 0 L)"
    assert d["csr"] == []  # CSR did not move after T1


def test_diff_with_nothing_between(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    day = T0.date().isoformat()
    code, out, _ = run(capsys, db, "diff", GT, "--from", day, "--to", day, "--json")
    assert code == 0
    assert json.loads(out)["lines"] == ["no change"]


def test_diff_from_after_the_latest_snapshot_says_so(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    later = (T2 + timedelta(days=30)).date().isoformat()
    code, out, _ = run(capsys, db, "diff", GT, "--from", later, "--json")
    assert code == 0
    d = json.loads(out)
    assert d["to_at"] is None and d["numbers"] == {}
    assert d["lines"][0].startswith(f"no snapshot since {later} 00:00: the latest is from ")
    code, out, _ = run(capsys, db, "diff", GT, "--from", later)
    assert code == 0
    assert " to " not in out.splitlines()[0]  # no backwards "from to earlier" span


def test_history_json_has_deltas_and_csr(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, db, "history", GT.upper(), "--json")
    assert code == 0
    d = json.loads(out)
    rows = d["snapshots"]
    assert [r["matches"] for r in rows] == [2664, 2671, 2672]
    assert rows[0]["matches_delta"] is None
    assert [r["matches_delta"] for r in rows[1:]] == [7, 1]
    assert [r["wins_delta"] for r in rows[1:]] == [5, 1]
    assert rows[1]["kd_delta"] == pytest.approx(42258 / 26606 - 42197 / 26566)
    assert rows[0]["csr"] == {PLAYLIST: "Platinum 6 (1149)"}
    assert rows[1]["csr"] == {PLAYLIST: "Diamond 1 (1203)"}
    assert rows[2]["csr"] == {}


def test_history_since_and_table(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, db, "history", GT, "--since", T1.date().isoformat(), "--json")
    assert code == 0
    assert [r["matches"] for r in json.loads(out)["snapshots"]] == [2671, 2672]
    code, out, _ = run(capsys, db, "history", GT)
    assert code == 0
    assert "2026-01-06 12:00" in out and "+61" in out and "Diamond 1" in out


def test_history_season_scope_by_bare_id(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, db, "history", GT, "--scope", "season", "CsrSeason5-1", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["scope"] == "season=Csr/Seasons/CsrSeason5-1.json"
    assert [r["matches"] for r in d["snapshots"]] == [2664]


def test_export_json_and_csv(db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    code, out, _ = run(capsys, db, "export", GT, "--format", "json", "-o", str(target))
    assert code == 0 and "wrote" in out
    data = json.loads(target.read_text())
    assert data["player"]["gamertag"] == GT
    assert len(data["service_records"]) == 4
    assert len(data["csr"]) == 2
    assert data["service_records"][0]["raw"]["CoreStats"]["Kills"] == 42197
    code, out, _ = run(capsys, db, "export", str(XUID), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4
    assert {r["scope_key"] for r in rows} == {"lifetime", "season=Csr/Seasons/CsrSeason5-1.json"}
    assert rows[-1]["gamertag"] == GT
    code, out, _ = run(capsys, db, "export", GT, "--format", "csv", "--csr")
    assert [r["current_value"] for r in csv.DictReader(io.StringIO(out))] == ["1149", "1203"]


@pytest.mark.parametrize("command", ["history", "diff", "export"])
def test_unknown_player_is_one_line_and_nonzero(
    db: str, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, out, err = run(capsys, db, command, "Nobody Here")
    assert code == 6
    assert out == ""
    assert len(err.strip().splitlines()) <= 2  # one message, possibly wrapped by the console
    assert "unknown player 'Nobody Here'" in " ".join(err.split())


def test_bad_date_is_a_config_error(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, db, "diff", GT, "--from", "yesterday-ish")
    assert code == 2 and "not a date" in err


def test_db_upgrade_and_check(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, db, "db", "upgrade")
    assert code == 0 and "already at revision" in out
    code, out, _ = run(capsys, db, "db", "check", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["ok"] is True and report["problems"] == []
    assert report["revision"] == report["head"]


def test_db_check_reports_problems_with_nonzero_exit(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(db)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE csr_snapshots SET raw_json = '{\"x\": 1}'")
    store.close()
    code, out, err = run(capsys, db, "db", "check")
    assert code == 5
    assert "does not match its hash" in out
    assert "integrity problem" in err


def test_db_upgrade_creates_a_new_sqlite_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new" / "fresh.sqlite"
    code, out, _ = run(capsys, str(path), "db", "upgrade")
    assert code == 0 and "upgraded from empty" in out
    assert path.exists()


def test_parse_when_and_short_labels() -> None:
    assert parse_when("2026-01-05") == T0.replace(hour=0)
    end = parse_when("2026-01-05", end_of_day=True)
    assert end is not None and end.date() == T0.date() and end.hour == 23
    assert parse_when("2026-01-05T12:00Z") == T0
    assert csr_short(1549, "Onyx", 0) == "Onyx 1549"
    assert csr_short(1149, "Platinum", 5) == "Platinum 6"
    assert csr_short(-1, "", 0) == "Unranked"
