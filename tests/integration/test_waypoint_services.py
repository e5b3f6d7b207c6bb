"""Each service method asks the right path with the right parameters and returns its model."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from halotrack.config import Settings
from halotrack.errors import ConfigError, NotFound
from halotrack.models import (
    CsrSeasonCalendar,
    MatchHistory,
    MatchSkill,
    MedalMetadata,
    PlaylistAsset,
    PlaylistVersion,
    ServiceRecord,
)
from halotrack.waypoint import Limits, WaypointClient
from halotrack.wiring.client import client_from_settings
from tests.support.fake_api import FakeApi, serve_fake_api


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeApi]:
    async with serve_fake_api() as api:
        yield api


REAL = Path(__file__).parents[1] / "data" / "real"
XUID = 2535445291321133
MATCH = "63391382-6b88-43f9-9ff4-6313404c419c"
PLAYLIST = "edfef3ac-9cbe-4fa2-b949-8f29deafd483"
VERSION = "fc29d7fc-5a05-47a3-9d3b-5206d6fab796"


def real(path: str) -> bytes:
    return (REAL / path).read_bytes()


def client(api: Any, **kw: Any) -> WaypointClient:
    kw.setdefault("limits", Limits.unlimited())
    kw.setdefault("cache", False)
    return WaypointClient(tokens="tok", api_root=api.root, **kw)


def body(data: bytes | Any) -> web.Response:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return web.Response(body=raw, content_type="application/json")


def path_of(api: Any, i: int = -1) -> str:
    """The path of the i-th request, without the simulator-style host prefix."""
    return "/" + str(api.seen[i]["raw_path"]).split("/", 2)[2]


# --- stats --------------------------------------------------------------------------


async def test_service_record_with_filters(fake_api: Any) -> None:
    fake_api.handle = lambda r: body(real("servicerecord/matchmade-lifetime.json"))
    async with client(fake_api) as c:
        record = await c.stats.service_record(
            XUID,
            season_id="Csr/Seasons/CsrSeason5-1.json",
            game_variant_category=6,
            is_ranked=True,
            playlist_asset_id=PLAYLIST,
            gameplay_interaction="pvp",
        )
    assert isinstance(record, ServiceRecord)
    assert record.matches_completed > 0
    assert record.raw_bytes == real("servicerecord/matchmade-lifetime.json")
    assert path_of(fake_api) == f"/hi/players/xuid({XUID})/Matchmade/servicerecord"
    assert fake_api.seen[0]["query"] == [
        ("seasonId", "Csr/Seasons/CsrSeason5-1.json"),
        ("gameVariantCategory", "6"),
        ("isRanked", "true"),
        ("playlistAssetId", PLAYLIST),
        ("gameplayInteraction", "1"),
    ]


@pytest.mark.parametrize("kind", ["custom", "local"])
async def test_matchmade_filters_on_other_kinds_are_refused_before_sending(
    fake_api: Any, kind: str
) -> None:
    fake_api.handle = lambda request: body(real("servicerecord/matchmade-empty.json"))
    async with client(fake_api) as c:
        with pytest.raises(ConfigError, match="only filter matchmade"):
            await c.stats.service_record(XUID, kind=kind, is_ranked=True)
        with pytest.raises(ConfigError, match="unknown service record kind"):
            await c.stats.service_record(XUID, kind="ranked")
        await c.stats.service_record(XUID, kind=kind, season_id="Seasons/Season6.json")
    assert len(fake_api.seen) == 1
    assert path_of(fake_api).endswith(f"/{kind.title()}/servicerecord")
    assert fake_api.seen[0]["query"] == [("seasonId", "Seasons/Season6.json")]


async def test_match_history_page_and_iteration(fake_api: Any) -> None:
    page = json.loads(real("match-history/matches-page.json"))
    results = page["Results"]
    pages = [results[:25], results[:25], results[:7]]

    def handle(request: web.Request) -> web.Response:
        start = int(request.query["start"])
        chunk = pages[min(start // 25, 2)]
        return body({"Start": start, "Count": 25, "ResultCount": len(chunk), "Results": chunk})

    fake_api.handle = handle
    async with client(fake_api) as c:
        first = await c.stats.match_history(XUID, count=25, type="matchmaking")
        assert isinstance(first, MatchHistory)
        assert fake_api.seen[0]["query"] == [
            ("start", "0"),
            ("count", "25"),
            ("type", "matchmaking"),
        ]

        fake_api.seen.clear()
        every = [m async for m in c.stats.iter_match_history(XUID)]
        assert len(every) == 57
        assert [q["query"][0] for q in fake_api.seen] == [  # type: ignore[index]
            ("start", "0"),
            ("start", "25"),
            ("start", "50"),
        ]

        fake_api.seen.clear()
        stop_at = results[3]["MatchId"]
        newer = [
            m async for m in c.stats.iter_match_history(XUID, stop=lambda m: m.match_id == stop_at)
        ]
        assert [m.match_id for m in newer] == [r["MatchId"] for r in results[:3]]
        assert len(fake_api.seen) == 1

        limited = [m async for m in c.stats.iter_match_history(XUID, limit=30)]
        assert len(limited) == 30

        with pytest.raises(ConfigError):
            await c.stats.match_history(XUID, count=26)
        with pytest.raises(ConfigError):
            await c.stats.match_history(XUID, type="ranked")


async def test_match_count_and_stats(fake_api: Any) -> None:
    def handle(request: web.Request) -> web.Response:
        if request.path.endswith("/count"):
            return body(real("stats-other/match-count.json"))
        return body(real("match-stats/slayer-2025.json"))

    fake_api.handle = handle
    async with client(fake_api) as c:
        count = await c.stats.match_count("Some Player")
        stats = await c.stats.match_stats(MATCH.upper())
    assert count.matches_played_count == 731
    assert stats.match_id
    assert path_of(fake_api, 0) == "/hi/players/Some%20Player/matches/count"
    assert path_of(fake_api, 1) == f"/hi/matches/{MATCH}/stats"


# --- skill --------------------------------------------------------------------------


def csr_handler(bad: set[int], seen_batches: list[list[int]]) -> Any:
    sample = json.loads(real("csr/playlist-csrs-one-player.json"))["Value"][0]

    def handle(request: web.Request) -> web.Response:
        xuids = [int(re.sub(r"\D", "", v)) for v in request.query.getall("players")]
        seen_batches.append(xuids)
        if bad & set(xuids):
            return web.Response(status=404)
        return body({"Value": [{**sample, "Id": f"xuid({x})"} for x in xuids]})

    return handle


async def test_playlist_csr_batches_and_isolates_a_bad_xuid(fake_api: Any) -> None:
    players = [XUID + i for i in range(250)]
    bad = {XUID + 137}
    batches: list[list[int]] = []
    fake_api.handle = csr_handler(bad, batches)
    async with client(fake_api, csr_batch_size=100) as c:
        result = await c.skill.playlist_csr(
            PLAYLIST, players, season="Csr/Seasons/CsrSeason5-1.json"
        )
    assert result.bad == [XUID + 137]
    assert list(result.entries) == [p for p in players if p not in bad]
    assert result.entries[XUID].result_code == 0
    current = result.current(XUID)
    assert current is not None and current.value == -1
    assert max(len(b) for b in batches) == 100
    # three batches, then halving the bad one down to a single XUID: far fewer than 250 asks
    assert len(batches) <= 3 + 2 * 7
    assert all(("season", "CsrSeason5-1") in s["query"] for s in fake_api.seen)  # type: ignore[operator]
    assert ("players", f"xuid({XUID})") in fake_api.seen[0]["query"]  # type: ignore[operator]


async def test_playlist_csr_isolates_several_bad_xuids(fake_api: Any) -> None:
    players = [XUID + i for i in range(10)]
    bad = {XUID + 2, XUID + 7}
    fake_api.handle = csr_handler(bad, [])
    async with client(fake_api) as c:
        result = await c.skill.playlist_csr(PLAYLIST, players, batch_size=4)
    assert result.bad == [XUID + 2, XUID + 7]
    assert len(result.entries) == 8


async def test_playlist_csr_bad_xuids_first_in_a_full_batch(fake_api: Any) -> None:
    players = [XUID + i for i in range(100)]
    bad = {XUID, XUID + 1, XUID + 2}
    fake_api.handle = csr_handler(bad, [])
    async with client(fake_api) as c:
        result = await c.skill.playlist_csr(PLAYLIST, players)
    assert result.bad == [XUID, XUID + 1, XUID + 2]
    assert len(result.entries) == 97


async def test_playlist_csr_all_refused_is_not_found(fake_api: Any) -> None:
    fake_api.handle = lambda r: web.Response(status=404)
    async with client(fake_api) as c:
        with pytest.raises(NotFound, match="refused every player"):
            await c.skill.playlist_csr(PLAYLIST, [XUID, XUID + 1])
        fake_api.seen.clear()
        # a wrong playlist must not cost one request per player
        with pytest.raises(NotFound, match="answered none") as info:
            await c.skill.playlist_csr(PLAYLIST, [XUID + i for i in range(200)], batch_size=50)
        assert "halotrack playlists" in str(info.value)
        assert len(fake_api.seen) < 60
        with pytest.raises(ConfigError, match="needs an XUID"):
            await c.skill.playlist_csr(PLAYLIST, ["Gamertag"])


async def test_match_skill_leaves_bots_out(fake_api: Any) -> None:
    fake_api.handle = lambda r: body(real("match-skill/match-skill-one-player.json"))
    async with client(fake_api) as c:
        skill = await c.skill.match_skill(MATCH, [f"xuid({XUID})", "bid(19.0)", XUID, XUID + 1])
        assert isinstance(skill, MatchSkill)
        with pytest.raises(ConfigError, match="human"):
            await c.skill.match_skill(MATCH, ["bid(1.0)"])
    assert path_of(fake_api) == f"/hi/matches/{MATCH}/skill"
    assert fake_api.seen[0]["query"] == [
        ("players", f"xuid({XUID})"),
        ("players", f"xuid({XUID + 1})"),
    ]


# --- gamecms, discovery, profile, economy ------------------------------------------


async def test_gamecms_paths_and_medal_names(fake_api: Any) -> None:
    files = {
        "seasoncalendar.json": "gamecms/seasoncalendar.json",
        "CsrSeasonCalendar.json": "gamecms/csr-season-calendar.json",
        "metadata.json": "gamecms/medals-metadata.json",
        "careerRank1.json": "gamecms/careerrank1.json",
        f"{PLAYLIST}.json": "gamecms/playlist-asset-ranked-arena.json",
    }

    def handle(request: web.Request) -> web.Response:
        name = request.path.rsplit("/", 1)[-1]
        if name in files:
            return body(real(files[name]))
        if "/images/" in request.path:
            return web.Response(body=b"\x89PNG...", content_type="image/png")
        return body({"Name": "Season 5"})

    fake_api.handle = handle
    async with client(fake_api) as c:
        calendar = await c.gamecms.season_calendar()
        csr_calendar = await c.gamecms.csr_season_calendar()
        meta = await c.gamecms.medal_metadata()
        names = await c.gamecms.medal_names()
        names_again = await c.gamecms.medal_names()
        track = await c.gamecms.career_rank_track()
        asset = await c.gamecms.playlist_asset(PLAYLIST)
        season = await c.gamecms.season_metadata("Seasons/Season5-Op1.json")
        image = await c.gamecms.image("medals/images/medal_sheet_sm.png")
    assert calendar.seasons and isinstance(csr_calendar, CsrSeasonCalendar)
    assert isinstance(meta, MedalMetadata)
    assert names[meta.medals[0].name_id] == meta.medals[0].name.value
    assert names is names_again
    assert "Double Kill" in names.values()
    assert len(track.ranks) == 272
    assert isinstance(asset, PlaylistAsset) and asset.has_csr
    assert season.title == "Season 5"
    assert image.startswith(b"\x89PNG")
    paths = [path_of(fake_api, i) for i in range(len(fake_api.seen))]
    assert paths == [
        "/hi/progression/file/calendars/seasons/seasoncalendar.json",
        "/hi/Progression/file/Csr/Calendars/CsrSeasonCalendar.json",
        "/hi/Waypoint/file/medals/metadata.json",
        "/hi/Waypoint/file/medals/metadata.json",
        "/hi/Progression/file/RewardTracks/CareerRanks/careerRank1.json",
        f"/hi/Multiplayer/file/playlists/assets/{PLAYLIST}.json",
        "/hi/Progression/file/Seasons/Season5-Op1.json",
        "/hi/images/file/medals/images/medal_sheet_sm.png",
    ]
    assert all(str(s["raw_path"]).startswith("/gamecms-hacs.svc") for s in fake_api.seen)


async def test_discovery_versions(fake_api: Any) -> None:
    fake_api.handle = lambda r: body(real("discovery/playlist-version.json"))
    async with client(fake_api) as c:
        playlist = await c.discovery.playlist(PLAYLIST, VERSION)
        fake_api.handle = lambda r: body(real("discovery/map-version.json"))
        await c.discovery.map(PLAYLIST, VERSION)
        fake_api.handle = lambda r: body(real("discovery/map-mode-pair-version.json"))
        await c.discovery.map_mode_pair(PLAYLIST, VERSION)
        fake_api.handle = lambda r: body(real("discovery/ugc-game-variant-version.json"))
        await c.discovery.game_variant(PLAYLIST, VERSION)
        with pytest.raises(ConfigError):
            await c.discovery.map("../x", VERSION)
    assert isinstance(playlist, PlaylistVersion)
    kinds = [path_of(fake_api, i).split("/")[2] for i in range(4)]
    assert kinds == ["playlists", "maps", "mapModePairs", "ugcGameVariants"]
    assert path_of(fake_api, 0) == f"/hi/playlists/{PLAYLIST}/versions/{VERSION}"
    assert str(fake_api.seen[0]["raw_path"]).startswith("/discovery-infiniteugc.svc")


async def test_profile_lookups(fake_api: Any) -> None:
    def handle(request: web.Request) -> web.Response:
        if request.path.endswith("/users"):
            xuids = request.query.getall("xuids")
            return body([{"xuid": x, "gamertag": f"gt{x}"} for x in xuids])
        if "gt(" in request.path:
            return body({"xuid": str(XUID), "gamertag": "Some Player"})
        return body({"xuid": str(XUID), "gamertag": "Some Player"})

    fake_api.handle = handle
    async with client(fake_api) as c:
        c.profile.users_batch_size = 2
        assert await c.profile.xuid_for("Some Player") == XUID
        assert await c.profile.xuid_for(f"xuid({XUID})") == XUID
        assert await c.profile.gamertag_for(XUID) == "Some Player"
        tags = await c.profile.gamertags_for([1, "2", "xuid(3)", 1])
        me = await c.profile.me()
    assert tags == {1: "gt1", 2: "gt2", 3: "gt3"}
    assert me.gamertag == "Some Player"
    paths = [path_of(fake_api, i) for i in range(len(fake_api.seen))]
    assert paths[:2] == ["/users/gt(Some%20Player)", f"/users/xuid({XUID})"]
    assert [s["query"] for s in fake_api.seen[2:4]] == [
        [("xuids", "1"), ("xuids", "2")],
        [("xuids", "3")],
    ]
    assert paths[4] == "/users/me"


async def test_economy_career_rank(fake_api: Any) -> None:
    fake_api.handle = lambda r: body(
        {"RewardTrackPath": "x", "CurrentProgress": {"Rank": 42, "PartialProgress": 10}}
    )
    async with client(fake_api) as c:
        progress = await c.economy.career_rank_progress(XUID)
    assert progress.rank == 42
    assert path_of(fake_api) == f"/hi/players/xuid({XUID})/rewardtracks/careerranks/careerrank1"


# --- building clients ---------------------------------------------------------------


async def test_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CONFIG_DIR", "DATA_DIR", "CACHE_DIR"):
        monkeypatch.setenv(f"HALOTRACK_{var}", str(tmp_path / var))
    with pytest.raises(ConfigError) as info:
        client_from_settings(Settings())
    assert "halotrack auth login" in str(info.value) and "--spartan-token" in str(info.value)

    c = client_from_settings(
        Settings(api="http://127.0.0.1:1/", spartan_token="s", rate=2, concurrency=3)
    )
    assert c.base_url("skill") == "http://127.0.0.1:1/skill.svc.halowaypoint.com"
    assert c.transport.limits.rate == 2 and c.transport.limits.concurrency == 3
    await c.close()

    tuned = client_from_settings(Settings(spartan_token="s", timeout=7.5, retries=2))
    assert tuned.transport.retry.attempts == 2
    assert tuned.transport._timeout.total == 7.5
    await tuned.close()

    real_client = client_from_settings(Settings(spartan_token="s"))
    assert real_client.base_url("gamecms") == "https://gamecms-hacs.svc.halowaypoint.com"
    # the CLI keeps static files between runs in the user's cache folder
    cache = real_client.transport._cache
    assert cache is not None and cache.path == tmp_path / "CACHE_DIR" / "http"
    await real_client.close()


async def test_base_urls_override_single_services(fake_api: Any) -> None:
    async with WaypointClient(
        tokens="t", base_urls={"stats": fake_api.url("stats")}, cache=False
    ) as c:
        assert c.base_url("stats") == fake_api.url("stats")
        assert c.base_url("skill") == "https://skill.svc.halowaypoint.com"
