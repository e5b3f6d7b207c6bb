"""`halotrack status`: queue depth, due players, budget use per host, failures.

Why: what to watch on a community instance (see README, "Running a community instance").
"""

from __future__ import annotations

import typer

from halotrack.cli.common import JsonOpt, console, print_json, state


def status(
    ctx: typer.Context,
    as_json: JsonOpt = False,
) -> None:
    """Show the job queue, due players and the API budget.

    Due players are counted by the database's clock; failed checks come with their
    reason. PostgreSQL only."""
    from halotrack.store import open_store
    from halotrack.workers.run import postgres_url
    from halotrack.workers.status import read_status

    url = postgres_url(state(ctx).settings().database_url(), "`halotrack status`")
    with open_store(url, upgrade=False, write=False) as store:
        st = read_status(store)
    if as_json:
        print_json(st.to_dict())
        return
    lines = [
        f"players: {st.watched} watched, {st.due} due, {st.failing_players} failing",
        f"workers: {st.workers} alive; queue: {st.queue_depth} waiting",
    ]
    for task, by in sorted(st.jobs.items()):
        counts = ", ".join(f"{n} {s}" for s, n in sorted(by.items()))
        lines.append(f"  {task.removeprefix('halotrack.')}: {counts}")
    lines.append("API budget per host (requests, 429s, average / allowed rate):")
    for h in st.hosts:
        avg = f"{h.average_rate:.2f}" if h.average_rate is not None else "-"
        extra = f", paused {h.paused:.0f}s" if h.paused else ""
        lines.append(
            f"  {h.host.split('.')[0]}: {h.taken} req, {h.limited} 429s, "
            f"{avg}/{h.rate:g} per s{extra}"
        )
    if st.failed_checks:
        lines.append("failed checks (newest first):")
        for job, xuid, reason in st.failed_checks:
            lines.append(f"  job {job} xuid {xuid}: {reason or 'no reason recorded'}")
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)
