"""Worker jobs: the retry strategy honours Retry-After and gives up into a failed job; the
distributed commands refuse a SQLite database with one line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from procrastinate.jobs import Job

from halotrack.cli import main
from halotrack.workers.jobs import MAX_ATTEMPTS, CheckFailed, HonourRetryAfter


def _job(attempts: int) -> Job:
    return Job(id=1, queue="halotrack", lock=None, queueing_lock=None,
               task_name="halotrack.check_player", attempts=attempts)  # fmt: skip


def _retries_in(strategy: Any, exception: BaseException, job: Job, seconds: int) -> bool:
    """Whether the strategy retries `seconds` from now. procrastinate turns the delay into
    `retry_at` with the wall clock, so the clock is read just before and just after: the
    delay lies between the two, however long a busy machine took in between."""
    before = datetime.now(UTC)
    decision = strategy.get_retry_decision(exception=exception, job=job)
    after = datetime.now(UTC)
    wait = timedelta(seconds=seconds)
    return bool(decision.retry_at - after <= wait <= decision.retry_at - before)


def test_backoff_doubles_and_never_undercuts_retry_after() -> None:
    strategy = HonourRetryAfter(max_attempts=5, base=2, cap=600)
    for attempts, wait in enumerate([2, 4, 8, 16]):
        assert _retries_in(strategy, CheckFailed("x"), _job(attempts), wait), attempts
    assert _retries_in(strategy, CheckFailed("429", retry_after=90), _job(0), 90)


def test_gives_up_after_max_attempts_and_on_other_errors() -> None:
    strategy = HonourRetryAfter()
    assert (
        strategy.get_retry_decision(exception=CheckFailed("x"), job=_job(MAX_ATTEMPTS - 1)) is None
    )
    assert strategy.get_retry_decision(exception=ValueError("bug"), job=_job(0)) is None


@pytest.mark.parametrize("command", [["worker"], ["status"]])
def test_distributed_commands_refuse_sqlite(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--db", str(tmp_path / "x.sqlite"), *command])
    err = capsys.readouterr().err
    assert code != 0 and "PostgreSQL" in err and len(err.strip().splitlines()) == 1


def test_a_csr_fill_waits_for_its_checks_then_retries_like_a_check() -> None:
    from halotrack.workers.jobs import ChecksRunning, WhenChecksDone

    strategy = WhenChecksDone(every=1, patience=timedelta(seconds=10))
    assert _retries_in(strategy, ChecksRunning("3 left"), _job(7), 1)
    # past its patience the fill gives up (and stays failed, for `status`)
    assert strategy.get_retry_decision(exception=ChecksRunning("x"), job=_job(10)) is None
    # a failed CSR request backs off as a check does, and gives up as a check does
    assert _retries_in(strategy, CheckFailed("x"), _job(2), 8)
    assert strategy.get_retry_decision(exception=ValueError("bug"), job=_job(0)) is None


@pytest.mark.postgres
async def test_status_lists_failed_match_syncs_with_the_reason(pg_schema_url: str) -> None:
    import sqlalchemy as sa

    from halotrack.store import open_store
    from halotrack.workers.jobs import MATCHES_TASK, QUEUE
    from halotrack.workers.run import install_queue_schema
    from halotrack.workers.status import read_status

    assert await install_queue_schema(pg_schema_url)
    with open_store(pg_schema_url) as store:
        store.watch_add(2533274800000001, gamertag="Someone")
        store.watch_failed(2533274800000001, "matches: boom (500)", next_check_at=None)
        with store.engine.begin() as conn:
            for task, status in [(MATCHES_TASK, "failed"), ("halotrack.fill_csr", "failed"),
                                 (MATCHES_TASK, "succeeded")]:  # fmt: skip
                conn.execute(
                    sa.text(
                        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status) "
                        "VALUES (:q, :t, CAST(:a AS jsonb), CAST(:s AS procrastinate_job_status))"
                    ),
                    {
                        "q": QUEUE,
                        "t": task,
                        "a": '{"xuid": 2533274800000001, "count": 3}',
                        "s": status,
                    },
                )
        status = read_status(store)
    assert [(x, r) for _, x, r in status.failed_checks] == [
        (2533274800000001, "matches: boom (500)")
    ]
    assert status.jobs[MATCHES_TASK] == {"failed": 1, "succeeded": 1}


@pytest.mark.postgres
@pytest.mark.parametrize("analyze_after", [5, 100])
def test_a_large_tick_gives_the_queue_fresh_statistics(
    pg_schema_url: str, monkeypatch: pytest.MonkeyPatch, analyze_after: int
) -> None:
    """procrastinate's fetch, planned for an empty queue, scanned the whole queue per job
    once 20,000 checks waited (bench/scale.py); a tick deferring many checks analyzes it."""
    import asyncio
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from halotrack.store import open_store
    from halotrack.workers import jobs
    from halotrack.workers.run import install_queue_schema

    monkeypatch.setattr(jobs, "ANALYZE_AFTER", analyze_after)
    assert asyncio.run(install_queue_schema(pg_schema_url))
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    with open_store(pg_schema_url) as store:
        for i in range(6):
            store.watch_add(2533274800000001 + i, gamertag=f"P{i}", now=now)
        assert jobs._defer_due(store, now, limit=4) == (6, 0)  # two batches
        with store.engine.connect() as conn:
            queued = conn.execute(sa.text("SELECT count(*) FROM procrastinate_jobs")).scalar()
            estimate = conn.execute(
                sa.text("SELECT reltuples FROM pg_class WHERE oid = 'procrastinate_jobs'::regclass")
            ).scalar()
    assert queued == 8  # six checks, a CSR fill per batch
    assert estimate == (8 if analyze_after <= 6 else -1)  # -1: never analyzed
