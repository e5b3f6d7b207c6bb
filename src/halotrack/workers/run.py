"""Start a worker process, install the job queue's schema: the wiring of `halotrack worker`.

Why: the CLI stays thin, and tests and the benchmark start workers exactly as it does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from procrastinate import App, PsycopgConnector

import halotrack.workers.notify  # noqa: F401  (registers the notifications task on `app`)
from halotrack.config import Settings
from halotrack.errors import ConfigError
from halotrack.store import Store, open_store
from halotrack.store.budget import Budget
from halotrack.store.engine import parse_url
from halotrack.usecases import StoreEtagCache
from halotrack.wiring.client import client_from_settings
from halotrack.workers.jobs import QUEUE, STALLED_AFTER, Runtime, app
from halotrack.workers.pacing import DEFAULT_BURST, DEFAULT_RATE, BudgetPacer

POLL_SECONDS = 1.0  # procrastinate's default, 5 s, would add up to that to every retry
_HINT_PG = "pass --db postgresql://USER@HOST/DB; with SQLite use `halotrack track`"


def postgres_url(url: str, what: str) -> str:
    """The database URL, refused with one line when it is not PostgreSQL."""
    u = parse_url(url)
    if u.get_backend_name() != "postgresql":
        raise ConfigError(f"{what} needs a PostgreSQL database", hint=_HINT_PG)
    return url


def conninfo(url: str) -> str:
    """A libpq URI for procrastinate's own connections to the same database and schema."""
    u = parse_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[App]:
    """halotrack's task app, open on the PostgreSQL database at `url`."""
    with app.replace_connector(PsycopgConnector(conninfo=conninfo(url))) as papp:
        async with papp.open_async():
            yield papp


async def install_queue_schema(url: str) -> bool:
    """Create procrastinate's tables in the database (its schema search path) unless they
    are there; True when it was installed now."""
    async with connected(postgres_url(url, "the job queue")) as papp:
        row = await papp.connector.execute_query_one_async(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
        )
        if row["present"]:
            return False
        await papp.schema_manager.apply_schema_async()
        return True


@asynccontextmanager
async def runtime(
    settings: Settings, *, rate: float = DEFAULT_RATE, burst: int = DEFAULT_BURST
) -> AsyncIterator[Runtime]:
    """The store, the budget and a client paced by it, for one worker process."""
    url = postgres_url(settings.database_url(), "`halotrack worker`")
    store: Store = open_store(url)
    try:
        budget = Budget(store.engine, store.where)
        pacer = BudgetPacer(budget, rate=rate, burst=burst)
        async with client_from_settings(
            settings, cache=StoreEtagCache(store), pacer=pacer
        ) as client:
            yield Runtime(store=store, client=client, budget=budget)
    finally:
        store.close()


async def run_worker(
    settings: Settings,
    *,
    concurrency: int = 4,
    rate: float = DEFAULT_RATE,
    burst: int = DEFAULT_BURST,
    stalled_after: float = STALLED_AFTER,
    name: str | None = None,
) -> None:
    """Run a worker on halotrack's queue until SIGINT/SIGTERM (jobs in flight finish)."""
    if concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    async with runtime(settings, rate=rate, burst=burst) as rt:
        rt.stalled_after = stalled_after
        async with connected(settings.database_url()) as papp:
            await papp.run_worker_async(
                queues=[QUEUE],
                concurrency=concurrency,
                name=name or "halotrack",
                additional_context={"runtime": rt},
                update_heartbeat_interval=max(0.5, stalled_after / 4),
                # New jobs arrive by LISTEN/NOTIFY; a retry's time comes only by polling.
                fetch_job_polling_interval=POLL_SECONDS,
                stalled_worker_timeout=stalled_after,
            )
