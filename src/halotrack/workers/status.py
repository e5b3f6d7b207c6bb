"""What `halotrack status` shows: the queue, due players, the budget per host, failures.

Why: an operator of a community instance needs one look to know whether the workers keep
up (queue depth, due players), whether the budget is spent well (rate used per host, 429s)
and what is failing and why (failed jobs with the reason kept on the player's watch row).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from halotrack.store import Store
from halotrack.store.budget import HostUsage, usage
from halotrack.store.engine import mapped_errors
from halotrack.workers.jobs import CHECK_TASK, MATCHES_TASK, QUEUE

_JOBS = sa.text(
    "SELECT task_name, status::text, count(*) FROM procrastinate_jobs "
    "WHERE queue_name = :queue GROUP BY 1, 2"
)
_FAILED = sa.text(
    "SELECT j.id, (j.args->>'xuid')::bigint AS xuid, w.last_error "
    "FROM procrastinate_jobs j LEFT JOIN watch_list w ON w.xuid = (j.args->>'xuid')::bigint "
    "WHERE j.queue_name = :queue AND j.task_name = ANY(:tasks) AND j.status = 'failed' "
    "ORDER BY j.id DESC LIMIT :limit"
)
_WORKERS = sa.text(
    "SELECT count(*) FROM procrastinate_workers "
    "WHERE last_heartbeat > now() - make_interval(secs => :secs)"
)
_PLAYERS = sa.text(
    "SELECT count(*), "
    "count(*) FILTER (WHERE next_check_at IS NULL OR next_check_at <= now()), "
    "count(*) FILTER (WHERE last_error IS NOT NULL) FROM watch_list"
)


@dataclass
class Status:
    jobs: dict[str, dict[str, int]]  # task -> status -> count
    watched: int
    due: int
    failing_players: int
    workers: int
    hosts: list[HostUsage]
    failed_checks: list[tuple[int, int | None, str | None]] = field(default_factory=list)

    @property
    def queue_depth(self) -> int:
        return sum(by.get("todo", 0) for by in self.jobs.values())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["queue_depth"] = self.queue_depth
        d["hosts"] = [{**asdict(h), "average_rate": h.average_rate} for h in self.hosts]
        d["failed_checks"] = [{"job": j, "xuid": x, "reason": r} for j, x, r in self.failed_checks]
        return d


def read_status(store: Store, *, failed_limit: int = 10, alive_within: float = 60.0) -> Status:
    """The instance's state from its database (PostgreSQL: the job queue lives there)."""
    with mapped_errors(store.where), store.engine.connect() as conn:
        jobs: dict[str, dict[str, int]] = {}
        for task, status, n in conn.execute(_JOBS, {"queue": QUEUE}):
            jobs.setdefault(task, {})[status] = int(n)
        watched, due, failing = conn.execute(_PLAYERS).one()
        workers = conn.execute(_WORKERS, {"secs": alive_within}).scalar_one()
        failed = [
            (int(j), None if x is None else int(x), r)
            for j, x, r in conn.execute(
                # a player's failed check or match sync: both keep the reason on the watch row
                _FAILED,
                {"queue": QUEUE, "tasks": [CHECK_TASK, MATCHES_TASK], "limit": failed_limit},
            )
        ]
    return Status(
        jobs=jobs,
        watched=int(watched),
        due=int(due),
        failing_players=int(failing),
        workers=int(workers),
        hosts=usage(store.engine, store.where),
        failed_checks=failed,
    )
