"""The simulator's per-host rate limits: a GCRA gateway answering 429 with Retry-After past
the budget, counted apart from injected faults, so an overrun of the shared budget shows."""

from __future__ import annotations

import pytest

from halotrack.simulator.limits import RateLimits


def record_path(xuid: int) -> str:
    return f"/hi/players/xuid({xuid})/Matchmade/servicerecord"


def test_gcra_admits_a_burst_then_one_request_per_interval() -> None:
    now = [100.0]
    limits = RateLimits(clock=lambda: now[0])
    limits.configure({"stats": {"rate": 10, "burst": 2}})
    assert limits.admit("stats") is None
    assert limits.admit("stats") is None
    wait = limits.admit("stats")
    assert wait == pytest.approx(0.1)
    now[0] += 0.1
    assert limits.admit("stats") is None
    assert limits.admit("stats") == pytest.approx(0.1)
    assert limits.admit("skill") is None  # other hosts are not limited
    assert limits.limited["stats"] == 2 and limits.admitted["stats"] == 3


def test_limits_by_host_name_and_star_and_bad_settings() -> None:
    limits = RateLimits(clock=lambda: 0.0)
    limits.configure({"skill.svc.halowaypoint.com": {"rate": 1}, "*": {"rate": 2, "burst": 3}})
    assert limits.to_json() == {"skill": {"rate": 1.0, "burst": 1}, "*": {"rate": 2.0, "burst": 3}}
    assert [limits.admit("skill") is None for _ in range(2)] == [True, False]
    assert [limits.admit("gamecms") is None for _ in range(4)] == [True, True, True, False]
    assert limits.admit("xsts") is None  # identity hosts are not the API's budget
    for bad in ({"nohost": {"rate": 1}}, {"*": {"rate": 0}}, {"*": {"rate": 1, "x": 1}}):
        with pytest.raises(ValueError):
            limits.configure(bad)


def test_busiest_window_is_the_highest_ten_second_rate() -> None:
    now = [0.0]
    limits = RateLimits(clock=lambda: now[0])
    limits.configure({"*": {"rate": 1000, "burst": 1000}})
    for second, n in ((0, 5), (3, 10), (12, 40), (30, 1)):
        now[0] = second + 0.5
        for _ in range(n):
            assert limits.admit("stats") is None
    assert limits.busiest_window("stats") == pytest.approx(5.0)  # seconds 3..12: 10 + 40
    assert limits.busiest_window("skill") == 0.0


async def test_http_limit_answers_429_with_retry_after_counted_apart(simulator, sim_client) -> None:  # type: ignore[no-untyped-def]
    xuid = simulator.world.players[0].xuid
    async with sim_client.session.post(
        simulator.base_url + "/_sim/limits", json={"stats": {"rate": 0.1, "burst": 3}}
    ) as r:
        assert r.status == 200
    statuses = []
    for _ in range(6):
        async with sim_client.session.get(
            sim_client.urls["stats"] + record_path(xuid),
            headers={"x-343-authorization-spartan": sim_client.tokens.spartan},
        ) as r:
            statuses.append(r.status)
            if r.status == 429:
                assert int(r.headers["Retry-After"]) >= 1
    assert statuses == [200, 200, 200, 429, 429, 429]
    status, _ = await sim_client.get("skill", "/hi/playlist/x/csrs?players=xuid(1)")
    assert status != 429  # only the limited host
    stats = simulator.stats()
    assert stats["rate_limited"] == 3 and stats["rate_limited_by_service"] == {"stats": 3}
    assert "429" not in stats["by_status"]  # injected faults only there
    async with sim_client.session.get(simulator.base_url + "/_sim/limits") as r:
        body = await r.json()
    assert body["limits"] == {"stats": {"rate": 0.1, "burst": 3}}
    async with sim_client.session.post(
        simulator.base_url + "/_sim/limits", json={"stats": {"rate": -1}}
    ) as r:
        assert r.status == 400
    async with sim_client.session.delete(simulator.base_url + "/_sim/limits") as r:
        assert r.status == 200
    status, _ = await sim_client.get("stats", record_path(xuid))
    assert status == 200
