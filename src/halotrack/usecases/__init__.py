"""The use cases: what to fetch and when, match sync, scores, seasons, the watch list.

    tracker = Tracker(client, store, clock=sim.clock.now)   # clock: aware UTC datetimes
    report = await tracker.run_cycle()                       # CycleReport
    with TrackerLock(database_url):                          # one tracker per database
        ...

`watch` helpers (`resolve_players`, `add_players`) resolve gamertags to XUIDs once through
the profile service. `next_check_at(now, last_played_at)` is the scheduling policy. The
use cases talk to `halotrack.waypoint` and `halotrack.store`; `halotrack.wiring` builds
what they are given from settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from halotrack.models.lazy import lazy_exports

if TYPE_CHECKING:
    from halotrack.usecases.cycle import CycleReport, Failure, Tracker
    from halotrack.usecases.lock import TrackerBusy, TrackerLock
    from halotrack.usecases.metadata import Metadata, StoreEtagCache
    from halotrack.usecases.policy import check_interval, next_check_at
    from halotrack.usecases.watch import add_players, resolve_players

# Loaded on first use: a command that needs only `usecases.seasons` must not pay for the
# client and the database layer that `Tracker` brings.
_HOME = {
    "cycle": ("CycleReport", "Failure", "Tracker"),
    "lock": ("TrackerBusy", "TrackerLock"),
    "metadata": ("Metadata", "StoreEtagCache"),
    "policy": ("check_interval", "next_check_at"),
    "watch": ("add_players", "resolve_players"),
}


__getattr__ = lazy_exports(__name__, _HOME)


__all__ = [
    "CycleReport",
    "Failure",
    "Metadata",
    "StoreEtagCache",
    "Tracker",
    "TrackerBusy",
    "TrackerLock",
    "add_players",
    "check_interval",
    "next_check_at",
    "resolve_players",
]
