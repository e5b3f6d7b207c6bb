"""economy models: career rank progress. No recorded sample exists; the shape follows what
public clients describe, with every field optional (so a surprise costs nothing) except
`CurrentProgress`, the one the answer exists for."""

from __future__ import annotations

from halotrack.models._base import Leaf, Response


class RankProgress(Leaf, frozen=True):
    rank: int = 0
    partial_progress: int = 0
    is_override: bool = False


class CareerRankProgress(Response, frozen=True):
    """`/hi/players/{xuid}/rewardtracks/careerranks/careerrank1`."""

    current_progress: RankProgress | None
    reward_track_path: str | None = None
    track_type: str | None = None
    previous_progress: RankProgress | None = None
    is_owned: bool | None = None
    base_xp: int | None = None
    boost_xp: int | None = None

    @property
    def rank(self) -> int:
        return self.current_progress.rank if self.current_progress else 0

    @property
    def partial_xp(self) -> int:
        """XP earned inside the current rank."""
        return self.current_progress.partial_progress if self.current_progress else 0
