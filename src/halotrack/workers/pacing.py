"""The transport's pacer for workers: each request reserves its slot in the shared budget.

Why: the in-process pacer only knows its own requests; the budget rows in PostgreSQL
(`halotrack.store.budget`) know every worker's, on every machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from halotrack.models.hosts import WAYPOINT_HOSTS
from halotrack.store import to_thread
from halotrack.store.budget import Budget

DEFAULT_RATE = 5.0  # requests per second per host: what public clients of this API use
DEFAULT_BURST = 1


class BudgetPacer:
    """A `waypoint.SharedPacer` on the shared budget, one cell per API service host."""

    def __init__(
        self,
        budget: Budget,
        *,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.budget = budget
        self.rate = rate
        self.burst = burst
        self._sleep = sleep
        self._ready: set[str] = set()
        self.waited = 0.0

    @staticmethod
    def host(service: str) -> str:
        return WAYPOINT_HOSTS.get(service, service)

    async def wait(self, service: str) -> None:
        host = self.host(service)
        if host not in self._ready:
            await to_thread(self.budget.configure, host, self.rate, self.burst)
            self._ready.add(host)
        delay = await to_thread(self.budget.take, host)
        if delay > 0:
            self.waited += delay
            await self._sleep(delay)

    async def pause(self, service: str, seconds: float) -> None:
        await to_thread(self.budget.pause, self.host(service), seconds)
