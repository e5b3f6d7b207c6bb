"""Test helpers around a running simulator: a tiny authenticated GET helper.

Why: simulator tests (and other packages' tests) need raw access to endpoints without the
real client, e.g. to check statuses, headers and shapes.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from halotrack.models.hosts import service_urls
from halotrack.waypoint.tokens import Tokens


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
