"""The API budget every worker shares: one GCRA cell per service host, in PostgreSQL.

Why: a community instance runs many workers on many machines, and together they must never
spend more than the API allows per host. Each request first reserves its send slot with one
`UPDATE ... RETURNING` on the host's row (the row lock lasts that statement only, never the
request): the answer is how long to wait before sending. A 429 moves the host's
`paused_until`, and since every worker reserves on the same row, the whole fleet pauses at
once. Times come from the database's clock, so machines with skewed clocks still agree.
PostgreSQL only: SQLite serves one process, which paces itself (`waypoint.transport`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from halotrack.errors import ConfigError
from halotrack.store.engine import mapped_errors
from halotrack.store.schema import api_budget

_NOW = "(SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8 AS t) AS n"

# The slot: the earliest moment the cell allows (GCRA: `burst` requests may go at once), and
# never before a pause ends; the cell's theoretical arrival time moves on by one interval.
_TAKE = sa.text(
    f"""
    UPDATE api_budget AS b
       SET tat = GREATEST(b.tat, n.t, b.paused_until) + 1.0 / b.rate,
           taken = b.taken + 1,
           since = COALESCE(b.since, n.t)
      FROM {_NOW}
     WHERE b.host = :host
 RETURNING GREATEST(b.tat - b.burst / b.rate, b.paused_until, n.t) - n.t
"""
)

_PAUSE = sa.text(
    f"""
    UPDATE api_budget AS b
       SET paused_until = GREATEST(b.paused_until, n.t + :seconds),
           limited = b.limited + 1
      FROM {_NOW}
     WHERE b.host = :host
"""
)

_USAGE = sa.text(
    f"""
    SELECT b.host, b.rate, b.burst, b.taken, b.limited,
           GREATEST(b.tat - n.t, 0) AS ahead,
           GREATEST(b.paused_until - n.t, 0) AS paused,
           n.t - b.since AS elapsed
      FROM api_budget AS b, {_NOW}
  ORDER BY b.host
"""
)


@dataclass(frozen=True)
class HostUsage:
    """One host's budget as `halotrack status` shows it."""

    host: str
    rate: float
    burst: int
    taken: int
    limited: int
    ahead: float  # seconds of slots already reserved
    paused: float  # seconds until a 429's pause ends
    elapsed: float | None  # seconds since the first request

    @property
    def average_rate(self) -> float | None:
        return self.taken / self.elapsed if self.elapsed else None


def _require_postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        raise ConfigError(
            "the shared API budget needs PostgreSQL",
            hint="pass --db postgresql://USER@HOST/DB (SQLite: use `halotrack track`)",
        )


class Budget:
    """Reservations on the shared cells of one database (thread-safe; blocking calls)."""

    def __init__(self, engine: Engine, where: str = "the database") -> None:
        _require_postgres(engine)
        self.engine = engine
        self.where = where

    def configure(self, host: str, rate: float, burst: int = 1) -> None:
        """Create the host's cell, or set its rate and burst (the latest worker's wins)."""
        if not rate > 0 or burst < 1:
            raise ConfigError("the budget needs a rate above 0 and a burst of at least 1")
        stmt = sa.text(
            "INSERT INTO api_budget (host, rate, burst) VALUES (:host, :rate, :burst) "
            "ON CONFLICT (host) DO UPDATE SET rate = :rate, burst = :burst"
        )
        with mapped_errors(self.where), self.engine.begin() as conn:
            conn.execute(stmt, {"host": host, "rate": rate, "burst": burst})

    def take(self, host: str) -> float:
        """Reserve the next send slot of `host`; returns the seconds to wait before sending."""
        with mapped_errors(self.where), self.engine.begin() as conn:
            wait = conn.execute(_TAKE, {"host": host}).scalar()
        if wait is None:
            raise ConfigError(f"no budget is set for {host}", hint="configure the budget first")
        return max(0.0, float(wait))

    def pause(self, host: str, seconds: float) -> None:
        """Hold every worker's next request to `host` for `seconds` (the API said 429)."""
        with mapped_errors(self.where), self.engine.begin() as conn:
            conn.execute(_PAUSE, {"host": host, "seconds": max(0.0, seconds)})


def usage(engine: Engine, where: str = "the database") -> list[HostUsage]:
    """Every host's cell: rate, requests taken, 429s, reservations ahead, pause left."""
    _require_postgres(engine)
    with mapped_errors(where), engine.connect() as conn:
        return [HostUsage(*row) for row in conn.execute(_USAGE)]


__all__ = ["Budget", "HostUsage", "api_budget", "usage"]
