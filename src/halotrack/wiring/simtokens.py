"""Tokens from an in-process simulator that renew as simulated time passes.

Why: the demo, tests and benchmarks advance the simulated clock by days, while a Spartan
token lives 4 simulated hours. This provider asks the simulator for a fresh token whenever
the simulated clock is within a margin of expiry (and once after a 401), as a real sign-in
renews ahead of expiry.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from halotrack.waypoint.tokens import Tokens

if TYPE_CHECKING:
    from halotrack.simulator import Simulator

MARGIN = timedelta(minutes=5)


class SimulatorTokens:
    """A TokenProvider for one world player of a running simulator."""

    def __init__(self, sim: Simulator, xuid: int | str) -> None:
        self._sim = sim
        self._xuid = xuid
        self._tokens: Tokens | None = None

    def __repr__(self) -> str:
        return "SimulatorTokens(<redacted>)"

    async def get(self) -> Tokens:
        t = self._tokens
        if t is None or t.expires_at is None or t.expires_at - MARGIN <= self._sim.clock.now():
            return await self.refresh()
        return t

    async def refresh(self) -> Tokens:
        self._tokens = self._sim.issue_tokens(self._xuid)
        return self._tokens
