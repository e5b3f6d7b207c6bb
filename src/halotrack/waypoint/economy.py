"""economy: career rank progress of a player."""

from __future__ import annotations

from halotrack.models import CareerRankProgress
from halotrack.waypoint._base import Service
from halotrack.waypoint.players import Player, parse_player
from halotrack.waypoint.transport import HINT_404_PLAYER


class EconomyService(Service):
    """`economy.svc.halowaypoint.com`."""

    name = "economy"

    async def career_rank_progress(self, player: int | str | Player) -> CareerRankProgress:
        """Current career rank and XP toward the next one."""
        who = parse_player(player)
        return await self._get(
            f"/hi/players/{who.segment}/rewardtracks/careerranks/careerrank1",
            model=CareerRankProgress,
            not_found=HINT_404_PLAYER,
        )
