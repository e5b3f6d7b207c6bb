"""Simulator over HTTP: auth rules, bad requests, faults, control endpoints, plugins, TLS."""

from __future__ import annotations

import ssl
import struct
import zlib
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from halotrack.simulator import SimState, start_simulator
from tests.support.sim import SimClient


def record_path(xuid: int | str) -> str:
    return f"/hi/players/xuid({xuid})/Matchmade/servicerecord"


async def test_spartan_token_required_and_expires(simulator, sim_client) -> None:
    xuid = simulator.world.players[0].xuid
    status, _ = await sim_client.get("stats", record_path(xuid), auth=False)
    assert status == 401
    async with sim_client.session.get(
        sim_client.urls["stats"] + record_path(xuid),
        headers={"x-343-authorization-spartan": "v4=not-a-token"},
    ) as r:
        assert r.status == 401
    status, _ = await sim_client.get("stats", record_path(xuid))
    assert status == 200
    await simulator.advance(4.5)  # tokens live 4 h of simulated time
    status, _ = await sim_client.get("stats", record_path(xuid))
    assert status == 401
    sim_client.tokens = simulator.issue_tokens(xuid)
    status, _ = await sim_client.get("stats", record_path(xuid))
    assert status == 200


def _clearance_paths(simulator: Any) -> list[tuple[str, str]]:
    w = simulator.world
    p = w.players[0]
    pl = next(x for x in w.playlists if x.ranked)
    m = w.history(p)[-1].match
    return [
        ("stats", record_path(p.xuid)),
        ("skill", f"/hi/playlist/{pl.asset.asset_id}/csrs?players=xuid({p.xuid})"),
        ("skill", f"/hi/matches/{m.match_id}/skill?players=xuid({p.xuid})"),
        ("discovery", f"/hi/playlists/{pl.asset.asset_id}/versions/{pl.asset.version_id}"),
        ("economy", f"/hi/players/xuid({p.xuid})/rewardtracks/careerranks/careerrank1"),
        ("gamecms", "/hi/progression/file/calendars/seasons/seasoncalendar.json"),
        ("gamecms", "/hi/Progression/file/Csr/Calendars/CsrSeasonCalendar.json"),
        ("gamecms", "/hi/Progression/file/Seasons/Season5.json"),
        ("gamecms", "/hi/Waypoint/file/medals/metadata.json"),
        ("profile", "/users/me"),
    ]


async def test_the_spartan_header_alone_reads_everything(simulator, sim_client) -> None:
    """The seed and production clients read records, CSR, match skill, asset versions and
    calendars without `343-clearance` (REFERENCE.md): so does the simulator."""
    for service, path in _clearance_paths(simulator):
        status, _ = await sim_client.get(service, path, clearance=False)
        assert status == 200, path


async def test_require_clearance_fault_forces_403_without_it(simulator, sim_client) -> None:
    simulator.set_faults({"*": {"require_clearance": True}})
    for service, path in _clearance_paths(simulator):
        status, _ = await sim_client.get(service, path, clearance=False)
        assert status == 403, path
        status, _ = await sim_client.get(service, path)
        assert status == 200, path
    # Per service: only skill demands it.
    simulator.set_faults({"skill": {"require_clearance": True}})
    for service, path in _clearance_paths(simulator):
        status, _ = await sim_client.get(service, path, clearance=False)
        assert status == (403 if service == "skill" else 200), path
    status, _ = await sim_client.control("POST", "faults", {"*": {"require_clearance": 1}})
    assert status == 400


async def test_token_and_clearance_endpoints(simulator, sim_client) -> None:
    p = simulator.world.players[1]
    status, body = await sim_client.control("POST", "token", {"xuid": str(p.xuid)})
    assert status == 200
    assert body["Clearance"] == simulator.state.clearance_id
    assert body["ExpiresUtc"]["ISO8601Date"].endswith("Z")
    async with sim_client.session.get(
        sim_client.urls["profile"] + "/users/me",
        headers={"x-343-authorization-spartan": body["SpartanToken"]},
    ) as r:
        assert (await r.json())["xuid"] == str(p.xuid)
    for path in ("active", f"players/xuid({p.xuid})/active"):
        status, doc = await sim_client.get(
            "settings", f"/oban/flight-configurations/titles/hi/audiences/RETAIL/{path}"
        )
        assert status == 200 and doc == {"FlightConfigurationId": simulator.state.clearance_id}
    status, _ = await sim_client.control("POST", "token", {"xuid": "1"})
    assert status == 404
    # Tokens are secrets: never in reprs or the request log.
    tokens = simulator.issue_tokens(p.xuid)
    assert tokens.spartan not in repr(tokens) and tokens.spartan not in repr(simulator)
    assert all(body["SpartanToken"] not in str(entry) for entry in simulator.requests(1000))


async def test_bad_requests(simulator, sim_client) -> None:
    w = simulator.world
    a, b = w.players[0], w.players[1]
    pl = next(x for x in w.playlists if x.ranked)
    cases: list[tuple[str, str, Any, int]] = [
        ("stats", record_path(2533274899999999), None, 404),
        ("stats", "/hi/players/No%20Such%20Player/Matchmade/servicerecord", None, 404),
        ("stats", "/hi/players/xuid(12ab)/Matchmade/servicerecord", None, 400),
        ("stats", "/hi/players/xuid(12/matches", None, 400),
        ("stats", "/hi/matches/00000000-0000-4000-8000-000000000000/stats", None, 404),
        ("stats", f"/hi/players/xuid({a.xuid})/matches", {"type": "bogus"}, 400),
        ("stats", f"/hi/players/xuid({a.xuid})/matches", {"start": "x"}, 400),
        ("stats", record_path(a.xuid), {"isRanked": "maybe"}, 400),
        (
            "skill",
            f"/hi/playlist/{pl.asset.asset_id}/csrs",
            [("players", f"xuid({a.xuid})"), ("players", "xuid(2533274899999999)")],
            404,
        ),
        ("skill", f"/hi/playlist/{pl.asset.asset_id}/csrs", {"players": a.gamertag}, 400),
        ("skill", f"/hi/playlist/{pl.asset.asset_id}/csrs", None, 400),
        ("skill", f"/hi/playlist/{pl.asset.asset_id}/csrs", {"players": "xuid(1x)"}, 400),
        ("profile", "/users/xuid(abc)", None, 400),
        ("profile", "/users/gt(nobody%20here)", None, 404),
        ("gamecms", "/hi/Multiplayer/file/playlists/assets/nope.json", None, 404),
        ("stats", "/hi/nothing/here", None, 404),
    ]
    for service, path, params, expected in cases:
        status, _ = await sim_client.get(service, path, params)
        assert status == expected, (path, params)
    status, doc = await sim_client.get(
        "skill",
        f"/hi/playlist/{pl.asset.asset_id}/csrs",
        [("players", f"xuid({a.xuid})"), ("players", f"xuid({b.xuid})")],
    )
    assert status == 200 and [v["Id"] for v in doc["Value"]] == [a.player_id, b.player_id]


async def test_gamertags_with_spaces_and_unicode_resolve(simulator, sim_client) -> None:
    from urllib.parse import quote

    w = simulator.world
    odd = [p for p in w.players if " " in p.gamertag or not p.gamertag.isascii()][:4]
    assert odd
    for p in odd:
        tag = quote(p.gamertag, safe="")
        status, rec = await sim_client.get("stats", f"/hi/players/{tag}/Matchmade/servicerecord")
        assert status == 200
        _, by_xuid = await sim_client.get("stats", record_path(p.xuid))
        assert rec == by_xuid
        status, user = await sim_client.get("profile", f"/users/gt({tag})")
        assert status == 200 and user["xuid"] == str(p.xuid)


async def test_paths_case_insensitive(simulator, sim_client) -> None:
    for path in (
        "/hi/progression/file/csr/calendars/csrseasoncalendar.json",
        "/HI/PROGRESSION/FILE/Csr/Calendars/CsrSeasonCalendar.json",
        "/hi/waypoint/file/MEDALS/metadata.json",
    ):
        status, _ = await sim_client.get("gamecms", path)
        assert status == 200, path


async def test_medal_sprite_sheet_is_a_real_png(simulator, sim_client) -> None:
    status, meta = await sim_client.get("gamecms", "/hi/Waypoint/file/medals/metadata.json")
    sprite = meta["sprites"]["small"]
    status, png = await sim_client.get("gamecms", f"/hi/images/file/{sprite['path']}")
    assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    rows = -(-(max(m["spriteIndex"] for m in meta["medals"]) + 1) // sprite["columns"])
    assert (width, height) == (sprite["columns"] * sprite["size"], rows * sprite["size"])
    # Every chunk's CRC is valid and the image data inflates to the right size.
    pos, idat = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + data) & 0xFFFFFFFF == crc
        if kind == b"IDAT":
            idat += data
        pos += 12 + length
    assert len(zlib.decompress(idat)) == height * (width + 1)


async def _statuses(sim: Any, n: int) -> list[int]:
    p = sim.world.players[0]
    tokens = sim.issue_tokens(p.xuid)
    out = []
    async with aiohttp.ClientSession() as session:
        client = SimClient(sim.base_url, session, tokens)
        for _ in range(n):
            status, _ = await client.get("stats", record_path(p.xuid))
            out.append(status)
    return out


async def test_faults_are_reproducible_by_seed() -> None:
    config = {
        "seed": 3,
        "stats": {
            "rate_429": 0.2,
            "rate_500": 0.1,
            "rate_503": 0.1,
            "rate_401": 0.1,
            "retry_after": 2,
        },
    }
    runs = []
    for _ in range(2):
        async with start_simulator(seed=7, players=5) as sim:
            sim.set_faults(config)
            runs.append(await _statuses(sim, 60))
            stats = sim.stats()
    assert runs[0] == runs[1]
    assert {429, 500, 503, 401, 200} <= set(runs[0])
    assert stats["by_status"]["429"] == runs[0].count(429)
    async with start_simulator(seed=7, players=5) as sim:
        sim.set_faults({**config, "seed": 4})
        assert await _statuses(sim, 60) != runs[0]
        sim.set_faults()
        assert set(await _statuses(sim, 10)) == {200}


async def test_retry_after_latency_drop_and_truncation(simulator, sim_client) -> None:
    p = simulator.world.players[0]
    url = sim_client.urls["stats"] + record_path(p.xuid)
    headers = sim_client.headers()
    status, _ = await sim_client.control(
        "POST", "faults", {"stats": {"rate_429": 1.0, "retry_after": 7}}
    )
    assert status == 200
    async with sim_client.session.get(url, headers=headers) as r:
        assert r.status == 429 and r.headers["Retry-After"] == "7"
    simulator.set_faults(stats={"rate_drop": 1.0})
    with pytest.raises(aiohttp.ClientError):
        async with aiohttp.ClientSession() as s, s.get(url, headers=headers) as r:
            await r.read()
    simulator.set_faults(stats={"rate_truncate": 1.0})
    with pytest.raises(aiohttp.ClientError):
        async with aiohttp.ClientSession() as s, s.get(url, headers=headers) as r:
            await r.read()
    simulator.set_faults({"*": {"latency_ms": 1}})
    status, _ = await sim_client.get("profile", "/users/me")
    assert status == 200
    status, _ = await sim_client.control("DELETE", "faults")
    assert status == 200
    status, _ = await sim_client.get("stats", record_path(p.xuid))
    assert status == 200
    status, _ = await sim_client.control("POST", "faults", {"stats": {"rate_bogus": 1}})
    assert status == 400


async def test_control_endpoints(simulator, sim_client) -> None:
    status, players = await sim_client.control("GET", "players")
    assert status == 200 and len(players) == 50
    assert set(players[0]) == {"xuid", "gamertag", "activity"}
    xuid = players[0]["xuid"]
    await sim_client.control("POST", "stats/reset")
    status, body = await sim_client.control("POST", "play", {"xuid": xuid, "matches": 3})
    assert status == 200 and len(body["match_ids"]) == 3
    status, body = await sim_client.control(
        "POST", "advance", {"hours": 24, "active_fraction": 0.2}
    )
    assert status == 200 and body["matches"] > 0
    sim_client.tokens = simulator.issue_tokens(xuid)  # a simulated day outlives the token
    await sim_client.get("stats", record_path(xuid), {"seasonId": "Seasons/Season3.json"})
    await sim_client.get("stats", f"/hi/players/xuid({xuid})/matches/count")
    status, log = await sim_client.control("GET", "requests?limit=2")
    assert [e["path"] for e in log] == [
        f"/halostats.svc.halowaypoint.com{record_path(xuid)}",
        f"/halostats.svc.halowaypoint.com/hi/players/xuid({xuid})/matches/count",
    ]
    assert "seasonId=Seasons/Season3.json" in log[0]["query"].replace("%2F", "/")
    assert set(log[0]) == {"method", "path", "query", "status"}
    status, stats = await sim_client.control("GET", "stats")
    assert stats["by_endpoint"]["stats.servicerecord"] == 1
    assert stats["by_status"]["200"] == 2
    status, _ = await sim_client.control("POST", "play", {"xuid": "1", "matches": 1})
    assert status == 404


async def test_plugins_and_tls(tls_ca) -> None:  # type: ignore[no-untyped-def]
    seen: list[SimState] = []

    def plugin(app: web.Application, state: SimState) -> None:
        seen.append(state)

        async def hello(request: web.Request) -> web.Response:
            token, expires = state.issue_spartan_token(state.world.players[0].xuid)
            return web.json_response({"SpartanToken": token, "Expires": expires.isoformat()})

        app.router.add_post("/settings.svc.halowaypoint.com/spartan-token", hello)

    ca_file, server_ctx = tls_ca
    client_ctx = ssl.create_default_context(cafile=ca_file)
    async with start_simulator(players=5, ssl_context=server_ctx, plugins=[plugin]) as sim:
        assert sim.base_url.startswith("https://127.0.0.1:")
        assert seen == [sim.state]
        async with aiohttp.ClientSession() as s:
            url = f"{sim.base_url}/settings.svc.halowaypoint.com/spartan-token"
            async with s.post(url, ssl=client_ctx) as r:
                assert r.status == 200
                token = (await r.json())["SpartanToken"]
            me = f"{sim.base_url}/profile.svc.halowaypoint.com/users/me"
            async with s.get(
                me, ssl=client_ctx, headers={"x-343-authorization-spartan": token}
            ) as r:
                assert r.status == 200
        assert sim.stats()["by_status"]["200"] == 2


async def test_static_files_answer_304_to_a_matching_etag(simulator, sim_client) -> None:
    url = sim_client.urls["gamecms"] + "/hi/Waypoint/file/medals/metadata.json"
    headers = sim_client.headers()
    async with sim_client.session.get(url, headers=headers) as r:
        assert r.status == 200
        etag = r.headers["ETag"]
        body = await r.read()
    async with sim_client.session.get(url, headers={**headers, "If-None-Match": etag}) as r:
        assert r.status == 304 and r.headers["ETag"] == etag and not await r.read()
    async with sim_client.session.get(url, headers={**headers, "If-None-Match": '"other"'}) as r:
        assert r.status == 200 and await r.read() == body


async def test_unknown_control_path_is_a_404(simulator, sim_client) -> None:
    # /_sim/ itself and unknown /_sim/ paths were a 500 with a traceback in the log
    for path in ("/_sim/", "/_sim/nothing-here"):
        async with sim_client.session.get(simulator.base_url + path) as resp:
            assert resp.status == 404, path


async def test_list_parameters_take_the_comma_form_and_the_repeated_key(
    simulator, sim_client
) -> None:
    w = simulator.world
    a, b = w.players[0], w.players[1]
    pl = next(x for x in w.playlists if x.ranked)
    csrs = f"/hi/playlist/{pl.asset.asset_id}/csrs"
    want = [f"xuid({a.xuid})", f"xuid({b.xuid})"]
    comma = {"players": ",".join(want)}
    repeated = [("players", x) for x in want]
    s1, d1 = await sim_client.get("skill", csrs, comma)
    s2, d2 = await sim_client.get("skill", csrs, repeated)
    assert s1 == s2 == 200 and d1 == d2
    assert [r["Id"] for r in d1["Value"]] == want
    s, _ = await sim_client.get("skill", csrs, {"players": f"xuid({a.xuid}),"})
    assert s == 400
    # Match skill: both humans of one match, asked in one comma-separated parameter.
    m = w.history(a)[-1].match
    humans = [f"xuid({y.xuid})" for y in w.roster(m) if y.xuid is not None][:3]
    assert len(humans) > 1
    s, doc = await sim_client.get(
        "skill", f"/hi/matches/{m.match_id}/skill", {"players": ",".join(humans)}
    )
    assert s == 200 and [r["Id"] for r in doc["Value"]] == humans
    assert all(r["ResultCode"] == 0 for r in doc["Value"])
    s1, d1 = await sim_client.get("profile", "/users", {"xuids": f"{a.xuid},{b.xuid}"})
    s2, d2 = await sim_client.get("profile", "/users", [("xuids", a.xuid), ("xuids", b.xuid)])
    assert s1 == s2 == 200 and d1 == d2
    assert [u["gamertag"] for u in d1] == [a.gamertag, b.gamertag]


@pytest.mark.slow
async def test_match_history_type_by_number_or_name(simulator, sim_client) -> None:
    p = max(simulator.world.players, key=lambda x: len(simulator.world.history(x)))
    path = f"/hi/players/xuid({p.xuid})/matches"
    for number, name in enumerate(("all", "matchmaking", "custom", "local")):
        s1, by_name = await sim_client.get("stats", path, {"type": name})
        s2, by_number = await sim_client.get("stats", path, {"type": str(number)})
        assert s1 == s2 == 200 and by_name == by_number, name
    _, mm = await sim_client.get("stats", path, {"type": "1"})
    assert {r["MatchInfo"]["LifecycleMode"] for r in mm["Results"]} == {3}
    s, _ = await sim_client.get("stats", path, {"type": "4"})
    assert s == 400


async def test_endpoints_public_clients_call(simulator, sim_client) -> None:
    w = simulator.world
    p = w.players[0]
    status, me = await sim_client.get("comms", "/users/me")
    assert status == 200 and me["xuid"] == str(p.xuid) and me["gamertag"] == p.gamertag
    status, doc = await sim_client.get(
        "settings",
        f"/oban/flight-configurations/titles/hi/audiences/RETAIL/players/xuid({p.xuid})/active",
        clearance=False,
    )
    assert status == 200 and doc == {"FlightConfigurationId": simulator.state.clearance_id}
    targets = f"xuid({p.xuid}),xuid({w.players[1].xuid})"
    status, bans = await sim_client.get("banprocessor", "/hi/bansummary", {"targets": targets})
    assert status == 200
    assert [r["Id"] for r in bans["Results"]] == targets.split(",")
    assert all(r["Result"]["BansInEffect"] == [] for r in bans["Results"])
    status, privacy = await sim_client.get("stats", f"/hi/players/xuid({p.xuid})/matches-privacy")
    assert status == 200 and set(privacy) == {"MatchmadeGames", "OtherGames"}
    # The endpoint catalogue needs no token at all, as the real one.
    status, cat = await sim_client.get(
        "settings", "/settings/hipc/e2a0a7c6-6efe-42af-9283-c2ab73250c48", auth=False
    )
    assert status == 200
    hosts = {a["Hostname"] for a in cat["Authorities"].values()}
    assert {"halostats.svc.halowaypoint.com", "skill.svc.halowaypoint.com"} <= hosts
    # Discovery asset without a version: the current version, same body as with it.
    pl = next(x for x in w.playlists if x.ranked)
    base = f"/hi/playlists/{pl.asset.asset_id}"
    s1, latest = await sim_client.get("discovery", base)
    s2, versioned = await sim_client.get("discovery", f"{base}/versions/{pl.asset.version_id}")
    assert s1 == s2 == 200 and latest == versioned
    assert latest["VersionId"] == pl.asset.version_id
    status, _ = await sim_client.get("discovery", "/hi/playlists/nope")
    assert status == 404


async def test_halotrack_still_sends_clearance_when_it_has_one(simulator) -> None:
    """With every host demanding clearance, halotrack's own client still reads: it sends the
    clearance it holds on every call."""
    from halotrack.waypoint import Limits, WaypointClient

    w = simulator.world
    p = w.players[0]
    pl = next(x for x in w.playlists if x.ranked)
    simulator.set_faults({"*": {"require_clearance": True}})
    async with WaypointClient(
        tokens=simulator.issue_tokens(p.xuid),
        api_root=simulator.base_url,
        limits=Limits.unlimited(),
        cache=False,
    ) as client:
        record = await client.stats.service_record(p.xuid)
        assert record.matches_completed == w.expected_record(p.xuid)["MatchesCompleted"]
        csr = await client.skill.playlist_csr(pl.asset.asset_id, [p.xuid])
        assert list(csr.entries) == [p.xuid] and csr.bad == []
    assert simulator.stats()["by_status"].get("403", 0) == 0
