"""halostats models: service record, match history, match stats, match counts.

Why typed: the store, tracker and page read dozens of counters; attributes with defaults are
faster and safer than dict lookups, and drift (a renamed or retyped field) shows up in one
place as a ParseError instead of a KeyError deep in a report.
"""

# ruff: noqa: RUF012  (msgspec copies empty list/dict defaults per instance)

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

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
from halotrack.models.modes import MODE_BLOCKS, MODE_TABLE
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


class ModeBlockStats(Leaf, frozen=True):
    """Base of the per-mode blocks (`CaptureTheFlagStats`, ...). Their fields are made from
    `models.modes.MODE_TABLE` (see `_mode_block`), the one list the page and the simulator
    read too, so a field cannot be added to one copy and not the others."""


class _ZonesBlock(ModeBlockStats, frozen=True):
    """Zones/Strongholds: the service record says `Zone*`, match stats say `Stronghold*`.
    Both spellings decode (each None when absent); these read whichever is present."""

    def _either(self, record: str, match: str) -> Any:
        value = getattr(self, record)
        return value if value is not None else getattr(self, match)

    @property
    def captures(self) -> int:
        return int(self._either("zone_captures", "stronghold_captures") or 0)

    @property
    def secures(self) -> int:
        return int(self._either("zone_secures", "stronghold_secures") or 0)

    @property
    def occupation_time(self) -> timedelta:
        got = self._either("total_zone_occupation_time", "stronghold_occupation_time")
        return got if isinstance(got, timedelta) else ZERO


_KIND_TYPE: dict[str, type] = {"sum": int, "max": int, "dur": timedelta, "maxdur": timedelta}

# What the API sends in a block besides totals (so not in the mode table): (attribute,
# wire name, type), placed after the named table field (None: last) as the API orders them.
_NOT_TOTALS: dict[str, tuple[str | None, tuple[tuple[str, str, Any], ...]]] = {
    "elimination": (
        None,
        (
            ("elimination_order", "EliminationOrder", int | None),
            ("lives_remaining", "LivesRemaining", int | None),
        ),
    ),
    "pvp": ("Assists", (("kda", "KDA", float | None),)),
    "pve": ("Assists", (("kda", "KDA", float | None),)),
}


def _snake(wire: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", wire).lower()


def _mode_block(slug: str, base: type[ModeBlockStats] = ModeBlockStats) -> Any:
    """The typed block of one `MODE_TABLE` row: per field an int (counters, bests) or a
    timedelta (times), 0 when absent; a field spelled differently in service records and
    match stats is there under both names, None when absent."""
    mode = next(m for m in MODE_TABLE if m.slug == slug)
    two_names = any(rec != match for rec, match, _kind in mode.fields)
    wires = [(rec, kind) for rec, _match, kind in mode.fields]
    wires += [(match, kind) for rec, match, kind in mode.fields if match != rec]
    spec: list[tuple[str, Any, Any]] = []
    for wire, kind in wires:
        typ = _KIND_TYPE[kind]
        if two_names:
            spec.append((_snake(wire), typ | None, msgspec.field(name=wire, default=None)))
        else:
            zero = ZERO if typ is timedelta else 0
            spec.append((_snake(wire), typ, msgspec.field(name=wire, default=zero)))
    after, extra = _NOT_TOTALS.get(slug, (None, ()))
    at = next((i + 1 for i, (w, _k) in enumerate(wires) if w == after), len(spec))
    spec[at:at] = [(attr, typ, msgspec.field(name=w, default=None)) for attr, w, typ in extra]
    return msgspec.defstruct(
        mode.match_key, spec, bases=(base,), module=__name__, frozen=True, gc=False
    )


if TYPE_CHECKING:  # to mypy a block is its base: its fields exist from run time on
    CaptureTheFlagStats: TypeAlias = ModeBlockStats
    EliminationStats: TypeAlias = ModeBlockStats
    ExtractionStats: TypeAlias = ModeBlockStats
    InfectionStats: TypeAlias = ModeBlockStats
    OddballStats: TypeAlias = ModeBlockStats
    ZonesStats: TypeAlias = _ZonesBlock
    StockpileStats: TypeAlias = ModeBlockStats
    VipStats: TypeAlias = ModeBlockStats
    PvpStats: TypeAlias = ModeBlockStats
    PveStats: TypeAlias = ModeBlockStats
else:
    CaptureTheFlagStats = _mode_block("ctf")
    EliminationStats = _mode_block("elimination")
    ExtractionStats = _mode_block("extraction")
    InfectionStats = _mode_block("infection")
    OddballStats = _mode_block("oddball")
    ZonesStats = _mode_block("zones", _ZonesBlock)
    StockpileStats = _mode_block("stockpile")
    VipStats = _mode_block("vip")
    PvpStats = _mode_block("pvp")
    PveStats = _mode_block("pve")


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
