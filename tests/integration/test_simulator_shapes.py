"""Every real sample's endpoint, asked of the simulator, answers with the same structure.

Out of scope: auth/* except clearance.json (sign-in helper's). The settings endpoint
catalogue is served as recorded (stats-other/settings-endpoints.json).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from halotrack.simulator import Match, World
from tests.support.shape import compare, timestamps, trimmed

REAL = Path(__file__).parents[1] / "data" / "real"


def real(name: str) -> Any:
    return json.loads((REAL / name).read_text("utf-8"))


def find_match(world: World, category: int, lifecycle: int, ranked: bool | None = None) -> Match:
    for p in world.players:
        for s in world.history(p):
            m = s.match
            same = m.variant.category == category and m.lifecycle == lifecycle
            # Samples without a leaver have LastLeaveTime always null, and no bots
            # (BotAttributes null): match that.
            stayed = not any(x.left_early for x in m.slots) and not m.bots
            if same and stayed and (ranked is None or m.ranked == ranked):
                return m
    raise AssertionError(f"no match of category {category} lifecycle {lifecycle}")


def busy_player(world: World, minimum: int = 60) -> Any:
    return next(p for p in world.players if len(world.history(p)) >= minimum)


def assert_same_shape(reference: Any, candidate: Any, **kw: Any) -> None:
    errors = compare(reference, candidate, **kw)
    assert not errors, "\n".join(errors[:40])


MATCH_SAMPLES = [
    ("ctf-2025.json", 15, 3),
    ("elimination-2024.json", 8, 1),
    ("extraction-2024.json", 17, 1),
    ("infection-2025.json", 22, 3),
    ("oddball-2025.json", 18, 3),
    ("pve-2024.json", 42, 3),
    ("slayer-2025.json", 6, 3),
    ("stockpile-2024.json", 19, 1),
    ("vip-2025.json", 23, 1),
    ("zones-2025.json", 11, 3),
]


@pytest.mark.parametrize(("sample", "category", "lifecycle"), MATCH_SAMPLES)
async def test_match_stats_shape(simulator, sim_client, sample, category, lifecycle) -> None:
    ref = real(f"match-stats/{sample}")
    m = find_match(simulator.world, category, lifecycle)
    status, doc = await sim_client.get("stats", f"/hi/matches/{m.match_id}/stats")
    assert status == 200
    assert_same_shape(ref, doc)
    # Timestamps are UTC with trailing zeros trimmed.
    for path, ts in timestamps(doc):
        assert trimmed(ts), f"{path}: {ts}"


async def test_infection_has_no_teams_and_zones_use_stronghold_names(simulator, sim_client):
    inf = find_match(simulator.world, 22, 3)
    _, doc = await sim_client.get("stats", f"/hi/matches/{inf.match_id}/stats")
    assert doc["Teams"] == []
    zones = find_match(simulator.world, 11, 3)
    _, doc = await sim_client.get("stats", f"/hi/matches/{zones.match_id}/stats")
    block = doc["Players"][0]["PlayerTeamStats"][0]["Stats"]["ZonesStats"]
    assert "StrongholdCaptures" in block and "ZoneCaptures" not in block
    p = next(s for s in zones.slots if s.xuid in simulator.world.by_xuid)
    _, rec = await sim_client.get("stats", f"/hi/players/xuid({p.xuid})/Matchmade/servicerecord")
    assert "ZoneCaptures" in rec["ZonesStats"] and "StrongholdCaptures" not in rec["ZonesStats"]


async def test_service_record_shapes(simulator, sim_client) -> None:
    p = busy_player(simulator.world)
    _, doc = await sim_client.get("stats", f"/hi/players/xuid({p.xuid})/Matchmade/servicerecord")
    assert_same_shape(real("servicerecord/matchmade-lifetime.json"), doc)
    # A pre-Season-5 CSR file is not a record season id: the record is empty.
    _, empty = await sim_client.get(
        "stats",
        f"/hi/players/xuid({p.xuid})/Matchmade/servicerecord",
        {"seasonId": "Csr/Seasons/CsrSeason2-1.json"},
    )
    assert_same_shape(real("servicerecord/matchmade-empty.json"), empty)
    assert empty["MatchesCompleted"] == 0


async def test_history_count_and_skill_shapes(simulator, sim_client) -> None:
    p = busy_player(simulator.world)
    base = f"/hi/players/xuid({p.xuid})"
    _, page = await sim_client.get("stats", f"{base}/matches", {"type": "matchmaking"})
    assert_same_shape(real("match-history/matches-page.json"), page)
    _, count = await sim_client.get("stats", f"{base}/matches/count")
    assert_same_shape(real("stats-other/match-count.json"), count)
    m = find_match(simulator.world, 6, 3, ranked=True)
    owner = next(s for s in m.slots if s.xuid in simulator.world.by_xuid)
    _, skill = await sim_client.get(
        "skill", f"/hi/matches/{m.match_id}/skill", {"players": f"xuid({owner.xuid})"}
    )
    assert_same_shape(
        real("match-skill/match-skill-one-player.json"),
        skill,
        free_keys=("$.Value[].Result.TeamMmrs",),
    )


async def test_csr_shape(simulator, sim_client) -> None:
    ranked = next(pl for pl in simulator.world.playlists if pl.ranked)
    p = busy_player(simulator.world)
    _, doc = await sim_client.get(
        "skill", f"/hi/playlist/{ranked.asset.asset_id}/csrs", {"players": f"xuid({p.xuid})"}
    )
    assert_same_shape(real("csr/playlist-csrs-one-player.json"), doc)


async def test_gamecms_shapes(simulator, sim_client) -> None:
    g = "gamecms"
    _, cal = await sim_client.get(g, "/hi/progression/file/calendars/seasons/seasoncalendar.json")
    assert_same_shape(real("gamecms/seasoncalendar.json"), cal)
    _, csr = await sim_client.get(g, "/hi/Progression/file/Csr/Calendars/CsrSeasonCalendar.json")
    assert_same_shape(real("gamecms/csr-season-calendar.json"), csr)
    _, track = await sim_client.get(
        g, "/hi/Progression/file/RewardTracks/CareerRanks/careerRank1.json"
    )
    assert track == real("gamecms/careerrank1.json")
    _, medals = await sim_client.get(g, "/hi/Waypoint/file/medals/metadata.json")
    assert medals == real("gamecms/medals-metadata.json")
    ranked = next(pl for pl in simulator.world.playlists if pl.ranked)
    _, asset = await sim_client.get(
        g, f"/hi/Multiplayer/file/playlists/assets/{ranked.asset.asset_id}.json"
    )
    assert_same_shape(real("gamecms/playlist-asset-ranked-arena.json"), asset)
    assert asset["HasCsr"] is True and asset["PlaylistExperience"] == "Arena"


async def test_discovery_shapes(simulator, sim_client) -> None:
    w = simulator.world
    pl = w.playlists[0]
    pair, map_asset, variant = pl.pairs[0]
    cases = [
        ("playlists", pl.asset, "discovery/playlist-version.json"),
        ("mapModePairs", pair, "discovery/map-mode-pair-version.json"),
        ("maps", map_asset, "discovery/map-version.json"),
        ("ugcGameVariants", variant, "discovery/ugc-game-variant-version.json"),
    ]
    for kind, asset, sample in cases:
        status, doc = await sim_client.get(
            "discovery", f"/hi/{kind}/{asset.asset_id}/versions/{asset.version_id}"
        )
        assert status == 200, kind
        assert_same_shape(real(sample), doc)
        assert doc["PublicName"] == asset.name


async def test_profile_and_clearance_shapes(simulator, sim_client) -> None:
    a, b = simulator.world.players[:2]
    _, one = await sim_client.get("profile", f"/users/xuid({a.xuid})")
    assert_same_shape(real("profile/user.json"), one)
    _, many = await sim_client.get("profile", "/users", [("xuids", a.xuid), ("xuids", b.xuid)])
    assert_same_shape(real("profile/users.json"), many)
    assert [u["gamertag"] for u in many] == [a.gamertag, b.gamertag]
    _, clearance = await sim_client.get(
        "settings", "/oban/flight-configurations/titles/hi/audiences/RETAIL/active"
    )
    assert_same_shape(real("auth/clearance.json"), clearance)
    status, catalogue = await sim_client.get(
        "settings", "/settings/hipc/e2a0a7c6-6efe-42af-9283-c2ab73250c48", auth=False
    )
    assert status == 200 and catalogue == real("stats-other/settings-endpoints.json")


def test_shape_compare_reports_exact_paths() -> None:
    ref = {"A": {"B": [{"C": 1, "D": "PT1S"}]}, "E": None}
    bad = {"A": {"B": [{"C": 1.5, "D": "1 second", "X": 0}]}, "E": None}
    errors = compare(ref, bad)
    assert "$.A.B[0].C: float (1.5) where the reference has ['int']" in errors
    assert any(e.startswith("$.A.B[0].D: string") for e in errors)
    assert "$.A.B[0].X: not in the reference" in errors
    assert compare(ref, {"A": {"B": []}}) == ["$.E: missing"]
    assert compare({"Outcome": 2}, {"Outcome": 9}) == [
        "$.Outcome: value 9 outside the known range of Outcome"
    ]


# --------------------------------------------------------------------------- content patterns
# Beyond structure: which id families and value forms appear at each path, and the sign of
# every number. A candidate may not use a string family the real answers never show at that
# path, nor a negative number where they are never negative (a zero in a sample says nothing:
# counts vary). Signed by definition (REFERENCE.md): KDA (kills + assists / 3 - deaths),
# personal score totals (a betrayal is -100), a CSR `Value` (-1 while unranked).
SIGNED = ("KDA", "AverageKDA", "TotalPersonalScoreAwarded", "Value")
FAMILIES = [
    ("guid", re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")),
    ("xuid", re.compile(r"^xuid\(\d{16}\)$")),
    ("bid", re.compile(r"^bid\(\d+(\.\d+)?\)$")),
    ("season-file", re.compile(r"^Seasons/Season[0-9A-Za-z-]+\.json$")),
    ("csr-season-file", re.compile(r"^Csr/Seasons/CsrSeason\d+-\d+\.json$")),
    ("duration", re.compile(r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,7})?S)?)?$")),
    ("timestamp", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$")),
]


def family(value: str) -> str:
    return next((name for name, rx in FAMILIES if rx.match(value)), "text")


def sign(value: float) -> str:
    return "negative" if value < 0 else "zero" if value == 0 else "positive"


def content(doc: Any, path: str = "$", out: dict[str, set[str]] | None = None) -> dict:
    """Path -> the string families and number signs seen there."""
    out = {} if out is None else out
    if isinstance(doc, dict):
        for k, v in doc.items():
            content(v, f"{path}.{k}", out)
    elif isinstance(doc, list):
        for v in doc:
            content(v, f"{path}[]", out)
    elif isinstance(doc, str):
        out.setdefault(path, set()).add(family(doc))
    elif isinstance(doc, int | float) and not isinstance(doc, bool):
        out.setdefault(path, set()).add(sign(doc))
    return out


def content_errors(reference: Any, candidate: Any, *, free: tuple[str, ...] = ()) -> list[str]:
    ref, got = content(reference), content(candidate)
    errors = []
    for path, seen in sorted(got.items()):
        if path in ref and not any(path.startswith(f) for f in free):
            extra = seen - ref[path] - {"zero", "positive"}
            if path.rsplit(".", 1)[-1] in SIGNED:
                extra.discard("negative")
            if extra:
                errors.append(f"{path}: {sorted(extra)} where the real answer has {ref[path]}")
    return errors


def test_content_check_reports_new_families_and_signs() -> None:
    ref = {"Id": "xuid(2535445291321133)", "SeasonIds": ["Seasons/Season6.json"], "Kills": 0}
    bad = {"Id": "2535445291321133", "SeasonIds": ["Csr/Seasons/CsrSeason6-1.json"], "Kills": -1}
    assert content_errors(ref, bad) == [
        "$.Id: ['text'] where the real answer has {'xuid'}",
        "$.Kills: ['negative'] where the real answer has {'zero'}",
        "$.SeasonIds[]: ['csr-season-file'] where the real answer has {'season-file'}",
    ]
    assert content_errors(ref, {"Kills": 0}) == []
    assert content_errors({"KDA": 1.5, "Kills": 0}, {"KDA": -2.0, "Kills": 7}) == []


async def test_service_record_season_ids_list_both_families(simulator, sim_client) -> None:
    ref = real("servicerecord/matchmade-lifetime.json")
    p = busy_player(simulator.world)
    _, doc = await sim_client.get("stats", f"/hi/players/xuid({p.xuid})/Matchmade/servicerecord")
    assert not content_errors(ref, doc)
    want = {family(s) for s in ref["Subqueries"]["SeasonIds"]}
    assert want == {"season-file", "csr-season-file"}
    assert {family(s) for s in doc["Subqueries"]["SeasonIds"]} == want
    # Every season the player played, once in each family that names it.
    played = {s.match.season for s in simulator.world.slots(p) if s.match.lifecycle == 3}
    names = {s.metadata_path for s in played} | {s.csr_path for s in played if s.index >= 5}
    assert sorted(doc["Subqueries"]["SeasonIds"]) == sorted(names)
    # Both ids of one season select the same matches.
    s6 = next(s for s in played if s.index >= 5)
    base = f"/hi/players/xuid({p.xuid})/Matchmade/servicerecord"
    _, by_meta = await sim_client.get("stats", base, {"seasonId": s6.metadata_path})
    _, by_csr = await sim_client.get("stats", base, {"seasonId": s6.csr_path})
    assert by_meta["MatchesCompleted"] == by_csr["MatchesCompleted"] > 0
    for key in ("GameVariantCategories", "PlaylistAssetIds"):
        assert by_meta["Subqueries"][key] == by_csr["Subqueries"][key]


@pytest.mark.slow
@pytest.mark.parametrize(("sample", "category", "lifecycle"), MATCH_SAMPLES)
async def test_match_stats_content(simulator, sim_client, sample, category, lifecycle) -> None:
    ref = real(f"match-stats/{sample}")
    m = find_match(simulator.world, category, lifecycle)
    _, doc = await sim_client.get("stats", f"/hi/matches/{m.match_id}/stats")
    # Bots appear in some samples and not others: a player id is an xuid or a bid.
    errors = content_errors(ref, doc, free=("$.Players[].PlayerId",))
    assert not errors, "\n".join(errors[:40])
    assert family(doc["MatchId"]) == "guid"
    kinds = {family(p["PlayerId"]) for p in doc["Players"]}
    assert kinds <= {"xuid", "bid"} and "xuid" in kinds
    info = doc["MatchInfo"]
    for key in ("MapVariant", "UgcGameVariant", "Playlist", "PlaylistMapModePair"):
        if info.get(key):
            assert {family(info[key]["AssetId"]), family(info[key]["VersionId"])} == {"guid"}
    if info["SeasonId"] is not None:
        assert family(info["SeasonId"]) == family(ref["MatchInfo"]["SeasonId"] or info["SeasonId"])


async def test_history_skill_and_csr_content(simulator, sim_client) -> None:
    w = simulator.world
    p = busy_player(w)
    base = f"/hi/players/xuid({p.xuid})"
    _, page = await sim_client.get("stats", f"{base}/matches", {"type": "matchmaking"})
    assert not content_errors(real("match-history/matches-page.json"), page)
    m = find_match(w, 6, 3, ranked=True)
    owner = next(s for s in m.slots if s.xuid in w.by_xuid)
    _, skill = await sim_client.get(
        "skill", f"/hi/matches/{m.match_id}/skill", {"players": f"xuid({owner.xuid})"}
    )
    errors = content_errors(
        real("match-skill/match-skill-one-player.json"),
        skill,
        free=("$.Value[].Result.TeamMmrs",),
    )
    assert not errors, "\n".join(errors)
    ranked = next(pl for pl in w.playlists if pl.ranked)
    _, csr = await sim_client.get(
        "skill", f"/hi/playlist/{ranked.asset.asset_id}/csrs", {"players": f"xuid({p.xuid})"}
    )
    # The sample is a player unranked this season (-1): values run from -1 upward.
    for block in csr["Value"][0]["Result"].values():
        remaining = block["MeasurementMatchesRemaining"]
        assert block["Value"] >= -1 and 0 <= remaining <= block["InitialMeasurementMatches"]
        assert block["Tier"] == "" or block["Value"] >= block["TierStart"] >= 0


async def test_season_metadata_carries_what_clients_read(simulator, sim_client) -> None:
    """Name, number, date range and logo, agreeing with the season calendar; text fields in
    gamecms's localized form, as the recorded career track file has them."""
    track = real("gamecms/careerrank1.json")
    _, cal = await sim_client.get(
        "gamecms", "/hi/progression/file/calendars/seasons/seasoncalendar.json"
    )
    for number, entry in enumerate(cal["Seasons"], start=1):
        status, meta = await sim_client.get(
            "gamecms", f"/hi/Progression/file/{entry['SeasonMetadata']}"
        )
        assert status == 200
        for key in ("Name", "Description", "DateRange"):
            assert set(meta[key]) == set(track[key]) and meta[key]["value"], key
        assert meta["Number"] == number
        assert meta["Name"]["value"] == f"Season {number}"
        assert meta["StartDate"] == entry["StartDate"] and meta["EndDate"] == entry["EndDate"]
        start = datetime.fromisoformat(entry["StartDate"]["ISO8601Date"])
        end = datetime.fromisoformat(entry["EndDate"]["ISO8601Date"])
        assert str(start.year) in meta["DateRange"]["value"]
        assert meta["DateRange"]["value"].endswith(f"{end.day}, {end.year}")
        assert meta["Logo"].endswith(".png") and meta["SeasonLogoImage"] == meta["Logo"]
