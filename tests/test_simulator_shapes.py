"""Every real sample's endpoint, asked of the simulator, answers with the same structure.

Out of scope: auth/* except clearance.json (sign-in helper's), and
stats-other/settings-endpoints.json (the settings authority map: no client uses it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from halotrack.simulator import Match, World
from halotrack.simulator.shape import compare, timestamps, trimmed

REAL = Path(__file__).parent / "data" / "real"


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
