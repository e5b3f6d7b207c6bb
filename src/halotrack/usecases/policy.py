"""When to look at a player again: a small pure function, so the schedule is easy to test.

Why: most watched players are idle most of the time. Asking about them every cycle costs a
request each; asking less often the longer they have been idle keeps a large watch list cheap
while an active player is still checked every cycle.
"""

from __future__ import annotations

from datetime import datetime, timedelta

IDLE_WEEK = timedelta(days=7)
IDLE_MONTH = timedelta(days=30)
EVERY_6H = timedelta(hours=6)
DAILY = timedelta(days=1)


def check_interval(now: datetime, last_played_at: datetime | None) -> timedelta:
    """How long to wait before the next check of a player last seen playing at
    `last_played_at` (None: never seen playing, treated as idle for a month).

    Played within a day: every cycle (0). Idle up to a week: every cycle still, since a
    casual player often returns within days. Idle a week or more: every 6 h. Idle a month
    or more: daily.
    """
    if last_played_at is None:
        return DAILY
    idle = now - last_played_at
    if idle < IDLE_WEEK:
        return timedelta(0)
    if idle < IDLE_MONTH:
        return EVERY_6H
    return DAILY


def next_check_at(now: datetime, last_played_at: datetime | None) -> datetime | None:
    """The moment a player is due again; None means "every cycle" (due immediately)."""
    interval = check_interval(now, last_played_at)
    return None if interval <= timedelta(0) else now + interval
