"""economy: career rank progress of a player."""

from __future__ import annotations

from typing import Any

from halotrack.waypoint._base import Service
from halotrack.waypoint.players import Player, parse_player
from halotrack.waypoint.transport import HINT_404_PLAYER


class EconomyService(Service):
    """`economy.svc.halowaypoint.com`."""

    name = "economy"

    async def career_rank_progress(self, player: int | str | Player) -> Any:
        """Current career rank and XP toward the next one."""
        who = parse_player(player)
        return await self._get(
            f"/hi/players/{who.segment}/rewardtracks/careerranks/careerrank1",
            kind="career-rank-progress",
            not_found=HINT_404_PLAYER,
        )
