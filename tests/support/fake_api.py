"""A scriptable loopback API for the waypoint and read-command tests (no tests here).

Why a module and not conftest: each test module wraps `serve_fake_api()` in its own
`fake_api` fixture, so nothing depends on edits to the shared conftest.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestServer

from halotrack.models.hosts import service_urls

MINIMAL: dict[str, object] = {
    "MatchesCompleted": 0,
    "CoreStats": {},
    "MatchesPlayedCount": 0,
    "Results": [],
    "Value": [],
    "CurrentProgress": None,
    "xuid": "1",
}
"""One body holding the identifying fields of every object kind (all empty), so a test about
transport rather than content can answer any path with it."""


class FakeApi:
    """A loopback aiohttp server answering every path with `handle(request)` (sync or async,
    default `MINIMAL`), recording what it was sent. `root` is what a client takes as
    `api_root`."""

    def __init__(self) -> None:
        self.seen: list[dict[str, object]] = []
        self.root = ""
        self.handle: object = None

    def url(self, service: str) -> str:
        return service_urls(self.root)[service]


@asynccontextmanager
async def serve_fake_api() -> AsyncIterator[FakeApi]:
    api = FakeApi()

    async def dispatch(request: web.Request) -> web.StreamResponse:
        api.seen.append(
            {
                "raw_path": request.raw_path.split("?", 1)[0],
                "path": request.path,
                "query": list(request.query.items()),
                "headers": dict(request.headers),
            }
        )
        if api.handle is None:
            return web.json_response(MINIMAL)
        result = api.handle(request)  # type: ignore[operator]
        if inspect.isawaitable(result):
            result = await result
        return result  # type: ignore[no-any-return]

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", dispatch)
    async with TestServer(app) as server:
        api.root = str(server.make_url("")).rstrip("/")
        yield api
