"""`halotrack record/csr/seasons/medals/playlists` against a simulator, tables and --json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from halotrack.cli import common, main
from halotrack.simulator import Simulator
from halotrack.waypoint import Tokens
from tests.support.sim import SimThread

UNKNOWN_XUID = 2533274899999999


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with SimThread(seed=7, players=30) as s:
        yield s


@pytest.fixture
def env(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tokens:
    """Environment pointing the CLI at the simulator with a pasted token; own dirs."""
    tokens = sim.issue_tokens(sim.world.players[0].xuid)
    for var in ("CONFIG_DIR", "DATA_DIR", "CACHE_DIR"):
        monkeypatch.setenv(f"HALOTRACK_{var}", str(tmp_path / var.lower()))
    monkeypatch.setenv("HALOTRACK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("HALOTRACK_API", sim.base_url)
    monkeypatch.setenv("HALOTRACK_SPARTAN_TOKEN", tokens.spartan)
    monkeypatch.setenv("HALOTRACK_CLEARANCE", tokens.clearance or "")
    monkeypatch.setenv("HALOTRACK_RATE", "0")
    monkeypatch.setenv("COLUMNS", "200")
    return tokens


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_record_table(sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str]) -> None:
    me = sim.world.players[0]
    code, out, err = cli(capsys, "record", me.gamertag)
    assert code == 0, err
    assert me.gamertag in out and "all seasons" in out
    for words in ("Matches", "Win rate", "K/D", "Medals (", "Personal scores", "Killed Player"):
        assert words in out
    assert env.spartan not in out + err


def test_record_json_names_medals_and_scores(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    me = sim.world.players[0]
    code, out, err = cli(capsys, "record", str(me.xuid), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["player"] == f"xuid({me.xuid})"
    assert doc["kind"] == "matchmade" and doc["season_id"] is None
    record = doc["record"]
    assert record["matches_completed"] > 0
    medals = record["core_stats"]["medals"]
    assert medals and all(not m["name"].startswith("Medal ") for m in medals)
    scores = record["core_stats"]["personal_scores"]
    assert any(s["name"] == "Killed Player" for s in scores)


def test_record_current_season_and_kinds(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    me = sim.world.players[0]
    code, out, err = cli(capsys, "record", me.gamertag, "--season", "current", "--json")
    assert code == 0, err
    current = json.loads(out)["season_id"]
    assert current and current.startswith("Csr/Seasons/CsrSeason")
    code, out, err = cli(capsys, "record", me.gamertag, "--season", "CsrSeason5-1", "--json")
    assert code == 0, err
    assert json.loads(out)["season_id"] == "Csr/Seasons/CsrSeason5-1.json"
    code, out, err = cli(capsys, "record", me.gamertag, "--kind", "custom", "--json")
    assert code == 0, err
    assert json.loads(out)["kind"] == "custom"


def test_csr_labels_and_json(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = sim.world.players[0], sim.world.players[1]
    code, out, err = cli(capsys, "csr", a.gamertag, str(b.xuid), "--all-ranked", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert {r["xuid"] for r in rows} == {a.xuid, b.xuid}
    playlists = {r["playlist_id"] for r in rows}
    assert len(playlists) >= 1
    for row in rows:
        assert row["result_code"] == 0
        assert row["current"].startswith(
            ("Unranked", "Bronze", "Silver", "Gold", "Platinum", "Diamond", "Onyx")
        )
    one = sorted(playlists)[0]
    code, out, err = cli(capsys, "csr", a.gamertag, "--playlist", one, "--season", "CsrSeason11-1")
    assert code == 0, err
    assert a.gamertag in out and "CsrSeason11-1" in out
    named = next(s for s in sim.world.seasons if s.csr_path.endswith("/CsrSeason11-1.json"))
    assert f"{named.name} (CsrSeason11-1)" in out  # the season's name, as `seasons` gives it


def test_csr_table_fits_80_columns_with_short_placement_labels(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    players = [str(p.xuid) for p in sim.world.players[:4]]
    code, out, err = cli(capsys, "csr", *players, "--json")
    assert code == 0, err
    rows = json.loads(out)
    placing = [r for r in rows if r["current"].startswith("Unranked, ")]
    assert placing, "seed 7 has players in placement"
    monkeypatch.setattr(common.console, "_width", 80)  # COLUMNS is read once, at import
    code, out, err = cli(capsys, "csr", *players)
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "placement" not in out and "…" not in out
    for row in placing:
        left = row["csr"]["current"]["measurement_matches_remaining"]
        assert f"Unranked ({left} left)" in out
        assert row["current"] == f"Unranked, {left} placement matches left" or left == 1
    for row in rows:
        assert f"CSR · {row['playlist']} · current season" in out


def test_csr_leaves_out_a_refused_xuid(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    a = sim.world.players[0]
    code, out, err = cli(capsys, "csr", str(a.xuid), str(UNKNOWN_XUID), "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert {r["xuid"] for r in rows} == {a.xuid}
    assert f"xuid({UNKNOWN_XUID})" in err


def test_seasons_medals_playlists(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "seasons", "--json")
    assert code == 0, err
    seasons = json.loads(out)
    assert len(seasons) == len(sim.world.seasons)
    assert sum(s["current"] for s in seasons) == 1
    assert all(s["name"] for s in seasons)
    code, out, err = cli(capsys, "seasons")
    assert code == 0 and "CsrSeason5-1" in out and "▶" in out

    code, out, err = cli(capsys, "medals", "--json")
    assert code == 0, err
    medals = json.loads(out)
    assert len(medals) > 100
    assert any(m["name"] == "Double Kill" for m in medals)
    code, out, err = cli(capsys, "medals")
    assert code == 0 and "Double Kill" in out

    code, out, err = cli(capsys, "playlists", "--json")  # the signed-in player's
    assert code == 0, err
    mine = json.loads(out)
    assert any(p["ranked"] for p in mine) and all(p["name"] for p in mine)
    code, out, err = cli(capsys, "playlists", sim.world.players[0].gamertag)
    assert code == 0 and mine[0]["name"] in out


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["record", "name\twith tab"], 2, "control character"),
        (["record", "x" * 20], 2, "too long"),
        (["record", "xuid(12ab)"], 2, "malformed XUID"),
        (["record", ""], 2, "empty gamertag"),
        (["record", "Nobody Here 1"], 6, "no such player"),
        (["record", "Nobody Here 1", "--kind", "ranked"], 2, "unknown record kind"),
        (["record", "Cortana Sniper", "--season", "Season99"], 2, "unknown season"),
        (["csr", "Cortana Sniper", "--playlist", "nope"], 2, "no playlist named 'nope'"),
        (["csr", "Nobody", "--playlist", "nope", "--all-ranked"], 2, "either --playlist"),
        (["csr", "Cortana Sniper", "--season", "CsrSeason99-1"], 2, "unknown CSR season"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    env: Tokens, capsys: pytest.CaptureFixture[str], args: list[str], code: int, words: str
) -> None:
    got, out, err = cli(capsys, *args)
    assert got == code
    assert words in err
    assert err.startswith("error:") and err.count("\n") == 1
    assert "Traceback" not in err and out == ""
    assert env.spartan not in err


def test_no_token_says_how_to_get_one(
    env: Tokens, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HALOTRACK_SPARTAN_TOKEN")
    code, _, err = cli(capsys, "seasons")
    assert code == 2
    assert "halotrack auth login" in err and "--spartan-token" in err
    assert err.count("\n") == 1


def test_token_flags_override_the_environment(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALOTRACK_SPARTAN_TOKEN", "v4=expired-or-wrong")
    code, _, err = cli(capsys, "medals", "--json")
    # exit 3, sign-in: the token from the environment is what to renew, not `auth login`
    assert code == 3 and "401" in err and "HALOTRACK_SPARTAN_TOKEN" in err
    code, _, err = cli(
        capsys,
        "medals",
        "--json",
        "--spartan-token",
        env.spartan,
        "--clearance",
        env.clearance or "",
    )
    assert code == 0, err


def test_api_flag_points_at_the_simulator(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALOTRACK_API", "http://127.0.0.1:9")
    code, out, err = cli(capsys, "--api", sim.base_url, "seasons", "--json")
    assert code == 0, err
    assert json.loads(out)


def test_medals_list_is_short_by_default_and_full_with_all(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = cli(capsys, "medals", "--json")
    assert code == 0, err
    known = json.loads(out)
    monkeypatch.setattr(common.console, "_width", 80)
    code, short, err = cli(capsys, "medals")
    assert code == 0, err
    flat = " ".join(short.split())
    assert all(m["name"] in flat for m in known)  # every name, none cut in two
    assert len(short.splitlines()) < len(known) / 2
    code, full, err = cli(capsys, "medals", "--all")
    assert code == 0, err
    assert all(str(m["name_id"]) in full for m in known)
    assert max(len(line) for line in full.splitlines()) <= 80


def _played(block: dict[str, Any]) -> bool:
    return block["value"] >= 0 or (
        block["measurement_matches_remaining"] < block["initial_measurement_matches"]
    )


@pytest.mark.slow
def test_csr_default_is_the_season_and_all_ranked_adds_the_rest(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    left_out = 0
    for player in sim.world.players[:6]:
        code, out, err = cli(capsys, "csr", str(player.xuid), "--all-ranked", "--json")
        if code != 0:
            assert "no ranked playlist" in err
            continue
        every = json.loads(out)
        played = {
            r["playlist_id"]
            for r in every
            if r["csr"] and (_played(r["csr"]["current"]) or _played(r["csr"]["season_max"]))
        }
        left_out += len({r["playlist_id"] for r in every} - played)
        code, out, err = cli(capsys, "csr", str(player.xuid), "--json")
        assert code == 0, err
        assert {r["playlist_id"] for r in json.loads(out)} == played
        note = "--all-ranked shows them" in " ".join(err.split())  # wrapped at 80 or not
        assert note is (played != {r["playlist_id"] for r in every})
    assert left_out, "seed 7 has players whose ranked playlists were played only before"


def test_csr_playlist_by_name_or_id(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    me = sim.world.players[0]
    code, out, err = cli(capsys, "playlists", me.gamertag, "--json")
    assert code == 0, err
    ranked = [r for r in json.loads(out) if r["ranked"]]
    assert len(ranked) >= 2
    for r in ranked:
        code, by_id, err = cli(capsys, "csr", me.gamertag, "--playlist", r["playlist_id"], "--json")
        assert code == 0, err
        for text in (r["name"], r["name"].lower()):
            code, by_name, err = cli(capsys, "csr", me.gamertag, "--playlist", text, "--json")
            assert code == 0, err
            assert json.loads(by_name) == json.loads(by_id)
            assert {x["playlist_id"] for x in json.loads(by_name)} == {r["playlist_id"]}
    common_word = "ranked"  # in every ranked playlist's name in the simulator
    code, out, err = cli(capsys, "csr", me.gamertag, "--playlist", common_word)
    assert code == 2 and "ambiguous" in err
    assert all(r["name"] in err for r in ranked)
    code, out, err = cli(capsys, "csr", me.gamertag, "--playlist", "No Such Playlist")
    assert code == 2 and "no playlist named 'No Such Playlist'" in err


def test_one_season_name_in_seasons_and_record(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "seasons", "--json")
    assert code == 0, err
    rows = json.loads(out)
    current = next(r for r in rows if r["current"])
    truth = next(s for s in sim.world.seasons if s.record_id == current["season_id"])
    assert current["name"] == truth.name  # the public name from the season metadata
    me = sim.world.players[0]
    code, out, err = cli(capsys, "record", me.gamertag, "--season", "current")
    assert code == 0, err
    title = " ".join(out.split("┌")[0].split())
    assert current["name"] in title and "Csr/" not in title and ".json" not in title
    code, out, err = cli(capsys, "record", me.gamertag, "--season", "current", "--json")
    assert json.loads(out)["season_id"] == current["season_id"]  # raw ids stay in --json


@pytest.mark.slow
def test_match_scoreboard_names_every_human_after_a_sync(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from halotrack.simulator.views import guest_tag

    me = sim.world.players[0]
    code, out, err = cli(capsys, "matches", "sync", me.gamertag)
    assert code == 0, err
    code, out, err = cli(capsys, "matches", me.gamertag, "--limit", "8", "--json")
    assert code == 0, err
    truth = {p.xuid: p.gamertag for p in sim.world.players}
    rows = json.loads(out)
    monkeypatch.setattr(common.console, "_width", 50)  # medal lists wrap for sure
    for row in rows:
        code, doc, err = cli(capsys, "match", row["short_id"], "--json")
        code, narrow, err = cli(capsys, "match", row["short_id"])
        lines = [line.strip() for line in narrow.splitlines()]
        for p in json.loads(doc)["players"]:
            for name in p["medals"]:  # never "Triple" at a line's end and "Kill" below
                words = name.split()
                for k in range(1, len(words)):
                    head, tail = " ".join(words[:k]), " ".join(words[k:])
                    assert not any(
                        a.endswith(head) and b.startswith(tail) for a, b in pairwise(lines)
                    ), name
    monkeypatch.setattr(common.console, "_width", 80)
    for row in rows:
        code, doc, err = cli(capsys, "match", row["short_id"], "--json")
        assert code == 0, err
        code, table, err = cli(capsys, "match", row["short_id"])
        assert code == 0, err
        assert "xuid(" not in table
        for p in json.loads(doc)["players"]:
            if p["player_id"].startswith("xuid("):
                xuid = int(p["player_id"][5:-1])
                assert p["player"] == truth.get(xuid, guest_tag(xuid))
                assert p["player"] in table
    # the CSR column says what `matches` says, placement included
    code, out, err = cli(capsys, "matches", me.gamertag, "--limit", "60", "--json")
    rows = json.loads(out)
    assert any(r["csr"].startswith("Unranked (") for r in rows), "seed 7: placement matches"
    for r in rows:
        code, doc, err = cli(capsys, "match", r["match_id"], "--json")
        mine = next(p for p in json.loads(doc)["players"] if p["player_id"] == f"xuid({me.xuid})")
        assert mine["csr"] == r["csr"]
        assert bool(r["csr"]) is r["ranked"]
    # cached: a second look needs no profile lookup, even with the API gone
    monkeypatch.setenv("HALOTRACK_API", "http://127.0.0.1:9")
    code, table, err = cli(capsys, "match", row["short_id"])
    assert code == 0 and "xuid(" not in table, err


@pytest.mark.parametrize("who", ["Nobody Here 1", "2533274899999999", "xuid(2533274899999999)"])
def test_csr_for_an_unknown_player_says_no_such_player(
    env: Tokens, capsys: pytest.CaptureFixture[str], who: str
) -> None:
    """Not "no ranked playlist": the player does not exist (the API answers 404)."""
    code, out, err = cli(capsys, "csr", who)
    assert code == 6, out + err
    assert "no such" in err and "ranked playlist" not in err
    assert err.startswith("error:") and err.count("\n") == 1 and out == ""


def test_csr_with_one_unknown_player_keeps_the_others(
    sim: Simulator, env: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    me = sim.world.players[0]
    code, out, err = cli(capsys, "csr", me.gamertag, "2533274899999999", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and {r["xuid"] for r in rows} <= {me.xuid, 2533274899999999}
    assert any(r["xuid"] == me.xuid for r in rows)
    assert "2533274899999999" in err
