"""What `halotrack record` adds to the service record: career rank progress (live, from the
economy service and the career track) and a summary of the stored matches (PvP apart from
PvE, performance against the skill service's expectation).

Why here: the rank a progress answer means, how far it is to the next, and which stored
matches count in the headline are decisions the CLI, the page and scripts share; the
command calls these and renders what comes back.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from halotrack.models import CareerRankProgress, CareerRankTrack
from halotrack.store import Store
from halotrack.usecases.insights import Totals, performance_trend, pvp_and_pve
from halotrack.usecases.plain import field_dict
from halotrack.waypoint import Player, WaypointClient

# ---------------------------------------------------------------------------- career rank


@dataclass(frozen=True, slots=True)
class CareerProgress:
    """The career rank: `rank` is the one being worked on (1 to the track's last), `xp` the
    XP earned inside it out of `xp_needed` to reach `next_title` (None at the top)."""

    rank: int
    title: str
    next_title: str | None
    xp: int
    xp_needed: int | None
    total_xp: int  # from rank 1: the ranks below, plus `xp`
    xp_per_match: float | None  # total XP over matchmade matches completed; None: unknown

    @property
    def progress(self) -> float:
        """Share of the way to the next rank (1.0 at the top)."""
        if not self.xp_needed:
            return 1.0
        return min(1.0, self.xp / self.xp_needed)

    def as_dict(self) -> dict[str, Any]:
        d = field_dict(self)
        if self.xp_per_match is not None:
            d["xp_per_match"] = round(self.xp_per_match, 1)
        d["progress"] = round(self.progress, 4)
        return d


def career_progress(
    progress: CareerRankProgress, track: CareerRankTrack, matches: int | None = None
) -> CareerProgress:
    """Where a progress answer stands on the track. `matches`: the matchmade matches the
    player completed (lifetime), for the average XP per match (matches give the XP the
    career counts; a career of 0 matches has no average)."""
    last = max((r.rank for r in track.ranks), default=1)
    rank = min(max(progress.rank, 1), last)
    here, after = track.rank(rank), track.rank(rank + 1)
    xp = progress.partial_xp
    total = track.xp_to_reach(rank) + xp
    return CareerProgress(
        rank=rank,
        title=here.title if here is not None else f"Rank {rank}",
        next_title=after.title if after is not None else None,
        xp=xp,
        xp_needed=here.xp_required_for_rank if here is not None and after is not None else None,
        total_xp=total,
        xp_per_match=total / matches if matches else None,
    )


async def read_career(
    client: WaypointClient, who: Player, matches: int | None = None
) -> CareerProgress:
    """The player's career rank progress, live."""
    progress, track = await asyncio.gather(
        client.economy.career_rank_progress(who), client.gamecms.career_rank_track()
    )
    return career_progress(progress, track, matches)


# ---------------------------------------------------------------------------- stored summary


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """The stored matches of a player: the headline (PvP matchmade) apart from PvE and
    custom games, and the mean performance index of the PvP matches that have one."""

    pvp: Totals
    pve: Totals
    custom: Totals
    mean_index: float | None
    indexed_matches: int

    @property
    def kills_vs_expected(self) -> float | None:
        """PvP kills minus the kills expected, over the matches with an expectation (a
        sum over all matches would compare kills of matches without one)."""
        if self.pvp.expected_kills is None or self.pvp.expected_matches != self.pvp.matches:
            return None
        return self.pvp.kills - self.pvp.expected_kills

    def as_dict(self) -> dict[str, Any]:
        kve = self.kills_vs_expected
        return {
            "pvp": self.pvp.as_dict(),
            "pve": self.pve.as_dict(),
            "custom": self.custom.as_dict(),
            "performance": {
                "mean_index": round(self.mean_index, 3) if self.mean_index is not None else None,
                "matches": self.indexed_matches,
                "kills_vs_expected": round(kve, 3) if kve is not None else None,
            },
        }


def stored_summary(store: Store, player: str) -> StoredSummary:
    """The summary of a player's stored matches (`Unknown` when none is stored)."""
    plays = pvp_and_pve(store, player)
    trend = performance_trend(store, player, play="pvp")
    n = sum(t.matches for t in trend)
    mean = sum(t.mean_index * t.matches for t in trend) / n if n else None
    return StoredSummary(plays["pvp"], plays["pve"], plays["custom"], mean, n)
