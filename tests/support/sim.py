"""Test helpers around a running simulator: a tiny authenticated GET helper, and a simulator
served from a background thread.

Why: simulator tests (and other packages' tests) need raw access to endpoints without the
real client, e.g. to check statuses, headers and shapes; CLI tests call `main`, which runs
`asyncio.run` itself, so their simulator needs a loop of its own.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from halotrack.models.hosts import service_urls
from halotrack.models.tokens import Tokens
from halotrack.simulator import Simulator, start_simulator


class SimClient:
    """GET `<service base>/<path>` with the Spartan and clearance headers of `tokens`."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, tokens: Tokens) -> None:
        self.urls = service_urls(base_url)
        self.base_url = base_url
        self.session = session
        self.tokens = tokens

    def __repr__(self) -> str:
        return f"SimClient({self.base_url})"

    def headers(self, *, auth: bool = True, clearance: bool = True) -> dict[str, str]:
        h = {"Accept": "application/json"}
        if auth:
            h["x-343-authorization-spartan"] = self.tokens.spartan
        if clearance and self.tokens.clearance:
            h["343-clearance"] = self.tokens.clearance
        return h

    async def get(
        self,
        service: str,
        path: str,
        params: Any = None,
        *,
        auth: bool = True,
        clearance: bool = True,
    ) -> tuple[int, Any]:
        """(status, decoded JSON or raw bytes or None for an empty body)."""
        url = self.urls[service] + path
        async with self.session.get(
            url, params=params, headers=self.headers(auth=auth, clearance=clearance)
        ) as r:
            body = await r.read()
            if not body:
                return r.status, None
            if r.content_type == "application/json":
                return r.status, await r.json()
            return r.status, body

    async def control(self, method: str, path: str, json: Any = None) -> tuple[int, Any]:
        async with self.session.request(method, f"{self.base_url}/_sim/{path}", json=json) as r:
            return r.status, await r.json()


class SimThread:
    """`with SimThread(**start_simulator options) as sim:` a simulator on its own event loop
    in a daemon thread, stopped on exit."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.sim: Simulator | None = None
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def serve() -> None:
            self._stop = asyncio.Event()
            async with start_simulator(**self.options) as sim:
                self.sim = sim
                self._ready.set()
                await self._stop.wait()

        self._loop.run_until_complete(serve())

    def __enter__(self) -> Simulator:
        self._thread.start()
        assert self._ready.wait(60), "simulator did not start"
        assert self.sim is not None
        return self.sim

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def point_cli_at(
    sim: Simulator, home: Path, monkeypatch: pytest.MonkeyPatch, xuid: int | None = None
) -> Tokens:
    """Make CLI calls in this process use `sim` as the player `xuid` (default: the first),
    with their folders under `home` and no pacing; returns the tokens they carry."""
    tokens = sim.issue_tokens(xuid if xuid is not None else sim.world.players[0].xuid)
    for var in ("CONFIG_DIR", "DATA_DIR", "CACHE_DIR"):
        monkeypatch.setenv(f"HALOTRACK_{var}", str(home / var.lower()))
    monkeypatch.setenv("HALOTRACK_CONFIG", str(home / "none.toml"))
    monkeypatch.setenv("HALOTRACK_SPARTAN_TOKEN", tokens.spartan)
    monkeypatch.setenv("HALOTRACK_CLEARANCE", tokens.clearance or "")
    monkeypatch.setenv("HALOTRACK_RATE", "0")
    monkeypatch.setenv("HALOTRACK_API", sim.base_url)
    return tokens
