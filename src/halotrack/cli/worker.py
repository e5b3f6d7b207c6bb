"""`halotrack worker [--concurrency N]`: a procrastinate worker for a community instance.

Why here: the work is `halotrack.workers`; this module only reads the options. PostgreSQL
only (the job queue and the shared API budget live in the database).
"""

from __future__ import annotations

from typing import Annotated

import typer

from halotrack.cli.common import err_console, run, state


def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", help="Jobs run at once by this worker.")
    ] = 4,
    rate: Annotated[
        float,
        typer.Option(help="Requests per second per API host, shared by every worker."),
    ] = 5.0,
    burst: Annotated[int, typer.Option(help="Requests per API host that may go at once.")] = 1,
    stalled_after: Annotated[
        float,
        typer.Option(help="Seconds without a worker's heartbeat before its jobs rerun."),
    ] = 30.0,
    name: Annotated[str | None, typer.Option(help="This worker's name in the queue.")] = None,
) -> None:
    """Run a job queue worker (PostgreSQL): checks due players.

    Start as many as the budget needs, on any machine, with the same --db (PostgreSQL,
    after `halotrack db upgrade`). SIGTERM or Ctrl-C: jobs in flight finish first."""
    from halotrack.workers.run import postgres_url, run_worker

    settings = state(ctx).settings()
    postgres_url(settings.database_url(), "`halotrack worker`")
    try:
        run(
            run_worker(
                settings,
                concurrency=concurrency,
                rate=rate,
                burst=burst,
                stalled_after=stalled_after,
                name=name,
            )
        )
    except KeyboardInterrupt:
        err_console.print("worker stopped; unfinished jobs go back to the queue")
        raise typer.Exit(130) from None
