"""What to fetch and when: change detection, snapshot cycles, scheduling, the demo.

    tracker = Tracker(client, store, clock=sim.clock.now)   # clock: aware UTC datetimes
    report = await tracker.run_cycle()                       # CycleReport
    with TrackerLock(database_url):                          # one tracker per database
        ...

`watch` helpers (`resolve_players`, `add_players`) resolve gamertags to XUIDs once through
the profile service. `next_check_at(now, last_played_at)` is the scheduling policy. The
tracker talks to `halotrack.waypoint` and `halotrack.store` only.
"""

from __future__ import annotations

from halotrack.tracker.cycle import CycleReport, Failure, Tracker
from halotrack.tracker.lock import TrackerBusy, TrackerLock
from halotrack.tracker.metadata import Metadata, StoreEtagCache
from halotrack.tracker.policy import check_interval, next_check_at
from halotrack.tracker.simtokens import SimulatorTokens
from halotrack.tracker.watch import add_players, resolve_players

__all__ = [
    "CycleReport",
    "Failure",
    "Metadata",
    "SimulatorTokens",
    "StoreEtagCache",
    "Tracker",
    "TrackerBusy",
    "TrackerLock",
    "add_players",
    "check_interval",
    "next_check_at",
    "resolve_players",
]
