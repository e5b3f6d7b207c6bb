"""skill models: playlist CSR per player, and per-match skill (CSR before/after, expectations).

Why: both answers share the CSR block; labels and progress come from `csr.py` so the client,
the simulator and the page name a rank the same way.
"""

# ruff: noqa: RUF012  (msgspec copies empty list/dict defaults per instance)

from __future__ import annotations

from typing import Any, ClassVar

from halotrack.models._base import Leaf, Model, Response
from halotrack.models.csr import csr_label, is_ranked, next_step_label, progress_to_next
from halotrack.models.enums import CsrResultCode
from halotrack.models.xuid import maybe_xuid


class Csr(Leaf, frozen=True):
    """One CSR reading. Unranked (still placing) is `value == -1` with an empty tier."""

    value: int = -1
    measurement_matches_remaining: int = 0
    tier: str = ""
    tier_start: int = 0
    sub_tier: int = 0
    next_tier: str = ""
    next_tier_start: int = 0
    next_sub_tier: int = 0
    initial_measurement_matches: int = 0
    demotion_protection_matches_remaining: int | None = None
    initial_demotion_protection_matches: int | None = None

    @property
    def is_ranked(self) -> bool:
        return is_ranked(self.value, self.tier)

    @property
    def label(self) -> str:
        """`Diamond 6 (1487)`, `Onyx 1549`, `Unranked, 3 placement matches left`."""
        return csr_label(self.value, self.tier, self.sub_tier, self.measurement_matches_remaining)

    @property
    def progress(self) -> float | None:
        """0..1 of the way to the next sub-tier; None when unranked or in Onyx."""
        if not self.is_ranked:
            return None
        return progress_to_next(self.value, self.tier_start, self.next_tier_start)

    @property
    def next_label(self) -> str | None:
        """The next step up (`Diamond 1`, `Onyx`); None when unranked or already in Onyx."""
        if not self.is_ranked:
            return None
        return next_step_label(self.tier, self.next_tier, self.next_sub_tier)

    @property
    def points_to_next(self) -> int | None:
        """CSR points still needed for the next sub-tier; None when unranked or in Onyx."""
        if not self.is_ranked or self.next_tier_start <= self.tier_start:
            return None
        return max(0, self.next_tier_start - self.value)


class CsrResult(Leaf, frozen=True):
    current: Csr | None = None
    season_max: Csr | None = None
    all_time_max: Csr | None = None


class _PlayerResult(Model, gc=False, frozen=True):
    __enums__: ClassVar[dict[str, Any]] = {"result_code": CsrResultCode}

    id: str
    result_code: int = 0

    @property
    def xuid(self) -> int | None:
        return maybe_xuid(self.id)

    @property
    def ok(self) -> bool:
        return self.result_code == CsrResultCode.Success

    @property
    def result_code_name(self) -> str:
        return CsrResultCode.label(self.result_code)


class PlaylistCsrEntry(_PlayerResult, gc=False, frozen=True):
    """One player's CSR in one playlist; `result` is None when `result_code` is not 0."""

    result: CsrResult | None = None

    @property
    def current(self) -> Csr | None:
        return self.result.current if self.result else None


class PlaylistCsr(Response, frozen=True):
    """`/hi/playlist/{playlistId}/csrs?players=...`. `Value` is required (one entry per
    player asked for): a body without it is not a CSR answer."""

    value: list[PlaylistCsrEntry]

    def for_player(self, xuid: str | int) -> PlaylistCsrEntry | None:
        """The entry for this XUID (int, digits or `xuid(N)`), or None."""
        want = maybe_xuid(xuid)
        return next((e for e in self.value if want is not None and e.xuid == want), None)


class RankRecap(Leaf, frozen=True):
    pre_match_csr: Csr | None = None
    post_match_csr: Csr | None = None

    @property
    def delta(self) -> int | None:
        """CSR gained (negative: lost) in the match; None while either side is unranked."""
        pre, post = self.pre_match_csr, self.post_match_csr
        if pre is None or post is None or not pre.is_ranked or not post.is_ranked:
            return None
        return post.value - pre.value


class StatPerformance(Leaf, frozen=True):
    """What the matchmaker expected of the player against what happened."""

    count: int = 0
    expected: float = 0.0
    std_dev: float = 0.0

    @property
    def deviation(self) -> float | None:
        """(count - expected) / std_dev; None when there is no spread."""
        return (self.count - self.expected) / self.std_dev if self.std_dev else None


class StatPerformances(Leaf, frozen=True):
    kills: StatPerformance | None = None
    deaths: StatPerformance | None = None


class KillsDeaths(Leaf, frozen=True):
    kills: float = 0.0
    deaths: float = 0.0


class Counterfactuals(Leaf, frozen=True):
    self_counterfactuals: KillsDeaths | None = None
    tier_counterfactuals: dict[str, KillsDeaths] = {}


class SkillResult(Model, gc=False, frozen=True):
    team_mmr: float | None = None
    rank_recap: RankRecap | None = None
    stat_performances: StatPerformances | None = None
    team_id: int | None = None
    team_mmrs: dict[str, float] = {}
    ranked_rewards: Any = None
    counterfactuals: Counterfactuals | None = None


class MatchSkillEntry(_PlayerResult, gc=False, frozen=True):
    result: SkillResult | None = None


class MatchSkill(Response, frozen=True):
    """`/hi/matches/{matchId}/skill?players=...` (humans only). `Value` is required."""

    value: list[MatchSkillEntry]

    def for_player(self, xuid: str | int) -> MatchSkillEntry | None:
        want = maybe_xuid(xuid)
        return next((e for e in self.value if want is not None and e.xuid == want), None)
