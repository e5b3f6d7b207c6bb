"""`halotrack serve --open`: a search for a gamertag the database does not know queues that
player for tracking (the watch list, which `track` and the workers read), within a
per-client budget so one visitor cannot spend the API budget of everyone.

Why the lookup is passed in (`Enqueue`): resolving a gamertag to a XUID takes an API
client, which only the layers above the site may build; the site decides when a lookup is
allowed, the caller performs it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Queued:
    """What a lookup gave: the player now watched (xuid set) or why not (error)."""

    query: str
    xuid: int | None
    gamertag: str | None
    error: str | None = None


Enqueue = Callable[[str], Queued]
"""Resolve a validated gamertag or XUID and add the player to the watch list."""

NEW_PLAYERS_PER_HOUR = 3


class TokenBucket:
    """`capacity` tokens per key, refilled evenly over `period` seconds. Keys are client
    addresses, kept in memory only (never stored); full buckets are forgotten when the
    table grows, since a forgotten key starts full anyway."""

    def __init__(
        self,
        capacity: int = NEW_PLAYERS_PER_HOUR,
        period: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.capacity = capacity
        self.rate = capacity / period
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.capacity), now))
        return min(float(self.capacity), tokens + (now - at) * self.rate)

    def take(self, key: str) -> int:
        """0 when a token was taken; otherwise the whole seconds until one is free."""
        with self._lock:
            now = self._clock()
            tokens = self._level(key, now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / self.rate))
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self._max_keys:
                self._forget_full(now)
            return 0

    def _forget_full(self, now: float) -> None:
        for key in [k for k in self._buckets if self._level(k, now) >= self.capacity]:
            del self._buckets[key]


@dataclass(frozen=True, slots=True)
class OpenSearch:
    """The `--open` mode's state: who performs lookups, and each client's budget."""

    enqueue: Enqueue
    budget: TokenBucket
