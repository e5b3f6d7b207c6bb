"""The notification sender in the distributed mode: a periodic procrastinate task.

Why a periodic task rather than one job per event: events are written by the check jobs in
the same transaction as their snapshots, and per-player order needs one sender walking each
target's outbox in order. procrastinate runs one tick per period however many workers there
are, and the lock keeps a slow tick from overlapping the next; a second sender would still be
safe (each delivery is claimed before it is sent), just wasteful.

The targets file is read from the worker's own data folder (`halotrack notify add` on the
machine that runs the workers).
"""

from __future__ import annotations

from procrastinate.job_context import JobContext

from halotrack.store import to_thread
from halotrack.usecases.notify import send_if_targets
from halotrack.wiring.notify import AppriseSender
from halotrack.workers.jobs import QUEUE, _runtime, app

NOTIFY_TASK = "halotrack.notify"
NOTIFY_CRON = "* * * * * */10"  # every 10 seconds (6th column: seconds)


@app.periodic(cron=NOTIFY_CRON, periodic_id="notify")
@app.task(
    name=NOTIFY_TASK,
    queue=QUEUE,
    pass_context=True,
    queueing_lock="notify",
    lock="halotrack:notify",
)
async def send_notifications(context: JobContext, timestamp: int) -> dict[str, int]:
    """Deliver what is due to every target, as `halotrack notify send` does."""
    rt = _runtime(context)
    sender = rt.extra.get("notify_sender")
    if not isinstance(sender, AppriseSender):
        sender = rt.extra["notify_sender"] = AppriseSender()
    report = await to_thread(send_if_targets, rt.store, lambda: sender)
    return report.to_dict() if report is not None else {"targets": 0}
