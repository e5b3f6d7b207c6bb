"""halostats models: service record, match history, match stats, match counts.

Why typed: the store, tracker and page read dozens of counters; attributes with defaults are
faster and safer than dict lookups, and drift (a renamed or retyped field) shows up in one
place as a ParseError instead of a KeyError deep in a report.
"""

# ruff: noqa: RUF012  (msgspec copies empty list/dict defaults per instance)

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

import msgspec

from halotrack.models._base import ZERO, Leaf, Model, Response
from halotrack.models.enums import (
    GameplayInteraction,
    GameVariantCategory,
    LifecycleMode,
    Outcome,
    PlayerType,
    PlaylistExperience,
)
from halotrack.models.modes import MODE_BLOCKS
from halotrack.models.summary import kd_ratio
from halotrack.models.xuid import maybe_xuid


class Award(Leaf, frozen=True):
    """One entry of `Medals` or `PersonalScores`: a NameId (uint32) and how often it came."""

    name_id: int
    count: int = 0
    total_personal_score_awarded: int = 0


class CoreStats(Leaf, frozen=True):
    """Counters every mode shares. Service record and match stats use one shape; fields
    only one side sends are optional (None when absent)."""

    score: int = 0
    personal_score: int = 0
    rounds_won: int = 0
    rounds_lost: int = 0
    rounds_tied: int = 0
    kills: int = 0
    deaths: int = 0
    assists: int = 0
    kda_average: float | None = msgspec.field(name="AverageKDA", default=None)
    kda: float | None = msgspec.field(name="KDA", default=None)
    suicides: int = 0
    betrayals: int = 0
    average_life_duration: timedelta | None = None
    grenade_kills: int = 0
    headshot_kills: int = 0
    melee_kills: int = 0
    power_weapon_kills: int = 0
    shots_fired: int = 0
    shots_hit: int = 0
    accuracy: float = 0.0
    damage_dealt: int = 0
    damage_taken: int = 0
    callout_assists: int = 0
    vehicle_destroys: int = 0
    driver_assists: int = 0
    hijacks: int = 0
    emp_assists: int = 0
    max_killing_spree: int = 0
    medals: list[Award] = []
    personal_scores: list[Award] = []
    deprecated_damage_dealt: float | None = None
    deprecated_damage_taken: float | None = None
    spawns: int | None = None
    objectives_completed: int | None = None

    @property
    def average_kda(self) -> float:
        """`AverageKDA` (service record) or `KDA` (match stats, older records), whichever came."""
        if self.kda_average is not None:
            return self.kda_average
        return self.kda if self.kda is not None else 0.0

    @property
    def kd_ratio(self) -> float:
        """Kills per death by the one rule (`models.summary.kd_ratio`: 0/0 is 0.0)."""
        return kd_ratio(self.kills, self.deaths)

    def medal_counts(self) -> dict[int, int]:
        """NameId -> count of each medal earned."""
        return {m.name_id: m.count for m in self.medals}

    def personal_score_counts(self) -> dict[int, int]:
        """Personal-score NameId -> how many times it was awarded."""
        return {p.name_id: p.count for p in self.personal_scores}

    def personal_score_totals(self) -> dict[int, int]:
        """Personal-score NameId -> points it brought in total."""
        return {p.name_id: p.total_personal_score_awarded for p in self.personal_scores}


class CaptureTheFlagStats(Leaf, frozen=True):
    flag_capture_assists: int = 0
    flag_captures: int = 0
    flag_carriers_killed: int = 0
    flag_grabs: int = 0
    flag_returners_killed: int = 0
    flag_returns: int = 0
    flag_secures: int = 0
    flag_steals: int = 0
    kills_as_flag_carrier: int = 0
    kills_as_flag_returner: int = 0
    time_as_flag_carrier: timedelta = ZERO


class EliminationStats(Leaf, frozen=True):
    allies_revived: int = 0
    elimination_assists: int = 0
    eliminations: int = 0
    enemy_revives_denied: int = 0
    executions: int = 0
    kills_as_last_player_standing: int = 0
    last_players_standing_killed: int = 0
    rounds_survived: int = 0
    times_revived_by_ally: int = 0
    elimination_order: int | None = None
    lives_remaining: int | None = None


class ExtractionStats(Leaf, frozen=True):
    successful_extractions: int = 0
    extraction_conversions_denied: int = 0
    extraction_conversions_completed: int = 0
    extraction_initiations_denied: int = 0
    extraction_initiations_completed: int = 0


class InfectionStats(Leaf, frozen=True):
    alphas_killed: int = 0
    spartans_infected: int = 0
    spartans_infected_as_alpha: int = 0
    kills_as_last_spartan_standing: int = 0
    last_spartans_standing_infected: int = 0
    rounds_as_alpha: int = 0
    rounds_as_last_spartan_standing: int = 0
    rounds_finished_as_infected: int = 0
    rounds_survived_as_spartan: int = 0
    rounds_survived_as_last_spartan_standing: int = 0
    time_as_last_spartan_standing: timedelta = ZERO
    infected_killed: int = 0


class OddballStats(Leaf, frozen=True):
    kills_as_skull_carrier: int = 0
    longest_time_as_skull_carrier: timedelta = ZERO
    skull_carriers_killed: int = 0
    skull_grabs: int = 0
    time_as_skull_carrier: timedelta = ZERO
    skull_scoring_ticks: int = 0


class ZonesStats(Leaf, frozen=True):
    """Zones/Strongholds: the service record says `Zone*`, match stats say `Stronghold*`.
    Both spellings decode; the unprefixed properties read whichever is present."""

    zone_captures: int | None = None
    zone_defensive_kills: int | None = None
    zone_offensive_kills: int | None = None
    zone_secures: int | None = None
    total_zone_occupation_time: timedelta | None = None
    zone_scoring_ticks: int | None = None
    stronghold_captures: int | None = None
    stronghold_defensive_kills: int | None = None
    stronghold_offensive_kills: int | None = None
    stronghold_secures: int | None = None
    stronghold_occupation_time: timedelta | None = None
    stronghold_scoring_ticks: int | None = None

    @property
    def captures(self) -> int:
        return _first(self.zone_captures, self.stronghold_captures)

    @property
    def secures(self) -> int:
        return _first(self.zone_secures, self.stronghold_secures)

    @property
    def occupation_time(self) -> timedelta:
        if self.total_zone_occupation_time is not None:
            return self.total_zone_occupation_time
        return self.stronghold_occupation_time or ZERO


def _first(a: int | None, b: int | None) -> int:
    if a is not None:
        return a
    return b if b is not None else 0


class StockpileStats(Leaf, frozen=True):
    kills_as_power_seed_carrier: int = 0
    power_seed_carriers_killed: int = 0
    power_seeds_deposited: int = 0
    power_seeds_stolen: int = 0
    time_as_power_seed_carrier: timedelta = ZERO
    time_as_power_seed_driver: timedelta = ZERO


class VipStats(Leaf, frozen=True):
    kills_as_vip: int = 0
    longest_time_as_vip: timedelta = ZERO
    max_killing_spree_as_vip: int = 0
    time_as_vip: timedelta = ZERO
    times_selected_as_vip: int = 0
    vip_assists: int = 0
    vip_kills: int = 0


class PvpStats(Leaf, frozen=True):
    kills: int = 0
    deaths: int = 0
    assists: int = 0
    kda: float | None = msgspec.field(name="KDA", default=None)


class PveStats(Leaf, frozen=True):
    kills: int = 0
    deaths: int = 0
    assists: int = 0
    kda: float | None = msgspec.field(name="KDA", default=None)
    marine_kills: int = 0
    grunt_kills: int = 0
    jackal_kills: int = 0
    elite_kills: int = 0
    brute_kills: int = 0
    hunter_kills: int = 0
    skimmer_kills: int = 0
    sentinel_kills: int = 0
    boss_kills: int = 0


class Subqueries(Leaf, frozen=True):
    """What the unfiltered record says the player touched (all null for an empty record)."""

    season_ids: list[str] | None = None
    game_variant_categories: list[int] | None = None
    is_ranked: list[bool] | None = None
    playlist_asset_ids: list[str] | None = None
    gameplay_interactions: list[int] | None = None


class ModeStats(Model, frozen=True):
    """Core counters plus the per-mode blocks: what a service record and the stats of a team
    or player in one match share."""

    core_stats: CoreStats = CoreStats()
    capture_the_flag_stats: CaptureTheFlagStats | None = None
    elimination_stats: EliminationStats | None = None
    extraction_stats: ExtractionStats | None = None
    infection_stats: InfectionStats | None = None
    oddball_stats: OddballStats | None = None
    zones_stats: ZonesStats | None = None
    stockpile_stats: StockpileStats | None = None
    vip_stats: VipStats | None = None
    pvp_stats: PvpStats | None = None
    pve_stats: PveStats | None = None
    bomb_stats: dict[str, Any] | None = None

    @property
    def core(self) -> CoreStats:
        return self.core_stats

    def mode_blocks(self) -> dict[str, Any]:
        """The per-mode blocks present, by attribute name."""
        return {n: b for n in MODE_BLOCKS if (b := getattr(self, n)) is not None}


class ServiceRecord(Response, ModeStats, frozen=True, kw_only=True):
    """`/hi/players/{player}/{kind}/servicerecord`: lifetime (or filtered) totals.

    `MatchesCompleted` and `CoreStats` are required: they are what makes a body a service
    record (a player with no matches gets zeros, not absent keys), so a 200 answer without
    them is refused instead of stored as an all-zero snapshot.
    """

    matches_completed: int
    core_stats: CoreStats
    subqueries: Subqueries | None = None
    time_played: timedelta = ZERO
    wins: int = 0
    losses: int = 0
    ties: int = 0

    @property
    def kd_ratio(self) -> float:
        """Kills per death (kills when there are no deaths, 0.0 for 0/0)."""
        return self.core_stats.kd_ratio

    @property
    def win_rate(self) -> float:
        """Wins / matches completed, 0..1 (0 for an empty record)."""
        return self.wins / self.matches_completed if self.matches_completed else 0.0

    @property
    def accuracy(self) -> float:
        """Shots hit / fired in percent, as the API reports it."""
        return self.core_stats.accuracy

    @property
    def average_kda(self) -> float:
        return self.core_stats.average_kda

    @property
    def season_ids(self) -> list[str]:
        """Season ids the player was active in (empty when the record is empty or filtered)."""
        return list(self.subqueries.season_ids or []) if self.subqueries else []

    def medal_counts(self) -> dict[int, int]:
        return self.core_stats.medal_counts()

    def personal_score_counts(self) -> dict[int, int]:
        return self.core_stats.personal_score_counts()

    def personal_score_totals(self) -> dict[int, int]:
        return self.core_stats.personal_score_totals()


class AssetRef(Leaf, frozen=True):
    """A pointer to a UGC asset version (map, game variant, playlist, map-mode pair)."""

    asset_kind: int | None = None
    asset_id: str = ""
    version_id: str = ""


class MatchInfo(Leaf, frozen=True):
    """When, where and what a match was; shared by history entries and match stats."""

    __enums__: ClassVar[dict[str, Any]] = {
        "lifecycle_mode": LifecycleMode,
        "game_variant_category": GameVariantCategory,
        "playlist_experience": PlaylistExperience,
        "gameplay_interaction": GameplayInteraction,
    }

    start_time: datetime
    end_time: datetime | None = None
    duration: timedelta = ZERO
    lifecycle_mode: int = 0
    game_variant_category: int = -1
    level_id: str | None = None
    map_variant: AssetRef | None = None
    ugc_game_variant: AssetRef | None = None
    clearance_id: str | None = None
    playlist: AssetRef | None = None
    playlist_experience: int | None = None
    playlist_map_mode_pair: AssetRef | None = None
    season_id: str | None = None
    playable_duration: timedelta = ZERO
    teams_enabled: bool = True
    team_scoring_enabled: bool = True
    gameplay_interaction: int | None = None

    @property
    def category_name(self) -> str:
        """`Slayer`, `Capture the Flag`, ... or `Unknown(<n>)` for a mode shipped after us."""
        return GameVariantCategory.label(self.game_variant_category)

    @property
    def is_matchmade(self) -> bool:
        return self.lifecycle_mode == LifecycleMode.Matchmade

    @property
    def playlist_id(self) -> str | None:
        return self.playlist.asset_id if self.playlist else None


class MatchHistoryEntry(Model, gc=False, frozen=True):
    """One row of a match history page, from the requesting player's point of view."""

    __enums__: ClassVar[dict[str, Any]] = {"outcome": Outcome}

    match_id: str
    match_info: MatchInfo
    last_team_id: int | None = None
    outcome: int = 0
    rank: int = 0
    present_at_end_of_match: bool = True

    @property
    def outcome_name(self) -> str:
        return Outcome.label(self.outcome)


class MatchHistory(Response, frozen=True):
    """`/hi/players/{xuid}/matches`: newest first, up to 25 per page. `Results` is
    required (an empty page still has it): without it a page is not a history page."""

    results: list[MatchHistoryEntry]
    start: int = 0
    count: int = 0
    result_count: int = 0
    links: dict[str, Any] | None = None

    @property
    def match_ids(self) -> list[str]:
        return [r.match_id for r in self.results]

    @property
    def is_last_page(self) -> bool:
        """A short page means there is nothing older to fetch."""
        return self.result_count < self.count or not self.results


class Stats(ModeStats, gc=False, frozen=True):
    """Stats of a team or of a player within one team: core counters plus per-mode blocks."""


class Team(Model, gc=False, frozen=True):
    __enums__: ClassVar[dict[str, Any]] = {"outcome": Outcome}

    team_id: int
    outcome: int = 0
    rank: int = 0
    stats: Stats = Stats()

    @property
    def outcome_name(self) -> str:
        return Outcome.label(self.outcome)


class PlayerTeamStats(Model, gc=False, frozen=True):
    team_id: int
    stats: Stats = Stats()


class BotAttributes(Leaf, frozen=True):
    difficulty: int | None = None


class ParticipationInfo(Leaf, frozen=True):
    first_joined_time: datetime | None = None
    last_leave_time: datetime | None = None
    present_at_beginning: bool = True
    joined_in_progress: bool = False
    left_in_progress: bool = False
    present_at_completion: bool = True
    time_played: timedelta = ZERO
    confirmed_participation: bool | None = None


class MatchPlayer(Model, gc=False, frozen=True):
    """A human (`xuid(N)`) or bot (`bid(N.0)`) in a match, with stats per team played on."""

    __enums__: ClassVar[dict[str, Any]] = {"player_type": PlayerType, "outcome": Outcome}

    player_id: str
    player_type: int = 1
    bot_attributes: BotAttributes | None = None
    last_team_id: int | None = None
    outcome: int = 0
    rank: int = 0
    participation_info: ParticipationInfo | None = None
    player_team_stats: list[PlayerTeamStats] = []

    @property
    def xuid(self) -> int | None:
        """The player's XUID; None for bots."""
        return maybe_xuid(self.player_id)

    @property
    def is_bot(self) -> bool:
        return self.player_type == PlayerType.Bot or self.player_id.startswith("bid(")

    @property
    def outcome_name(self) -> str:
        return Outcome.label(self.outcome)

    @property
    def stats(self) -> Stats:
        """Stats on the team the player ended on (the only entry unless they switched)."""
        for pts in self.player_team_stats:
            if pts.team_id == self.last_team_id:
                return pts.stats
        return self.player_team_stats[0].stats if self.player_team_stats else Stats()

    @property
    def core(self) -> CoreStats:
        return self.stats.core_stats


class MatchStats(Response, frozen=True):
    """`/hi/matches/{matchId}/stats`. `teams` is empty for Infection. `MatchId`,
    `MatchInfo` and `Players` are required: together they identify a match."""

    match_id: str
    match_info: MatchInfo
    players: list[MatchPlayer]
    teams: list[Team] = []

    def player(self, xuid: str | int) -> MatchPlayer | None:
        """The player with this XUID (int, digits or `xuid(N)`), or None."""
        want = maybe_xuid(xuid)
        for p in self.players:
            if want is not None and p.xuid == want:
                return p
        return None

    def team(self, team_id: int) -> Team | None:
        for t in self.teams:
            if t.team_id == team_id:
                return t
        return None

    def team_of(self, xuid: str | int) -> Team | None:
        """The team the player ended on; None when absent or the mode has no teams."""
        p = self.player(xuid)
        return self.team(p.last_team_id) if p and p.last_team_id is not None else None

    def outcome_of(self, xuid: str | int) -> int | None:
        """The player's Outcome number (2 win, 3 loss...), None when not in the match."""
        p = self.player(xuid)
        return p.outcome if p else None

    @property
    def humans(self) -> list[MatchPlayer]:
        return [p for p in self.players if not p.is_bot]

    @property
    def bots(self) -> list[MatchPlayer]:
        return [p for p in self.players if p.is_bot]


class MatchCount(Response, frozen=True):
    """`/hi/players/{xuid}/matches/count`. `MatchesPlayedCount` identifies it (required)."""

    matches_played_count: int
    custom_matches_played_count: int = 0
    matchmade_matches_played_count: int = 0
    local_matches_played_count: int = 0
