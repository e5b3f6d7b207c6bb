"""halotrack's procrastinate tasks: the scheduler tick, one check job per player, recovery.

Why this shape:

- *Schedule*: a periodic task (deduplicated by procrastinate, so one tick runs per period
  however many workers there are) picks due players with `FOR UPDATE SKIP LOCKED` and, in
  the same transaction, leases them (`next_check_at` moves `LEASE` ahead) so the next tick
  does not pick them again while their job waits, and defers their jobs (through
  procrastinate's SQL function, in that transaction: a tick killed half-way leaves no
  player leased without a job); the job's own write sets the real `next_check_at`
  (adaptive polling, `usecases.policy`). A player due "every cycle" (no `next_check_at`)
  is due again `CYCLE` after their last check, as with `halotrack track --every 10m`.
- *Check*: one job per player, deferred with a queueing lock (at most one waiting check per
  player: checks never pile up) and a lock (two checks of one player never run at once).
  The job is the single-process tracker's cycle over that one player, so both modes store
  the same rows, but for two steps a `track` cycle does for many players at once:
- *Match sync*: a check that finds new matches defers a `sync_matches` job for the player
  (queueing lock: one waiting per player; the player's lock: it runs after the check, and
  the next check after it), so a long backfill holds a worker slot of its own rather than
  the check's. The count stays old until the sync settles it, as in `track`: a sync lost
  between the check and its deferral is found again by the next check.
- *CSR of the batch*: checks ask no CSR; each tick also defers one `fill_csr` job for the
  players it deferred: once their checks are done (it waits by retrying), it asks CSR for
  all of them who played, one request per ranked playlist, as a `track` cycle does.
- *Fail*: a failed check raises `CheckFailed`; the retry strategy retries it with backoff,
  never sooner than a 429's Retry-After; after `MAX_ATTEMPTS` the job stays `failed`
  (`halotrack status` shows it with the reason kept on the player's watch row).
- *Recover*: a killed worker stops its heartbeat; a periodic task puts its jobs back to
  `todo`, so another worker picks them up (each player's snapshots are one transaction, so
  a half-done check left nothing half-written).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import procrastinate
import sqlalchemy as sa
from procrastinate import exceptions as pexc
from procrastinate import testing as ptesting
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from halotrack.errors import ConfigError
from halotrack.models import ServiceRecord
from halotrack.store import Store, WatchEntry, to_thread
from halotrack.store.budget import Budget
from halotrack.store.schema import watch_list
from halotrack.usecases import Tracker
from halotrack.waypoint import WaypointClient

log = logging.getLogger("halotrack.workers")

QUEUE = "halotrack"
CHECK_TASK = "halotrack.check_player"
FILL_TASK = "halotrack.fill_csr"
MATCHES_TASK = "halotrack.sync_matches"
LOCK_PREFIX = "halotrack:player:"
QUEUEING_PREFIX = "halotrack:check:"
MATCHES_PREFIX = "halotrack:matches:"
LEASE = timedelta(hours=1)
CYCLE = timedelta(minutes=10)  # "check every cycle" (no next_check_at): at most this often
BATCH = 5000  # due players leased per transaction: one CSR fill each
ANALYZE_AFTER = 1000  # checks deferred by one tick that call for fresh queue statistics
MAX_ATTEMPTS = 5
BASE_DELAY = 2  # seconds, doubled per attempt
MAX_DELAY = 600
TICK_CRON = "* * * * * */2"  # every 2 seconds (6th column: seconds)
CLEANUP_CRON = "17 * * * *"  # hourly
KEEP_FINISHED = timedelta(hours=24)
STALLED_AFTER = 30.0  # seconds without a worker heartbeat: its jobs are retried


class CheckFailed(Exception):
    """A player's check failed (recorded on the watch row); retried by procrastinate."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChecksRunning(Exception):
    """A batch's CSR fill waits: some of the batch's checks are still queued or running."""


class WhenChecksDone(BaseRetryStrategy):
    """Retry a fill every `every` seconds while its checks run (a stalled check is put back
    within `STALLED_AFTER`; one failing for good ends `failed`, which ends the wait)."""

    def __init__(self, every: int = 1, patience: timedelta = LEASE) -> None:
        self.every, self.patience = every, patience

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if not isinstance(exception, ChecksRunning):
            return HonourRetryAfter().get_retry_decision(exception=exception, job=job)
        if job.attempts * self.every >= self.patience.total_seconds():
            return None
        return RetryDecision(retry_in={"seconds": self.every})


class HonourRetryAfter(BaseRetryStrategy):
    """Exponential backoff, never sooner than the API's Retry-After, `MAX_ATTEMPTS` runs."""

    def __init__(
        self, max_attempts: int = MAX_ATTEMPTS, base: int = BASE_DELAY, cap: int = MAX_DELAY
    ) -> None:
        self.max_attempts, self.base, self.cap = max_attempts, base, cap

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if not isinstance(exception, CheckFailed) or job.attempts + 1 >= self.max_attempts:
            return None
        wait = min(self.cap, self.base * 2**job.attempts)
        if exception.retry_after:
            wait = max(wait, exception.retry_after)
        return RetryDecision(retry_in={"seconds": wait})


@dataclass
class Runtime:
    """What a worker process's jobs share: one store, one client on the shared budget."""

    store: Store
    client: WaypointClient
    budget: Budget
    sync_matches: bool = True
    stalled_after: float = STALLED_AFTER
    extra: dict[str, Any] = field(default_factory=dict)


def _runtime(context: JobContext) -> Runtime:
    rt = context.additional_context.get("runtime")
    if not isinstance(rt, Runtime):
        raise ConfigError("halotrack jobs run only inside `halotrack worker`")
    return rt


app = procrastinate.App(connector=ptesting.InMemoryConnector())
"""The task registry; `halotrack.workers.run` gives it the PostgreSQL connector."""


@app.task(name=CHECK_TASK, queue=QUEUE, pass_context=True, retry=HonourRetryAfter())
async def check_player(context: JobContext, xuid: int) -> dict[str, Any]:
    """One tracking cycle over one player, exactly as `halotrack track` runs it."""
    rt = _runtime(context)
    entry = await to_thread(rt.store.watch_get, xuid)
    if entry is None:
        return {"xuid": xuid, "skipped": "no longer watched"}
    tracker = Tracker(
        rt.client, rt.store, sync_matches=rt.sync_matches, concurrency=4,
        ask_csr=False, matches_later=True,
    )  # fmt: skip
    if not rt.client.transport.server_clock.observed:
        await rt.client.sync_clock()
    report = await tracker.run_entries([entry], watched=1)
    if report.failures:
        failure = report.failures[0]
        raise CheckFailed(failure.text(), retry_after=await _pause_left(rt))
    for x, count in tracker.matches_due.items():
        deferrer = sync_matches.configure(
            lock=f"{LOCK_PREFIX}{x}", queueing_lock=f"{MATCHES_PREFIX}{x}"
        )
        # One already waiting stores these matches too; the older count it settles only
        # makes the next check fetch the player again.
        with contextlib.suppress(pexc.AlreadyEnqueued):
            await deferrer.defer_async(xuid=x, count=count)
    return {"xuid": xuid, "played": report.played, "requests": report.requests}


@app.task(name=MATCHES_TASK, queue=QUEUE, pass_context=True, retry=HonourRetryAfter())
async def sync_matches(context: JobContext, xuid: int, count: int) -> dict[str, Any]:
    """A player's new matches, found by their check, with the count, bests and sessions."""
    rt = _runtime(context)
    entry = await to_thread(rt.store.watch_get, xuid)
    if entry is None:
        return {"xuid": xuid, "skipped": "no longer watched"}
    tracker = Tracker(rt.client, rt.store, sync_matches=True, concurrency=4)
    new, failure = await tracker.sync_player(entry, count)
    if failure is not None:
        raise CheckFailed(failure.text(), retry_after=await _pause_left(rt))
    return {"xuid": xuid, "matches": new}


_RUNNING = sa.text(
    "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task "
    "AND status IN ('todo', 'doing') AND (args->>'xuid')::bigint = ANY(:xuids)"
)
_CSR_DONE = sa.text(
    "SELECT xuid, playlist_id FROM csr_snapshots WHERE xuid = ANY(:xuids) AND verified_at >= :since"
)


def _batch(
    store: Store, xuids: list[int], since: datetime
) -> tuple[int, list[tuple[WatchEntry, ServiceRecord, set[str]]]]:
    """(checks of the batch still to run, the batch's players who played with their
    lifetime record and the playlists whose CSR their check stored)."""
    from halotrack.models.decoding import decode_as

    with store.engine.connect() as conn:
        running = int(conn.execute(_RUNNING, {"task": CHECK_TASK, "xuids": xuids}).scalar_one())
        if running:
            return running, []
        done: dict[int, set[str]] = {}
        for x, pid in conn.execute(_CSR_DONE, {"xuids": xuids, "since": since}):
            done.setdefault(int(x), set()).add(str(pid))
    played = []
    with store.reader() as tx:
        for x in xuids:
            entry = tx.watch_get(x)
            seen = entry and entry.last_played_at and entry.last_checked_at
            if entry is None or not seen or entry.last_played_at < since:  # type: ignore[operator]
                continue
            record = tx.latest_record(x)
            if record is not None:
                lifetime = decode_as(ServiceRecord, record.raw_json, source="store")
                played.append((entry, lifetime, done.get(x, set())))
    return 0, played


@app.task(name=FILL_TASK, queue=QUEUE, pass_context=True, retry=WhenChecksDone())
async def fill_csr(context: JobContext, xuids: list[int], since: str) -> dict[str, Any]:
    """A tick's batch, once its checks are done: the CSR a `track` cycle over all of them
    would have stored and their checks did not (see the module's docstring)."""
    rt = _runtime(context)
    running, played = await to_thread(_batch, rt.store, xuids, datetime.fromisoformat(since))
    if running:
        raise ChecksRunning(f"{running} checks of the batch still to run")
    tracker = Tracker(rt.client, rt.store, sync_matches=False)
    stored, errors = await tracker.fill_csr(played)
    if errors:
        raise CheckFailed("; ".join(errors[:3]), retry_after=await _pause_left(rt))
    return {"players": len(played), "csr": stored}


async def _pause_left(rt: Runtime) -> float | None:
    """The longest pause a 429 put on any host: a retry before it ends would only wait."""
    from halotrack.store.budget import usage

    try:
        hosts = await to_thread(usage, rt.budget.engine)
    except Exception:  # the retry delay is a courtesy; the failure itself is what counts
        return None
    return max((h.paused for h in hosts), default=0.0) or None


# Deferred in the lease's own transaction, through procrastinate's SQL function (what its
# `defer` runs), so a tick killed half-way leaves no player leased without a job.
_DEFER = sa.text(
    """
    SELECT procrastinate_defer_jobs_v1(ARRAY(
        SELECT ROW(CAST(:queue AS text), CAST(:task AS text), 0,
                   CAST(:lock AS text) || x, CAST(:queueing AS text) || x,
                   jsonb_build_object('xuid', x), NULL)::procrastinate_job_to_defer_v1
          FROM unnest(CAST(:xuids AS bigint[])) AS x
        UNION ALL
        SELECT ROW(CAST(:queue AS text), CAST(:fill AS text), 0, NULL, NULL,
                   jsonb_build_object('xuids', CAST(:xuids AS bigint[]),
                                      'since', CAST(:since AS text)),
                   now() + interval '1 second')::procrastinate_job_to_defer_v1
    ))
    """
)
_WAITING = sa.text(
    "SELECT CAST(substr(queueing_lock, length(:queueing) + 1) AS bigint) "
    "FROM procrastinate_jobs WHERE status = 'todo' "
    "AND queueing_lock = ANY(CAST(:locks AS text[]))"
)


def _lease_due(store: Store, now: datetime, limit: int) -> tuple[list[int], int]:
    """Due players, locked so that concurrent ticks skip them, leased and deferred in one
    transaction, with the batch's CSR fill: (deferred, already waiting)."""
    wl = watch_list
    every_cycle = sa.and_(
        wl.c.next_check_at.is_(None),
        sa.or_(wl.c.last_checked_at.is_(None), wl.c.last_checked_at <= now - CYCLE),
    )
    due = (
        sa.select(wl.c.xuid)
        .where(sa.or_(every_cycle, wl.c.next_check_at <= now))
        .order_by(wl.c.next_check_at.asc().nulls_first(), wl.c.xuid)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with store.engine.begin() as conn:
        xuids = [int(x) for x in conn.execute(due).scalars()]
        if not xuids:
            return [], 0
        conn.execute(sa.update(wl).where(wl.c.xuid.in_(xuids)).values(next_check_at=now + LEASE))
        locks = [f"{QUEUEING_PREFIX}{x}" for x in xuids]
        waiting = {
            int(x)
            for x in conn.execute(_WAITING, {"queueing": QUEUEING_PREFIX, "locks": locks}).scalars()
        }
        batch = [x for x in xuids if x not in waiting]
        if batch:
            # "Played in this batch": since a little before now. A player's previous check
            # was at least CYCLE ago (the lease rule), and workers' clocks differ by less.
            conn.execute(
                _DEFER,
                {
                    "queue": QUEUE, "task": CHECK_TASK, "fill": FILL_TASK, "xuids": batch,
                    "lock": LOCK_PREFIX, "queueing": QUEUEING_PREFIX,
                    "since": (now - CYCLE / 2).isoformat(),
                },
            )  # fmt: skip
    return batch, len(xuids) - len(batch)


async def schedule_due(rt: Runtime, *, limit: int = BATCH) -> tuple[int, int]:
    """Defer one check per due player (by the API's clock), and a CSR fill per batch;
    returns (deferred, already waiting). Called by the periodic tick."""
    # The API's time moves on its own (a simulator's jumps): read it fresh each tick.
    await rt.client.gamecms.season_calendar()
    now = rt.client.now()
    return await to_thread(_defer_due, rt.store, now, limit)


def _defer_due(store: Store, now: datetime, limit: int) -> tuple[int, int]:
    """`schedule_due`'s batches; after a large one, fresh statistics for the queue's table.

    Why: procrastinate's fetch is a PL/pgSQL function whose plan PostgreSQL caches; planned
    for the near-empty table a new instance starts with, it checks every waiting job's lock
    by scanning the whole queue. With 20,000 checks deferred at once, four workers spent
    40-60 s in each fetch and checked a player every few seconds, until an ANALYZE. Where
    autovacuum runs it would analyze within a minute; some installs turn it off."""
    deferred = waiting = 0
    while True:
        batch, already = _lease_due(store, now, limit)
        deferred, waiting = deferred + len(batch), waiting + already
        if len(batch) + already < limit:
            break
    if deferred >= ANALYZE_AFTER:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE procrastinate_jobs")
    return deferred, waiting


@app.periodic(cron=TICK_CRON, periodic_id="schedule")
@app.task(name="halotrack.schedule", queue=QUEUE, pass_context=True, queueing_lock="schedule")
async def tick(context: JobContext, timestamp: int) -> dict[str, int]:
    """The scheduler: defers checks of due players, then recovers stalled jobs."""
    rt = _runtime(context)
    deferred, waiting = await schedule_due(rt)
    recovered = await recover_stalled(context.app, rt.stalled_after)
    return {"deferred": deferred, "waiting": waiting, "recovered": recovered}


@app.periodic(cron=CLEANUP_CRON, periodic_id="cleanup")
@app.task(name="halotrack.cleanup", queue=QUEUE, pass_context=True, queueing_lock="cleanup")
async def cleanup(context: JobContext, timestamp: int) -> None:
    """Delete succeeded jobs finished more than `KEEP_FINISHED` ago (a check per player per
    cycle would grow the queue's table without bound); failed ones stay, for `status`.
    The same call as procrastinate's builtin `remove_old_jobs`, on halotrack's queue."""
    await context.app.job_manager.delete_old_jobs(
        nb_hours=int(KEEP_FINISHED.total_seconds() // 3600), queue=QUEUE
    )


async def recover_stalled(papp: procrastinate.App, stalled_after: float) -> int:
    """Put the running jobs of workers silent for `stalled_after` seconds back to `todo`."""
    stalled = await papp.job_manager.get_stalled_jobs(
        queue=QUEUE, seconds_since_heartbeat=stalled_after
    )
    n = 0
    for job in stalled:
        try:
            await papp.job_manager.retry_job(job)
        except pexc.ConnectorException:
            # Ticks may overlap (a slow one and the next): the other put it back first.
            log.info("job %s of a silent worker was already put back", job.id)
            continue
        log.warning("job %s of a silent worker is retried", job.id)
        n += 1
    return n
