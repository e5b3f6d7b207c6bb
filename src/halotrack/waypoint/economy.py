"""economy: career rank progress of a player."""

from __future__ import annotations

from halotrack.models import CareerRankProgress
from halotrack.waypoint._base import Service
from halotrack.waypoint.players import Player, parse_player


class EconomyService(Service):
    """`economy.svc.halowaypoint.com`."""

    name = "economy"

    async def career_rank_progress(self, player: int | str | Player) -> CareerRankProgress:
        """Current career rank and XP toward the next one."""
        path = "rewardtracks/careerranks/careerrank1"
        return await self._player_get(parse_player(player), path, model=CareerRankProgress)
