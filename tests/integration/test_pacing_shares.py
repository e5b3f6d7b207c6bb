"""The pacers at the default limits: one service's queue never idles the others' share.

Why: `matches sync` mixes stats, skill and discovery requests under a 10/s overall and a
5/s per-service rate. When waiting for a slot held a concurrency permit, or a slot far
ahead for one service pushed every later request behind it, the overall pacer idled and a
default backfill reached two thirds of what the limits allow (bench/backfill.py measures
the rate; these tests pin the order and the slots).
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from halotrack.waypoint import Limits, Tokens, WaypointClient
from tests.support.fake_api import FakeApi, serve_fake_api

PLAYLIST = "edfef3ac-9cbe-4fa2-b949-8f29deafd483"
_waited: contextvars.ContextVar[float] = contextvars.ContextVar("waited", default=0.0)


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeApi]:
    async with serve_fake_api() as api:
        yield api


def _service(request: web.Request) -> str:
    return "skill" if request.path.startswith("/skill") else "stats"


def _answer(request: web.Request) -> web.Response:
    if _service(request) == "skill":
        return web.json_response({"Value": []})
    return web.json_response({"MatchesPlayedCount": 1})


async def _call(c: WaypointClient, service: str) -> tuple[str, float]:
    """One request of `service`; returns how long its task was told to wait for a slot."""
    if service == "stats":
        await c.stats.match_count(2533274800000001)
    else:
        await c.skill.playlist_csr_one(PLAYLIST, 2533274800000001)
    return service, round(_waited.get(), 6)


async def test_another_service_takes_the_overall_gap_between_one_services_slots(
    fake_api: Any,
) -> None:
    """Three stats requests reserve 0, 0.2 and 0.4 s (5/s); a skill request queued after
    them goes in the overall pacer's free 0.1 s slot, not after the last stats slot."""

    async def sleep(seconds: float) -> None:  # the clock stands still: slots are as reserved
        _waited.set(_waited.get() + seconds)
        await asyncio.sleep(0)

    fake_api.handle = _answer
    async with WaypointClient(
        api_root=fake_api.root,
        tokens=Tokens(spartan="tok", clearance="clr"),
        limits=Limits(rate=5, global_rate=10, concurrency=4),
        cache=False,
        clock=lambda: 100.0,
        sleep=sleep,
    ) as c:
        got = await asyncio.gather(*(_call(c, s) for s in ("stats", "stats", "stats", "skill")))
    slots = sorted(got)
    assert slots == [("skill", 0.1), ("stats", 0.0), ("stats", 0.2), ("stats", 0.4)]
    every = sorted(w for _, w in got)
    # the overall rate still holds: no two sends closer than 1/10 s
    assert all(b - a >= 0.1 - 1e-9 for a, b in itertools.pairwise(every))


async def test_a_request_waiting_for_its_slot_holds_no_concurrency_permit(
    fake_api: Any,
) -> None:
    """One request in flight at a time; two stats requests wait for their 5/s slots. A
    skill request queued after them goes as soon as the first answer frees the permit,
    instead of waiting for both stats slots to pass."""
    order: list[str] = []

    def handle(request: web.Request) -> web.Response:
        order.append(_service(request))
        return _answer(request)

    fake_api.handle = handle
    async with WaypointClient(
        api_root=fake_api.root,
        tokens=Tokens(spartan="tok", clearance="clr"),
        limits=Limits(rate=5, global_rate=None, concurrency=1),
        cache=False,
    ) as c:
        await asyncio.gather(*(_call(c, s) for s in ("stats", "stats", "stats", "skill")))
    assert order == ["stats", "skill", "stats", "stats"]
