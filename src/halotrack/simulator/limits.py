"""Rate limits per service host, enforced the way an API gateway does (GCRA on real time).

Why: a fleet of workers must stay under the API's budget together; with a limit enforced
here, any overrun shows up as 429s, counted apart from injected faults in `/_sim/stats`.
Configured with `POST /_sim/limits {"stats": {"rate": 5, "burst": 5}, "*": {...}}` (keys:
service names, host names or `*`); `DELETE /_sim/limits` lifts them.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from halotrack.models.hosts import WAYPOINT_HOSTS

_SERVICE_BY_HOST = {host: name for name, host in WAYPOINT_HOSTS.items()}


@dataclass(frozen=True)
class Limit:
    """`rate` requests per second with bursts of up to `burst` at once."""

    rate: float
    burst: int = 1

    @classmethod
    def from_json(cls, data: Any) -> Limit:
        if not isinstance(data, dict) or set(data) - {"rate", "burst"} or "rate" not in data:
            raise ValueError('a limit is {"rate": R, "burst": B}')
        rate, burst = float(data["rate"]), int(data.get("burst", 1))
        if not (rate > 0 and math.isfinite(rate)) or burst < 1:
            raise ValueError("rate must be above 0 and burst at least 1")
        return cls(rate, burst)


class RateLimits:
    """One GCRA cell per service: the theoretical arrival time of the next request."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.limits: dict[str, Limit] = {}
        self._tat: dict[str, float] = {}
        self.limited: Counter[str] = Counter()
        self.admitted: Counter[str] = Counter()
        self.per_second: defaultdict[str, Counter[int]] = defaultdict(Counter)
        self.limited_per_second: defaultdict[str, Counter[int]] = defaultdict(Counter)

    def configure(self, data: dict[str, Any]) -> None:
        limits: dict[str, Limit] = {}
        for key, value in data.items():
            name = _SERVICE_BY_HOST.get(key.lower(), key)
            if name != "*" and name not in WAYPOINT_HOSTS:
                raise ValueError(f"unknown service or host {key!r}")
            limits[name] = Limit.from_json(value)
        self.limits, self._tat = limits, {}

    def clear(self) -> None:
        self.limits, self._tat = {}, {}

    def admit(self, service: str) -> float | None:
        """None when `service` may answer now; else the seconds until it may (a 429)."""
        limit = self.limits.get(service) or self.limits.get("*")
        if limit is None or service not in WAYPOINT_HOSTS:
            return None
        now = self._clock()
        interval = 1.0 / limit.rate
        tat = max(self._tat.get(service, now), now)
        allowed_at = tat - interval * (limit.burst - 1)
        if allowed_at > now + 1e-9:
            self.limited[service] += 1
            self.limited_per_second[service][int(now)] += 1
            return allowed_at - now
        self._tat[service] = tat + interval
        self.admitted[service] += 1
        self.per_second[service][int(now)] += 1
        return None

    def to_json(self) -> dict[str, Any]:
        return {k: {"rate": v.rate, "burst": v.burst} for k, v in self.limits.items()}

    def stats(self) -> dict[str, Any]:
        return {
            "limits": self.to_json(),
            "rate_limited": sum(self.limited.values()),
            "rate_limited_by_service": dict(self.limited),
            "admitted_by_service": dict(self.admitted),
        }

    def reset_stats(self) -> None:
        self.limited.clear()
        self.admitted.clear()
        self.per_second.clear()
        self.limited_per_second.clear()

    def limited_after(self, seconds: float) -> int:
        """429s answered later than `seconds` after each service's first admitted request:
        what is left once a first burst (e.g. workers starting at once) is forgiven."""
        late = 0
        for service, counts in self.limited_per_second.items():
            first = min(self.per_second.get(service) or counts)
            late += sum(n for s, n in counts.items() if s > first + seconds)
        return late

    def busiest_window(self, service: str, seconds: int = 10) -> float:
        """The highest admitted rate (requests per second) over any `seconds`-long window:
        what an overrun of the budget would show."""
        counts = self.per_second.get(service)
        if not counts:
            return 0.0
        first, last = min(counts), max(counts)
        best = 0
        for start in range(first, max(first, last - seconds + 1) + 1):
            best = max(best, sum(counts.get(s, 0) for s in range(start, start + seconds)))
        return best / seconds


def retry_after(wait: float) -> str:
    """Retry-After in whole seconds, as HTTP has it: never 0 for a refused request."""
    return str(max(1, math.ceil(wait)))
