"""`halotrack decode`: every real sample through the CLI in-process, with spot checks read
from the raw JSON, and one clear error (no traceback) for bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from halotrack.cli import main

REAL = Path(__file__).parents[1] / "data" / "real"
METADATA = REAL / "gamecms" / "medals-metadata.json"


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cfg = tmp_path / "config"
    cfg.mkdir()
    monkeypatch.setenv("HALOTRACK_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("HALOTRACK_CONFIG", str(cfg / "config.toml"))
    return cfg


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(["decode", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else out), err


def raw(rel: str) -> Any:
    return json.loads((REAL / rel).read_bytes())


def _first_player_kills(rel: str) -> Callable[[Any], None]:
    def check(data: Any) -> None:
        rp = raw(rel)["Players"][0]
        got = data["players"][0]
        assert got["player_id"] == rp["PlayerId"]
        core = got["player_team_stats"][0]["stats"]["core_stats"]
        assert core["kills"] == rp["PlayerTeamStats"][0]["Stats"]["CoreStats"]["Kills"]
        assert got["outcome"] == rp["Outcome"]
        assert got["outcome_name"] in {"Win", "Loss", "Tie", "Did not finish", "Did not start"}

    return check


def _check_service_record(data: Any) -> None:
    r = raw("servicerecord/matchmade-lifetime.json")
    assert data["core_stats"]["kills"] == r["CoreStats"]["Kills"]
    assert data["matches_completed"] == r["MatchesCompleted"]
    assert data["time_played"] == "P17DT10H55M53.768551S"
    assert data["zones_stats"]["zone_captures"] == r["ZonesStats"]["ZoneCaptures"]
    assert data["kd_ratio"] == pytest.approx(r["CoreStats"]["Kills"] / r["CoreStats"]["Deaths"])
    killed = next(p for p in data["core_stats"]["personal_scores"] if p["name_id"] == 1024030246)
    assert killed["name"] == "Killed Player" and killed["points"] == 100


def _check_csr(data: Any) -> None:
    result = data["value"][0]["result"]
    assert result["all_time_max"]["label"] == "Onyx 1549"
    assert result["current"]["label"] == "Unranked, 4 placement matches left"
    assert data["value"][0]["result_code_name"] == "Success"


def _check_history(data: Any) -> None:
    r = raw("match-history/matches-page.json")
    assert [x["match_id"] for x in data["results"]] == [x["MatchId"] for x in r["Results"]]
    info = data["results"][0]["match_info"]
    assert info["start_time"] == r["Results"][0]["MatchInfo"]["StartTime"]
    assert info["game_variant_category_name"] == "Oddball"


def _check_skill(data: Any) -> None:
    r = raw("match-skill/match-skill-one-player.json")["Value"][0]["Result"]
    res = data["value"][0]["result"]
    assert res["stat_performances"]["kills"]["count"] == r["StatPerformances"]["Kills"]["Count"]
    assert res["rank_recap"]["post_match_csr"]["label"] == (
        f"Onyx {r['RankRecap']['PostMatchCsr']['Value']}"
    )


def _check_calendar(data: Any) -> None:
    r = raw("gamecms/seasoncalendar.json")["Seasons"][0]
    s = data["seasons"][0]
    assert s["csr_season_file_path"] == r["CsrSeasonFilePath"]
    assert s["start_date"]["iso8601_date"] == "2021-06-20T17:00:00Z"


def _check_medals(data: Any) -> None:
    r = raw("gamecms/medals-metadata.json")["medals"][0]
    m = data["medals"][0]
    assert (m["name_id"], m["name"]["value"]) == (r["nameId"], r["name"]["value"])
    assert m["difficulty_index_name"] == "heroic"


def expect(path: tuple[str | int, ...], want: Any) -> Callable[[Any], None]:
    """A check that the decoded output holds `want` at `path`."""

    def check(data: Any) -> None:
        for step in path:
            data = data[step]
        assert data == want, (path, data, want)

    return check


CHECKS: dict[str, tuple[str, Callable[[Any], None] | None]] = {
    "csr/playlist-csrs-one-player.json": ("playlist-csr", _check_csr),
    "discovery/map-mode-pair-version.json": (
        "map-mode-pair",
        expect(
            ("map_link", "public_name"),
            raw("discovery/map-mode-pair-version.json")["MapLink"]["PublicName"],
        ),
    ),
    "discovery/map-version.json": (
        "map",
        expect(("public_name",), raw("discovery/map-version.json")["PublicName"]),
    ),
    "discovery/playlist-version.json": (
        "playlist",
        expect(("public_name",), raw("discovery/playlist-version.json")["PublicName"]),
    ),
    "discovery/ugc-game-variant-version.json": (
        "game-variant",
        expect(("public_name",), raw("discovery/ugc-game-variant-version.json")["PublicName"]),
    ),
    "gamecms/careerrank1.json": (
        "career-rank-track",
        expect(("ranks", 271, "rank"), raw("gamecms/careerrank1.json")["Ranks"][271]["Rank"]),
    ),
    "gamecms/csr-season-calendar.json": (
        "csr-season-calendar",
        expect(
            ("seasons", 0, "csr_season_file_path"),
            raw("gamecms/csr-season-calendar.json")["Seasons"][0]["CsrSeasonFilePath"],
        ),
    ),
    "gamecms/medals-metadata.json": ("medal-metadata", _check_medals),
    "gamecms/playlist-asset-ranked-arena.json": (
        "playlist-asset",
        expect(("playlist_experience",), "Arena"),
    ),
    "gamecms/seasoncalendar.json": ("season-calendar", _check_calendar),
    "match-history/matches-page.json": ("match-history", _check_history),
    "match-skill/match-skill-one-player.json": ("match-skill", _check_skill),
    "profile/user.json": ("user", expect(("gamertag",), raw("profile/user.json")["gamertag"])),
    "profile/users.json": (
        "users",
        expect(("users", 0, "xuid"), raw("profile/users.json")[0]["xuid"]),
    ),
    "servicerecord/matchmade-empty.json": ("service-record", expect(("matches_completed",), 0)),
    "servicerecord/matchmade-lifetime.json": ("service-record", _check_service_record),
    "stats-other/match-count.json": (
        "match-count",
        expect(
            ("matches_played_count",),
            raw("stats-other/match-count.json")["MatchesPlayedCount"],
        ),
    ),
}
for _name in (
    "ctf-2025",
    "elimination-2024",
    "extraction-2024",
    "infection-2025",
    "oddball-2025",
    "pve-2024",
    "slayer-2025",
    "stockpile-2024",
    "vip-2025",
    "zones-2025",
):
    _rel = f"match-stats/{_name}.json"
    CHECKS[_rel] = ("match-stats", _first_player_kills(_rel))


def test_every_sample_is_covered() -> None:
    found = {
        str(p.relative_to(REAL))
        for p in REAL.rglob("*.json")
        if p.parts[-2] != "auth" and p.name != "settings-endpoints.json"
    }
    assert found == set(CHECKS)


@pytest.mark.parametrize("rel", sorted(CHECKS))
def test_sample_decodes_with_guessed_kind(rel: str, capsys: pytest.CaptureFixture[str]) -> None:
    kind, check = CHECKS[rel]
    code, out, err = run(capsys, str(REAL / rel))
    assert code == 0, err
    assert out["kind"] == kind
    if check is not None:
        check(out["data"])


@pytest.mark.parametrize("rel", sorted(CHECKS))
def test_sample_decodes_with_explicit_kind(rel: str, capsys: pytest.CaptureFixture[str]) -> None:
    kind, _ = CHECKS[rel]
    code, out, err = run(capsys, "--kind", kind, str(REAL / rel))
    assert code == 0, err
    assert out["kind"] == kind


def test_metadata_names_medals(capsys: pytest.CaptureFixture[str]) -> None:
    meta = {m["nameId"]: m for m in raw("gamecms/medals-metadata.json")["medals"]}
    difficulties = raw("gamecms/medals-metadata.json")["difficulties"]
    code, out, _ = run(
        capsys, str(REAL / "servicerecord/matchmade-lifetime.json"), "--metadata", str(METADATA)
    )
    assert code == 0
    medals = out["data"]["core_stats"]["medals"]
    assert medals[0]["name"] == "Double Kill"
    for m in medals:
        known = meta.get(m["name_id"])
        if known:
            assert m["name"] == known["name"]["value"]
            assert m["difficulty"] == difficulties[known["difficultyIndex"]]
        else:
            assert m["name"] == f"Medal {m['name_id']}"
    code, out, _ = run(
        capsys, str(REAL / "match-stats/slayer-2025.json"), "--metadata", str(METADATA)
    )
    team_medals = out["data"]["teams"][0]["stats"]["core_stats"]["medals"]
    assert all("name" in m and "type" in m for m in team_medals)


def test_without_metadata_medals_stay_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(REAL / "servicerecord/matchmade-lifetime.json"))
    assert code == 0 and "name" not in out["data"]["core_stats"]["medals"][0]


def test_user_personal_scores_file_is_used(
    capsys: pytest.CaptureFixture[str], _isolated_config: Path
) -> None:
    (_isolated_config / "personal_scores.json").write_text(
        json.dumps({"scores": [{"name_id": 1024030246, "name": "Kill", "points": 100}]})
    )
    code, out, _ = run(capsys, str(REAL / "servicerecord/matchmade-lifetime.json"))
    assert code == 0
    scores = out["data"]["core_stats"]["personal_scores"]
    assert next(p for p in scores if p["name_id"] == 1024030246)["name"] == "Kill"
    assert next(p for p in scores if p["name_id"] == 638246808)["name"] == "Kill Assist"


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    data = (REAL / "stats-other/match-count.json").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = run(capsys, "-")
    assert code == 0 and out["kind"] == "match-count"


def _one_clear_error(err: str, *needles: str) -> None:
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    flat = err.strip()
    assert flat.startswith("error:")
    for n in needles:
        assert n in flat, flat


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, str(tmp_path / "nope.json"))
    assert code == 2
    _one_clear_error(err, "no such file")


def test_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, str(tmp_path))
    assert code == 2
    _one_clear_error(err, "directory")


def test_wrong_kind(capsys: pytest.CaptureFixture[str]) -> None:
    rel = str(REAL / "servicerecord/matchmade-lifetime.json")
    code, _, err = run(capsys, "--kind", "match-stats", rel)
    assert code == 4
    _one_clear_error(err, "cannot decode match-stats", "MatchId")


def test_unknown_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--kind", "nope", str(REAL / "profile/user.json"))
    assert code == 2
    _one_clear_error(err, "unknown kind", "service-record")


def test_unguessable_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(REAL / "auth/spartan.json"))
    assert code == 2
    _one_clear_error(err, "cannot tell", "--kind")


def test_truncated_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cut = tmp_path / "cut.json"
    cut.write_bytes((REAL / "match-stats/ctf-2025.json").read_bytes()[:5000])
    code, _, err = run(capsys, "--kind", "match-stats", str(cut))
    assert code == 4
    _one_clear_error(err, "cannot decode match-stats", "cut.json")
    code, _, err = run(capsys, str(cut))
    assert code == 2
    _one_clear_error(err, "cut.json is not JSON")
    assert "cannot tell" not in err  # its kind is not the problem


def test_broken_metadata_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "metadata.json"
    bad.write_text('{"medals": [{"nameId": "x"}]}')
    code, _, err = run(capsys, str(REAL / "profile/user.json"), "--metadata", str(bad))
    assert code == 4
    _one_clear_error(err, "cannot decode medal-metadata", "metadata.json")
