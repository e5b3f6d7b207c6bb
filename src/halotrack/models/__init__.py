"""Typed models of Waypoint responses and the names behind their numbers. Pure data, no I/O.

Decode a body with `decode(kind, data, source=url)`; every response model keeps its bytes
(`.raw_bytes`) and parses them lazily on demand (`.raw`). Kinds are listed in `KINDS`.

    service-record     ServiceRecord          match-history     MatchHistory
    match-stats        MatchStats             match-count       MatchCount
    match-skill        MatchSkill             playlist-csr      PlaylistCsr
    season-calendar    SeasonCalendar         csr-season-calendar CsrSeasonCalendar
    career-rank-track  CareerRankTrack        medal-metadata    MedalMetadata
    playlist-asset     PlaylistAsset          playlist / map / map-mode-pair / game-variant
    user / users       User / Users           career-rank-progress CareerRankProgress

Facts several layers show are read once: `read_summary` (a service record's headline
numbers, tolerant of old shapes), `duration` (ISO 8601), `kd_ratio` (the one K/D rule),
`MODE_TABLE` (the per-mode blocks), `csr.read_csr_block` (a CSR block).

Enum-valued fields stay plain ints (unknown numbers survive); name them with the enums in
`halotrack.models.enums` (`Outcome.label(n)`) or a model's `enum_name(attr)`.
"""

from halotrack.models._base import (
    Model,
    Response,
    iso_datetime,
    iso_duration,
    utcnow,
)
from halotrack.models.decoding import (
    KINDS,
    Kind,
    decode,
    decode_as,
    decoder_for,
    guess_kind,
    guess_kind_of,
)
from halotrack.models.discovery import (
    AssetStats,
    GameVariantVersion,
    MapModePairVersion,
    MapVersion,
    PlaylistVersion,
    RotationEntry,
    UgcAsset,
)
from halotrack.models.economy import CareerRankProgress, RankProgress
from halotrack.models.gamecms import (
    CareerRank,
    CareerRankTrack,
    CsrSeasonCalendar,
    CsrSeasonEntry,
    EventEntry,
    GameCmsDate,
    LocalizedText,
    Medal,
    MedalMetadata,
    PlaylistAsset,
    SeasonCalendar,
    SeasonEntry,
    SeasonMetadata,
    csr_season_id,
)
from halotrack.models.modes import MODE_BLOCKS, MODE_TABLE, ModeBlock
from halotrack.models.profile import Gamerpic, User, Users
from halotrack.models.skill import (
    Counterfactuals,
    Csr,
    CsrResult,
    KillsDeaths,
    MatchSkill,
    MatchSkillEntry,
    PlaylistCsr,
    PlaylistCsrEntry,
    RankRecap,
    SkillResult,
    StatPerformance,
    StatPerformances,
)
from halotrack.models.stats import (
    AssetRef,
    Award,
    BotAttributes,
    CaptureTheFlagStats,
    CoreStats,
    EliminationStats,
    ExtractionStats,
    InfectionStats,
    MatchCount,
    MatchHistory,
    MatchHistoryEntry,
    MatchInfo,
    MatchPlayer,
    MatchStats,
    OddballStats,
    ParticipationInfo,
    PlayerTeamStats,
    PveStats,
    PvpStats,
    ServiceRecord,
    Stats,
    StockpileStats,
    Subqueries,
    Team,
    VipStats,
    ZonesStats,
)
from halotrack.models.summary import (
    RecordSummary,
    duration,
    duration_seconds,
    kd_ratio,
    read_summary,
    win_percent,
)
from halotrack.models.xuid import XuidError, maybe_xuid, parse_xuid, xuid_id

__all__ = [
    "KINDS",
    "MODE_BLOCKS",
    "MODE_TABLE",
    "AssetRef",
    "AssetStats",
    "Award",
    "BotAttributes",
    "CaptureTheFlagStats",
    "CareerRank",
    "CareerRankProgress",
    "CareerRankTrack",
    "CoreStats",
    "Counterfactuals",
    "Csr",
    "CsrResult",
    "CsrSeasonCalendar",
    "CsrSeasonEntry",
    "EliminationStats",
    "EventEntry",
    "ExtractionStats",
    "GameCmsDate",
    "GameVariantVersion",
    "Gamerpic",
    "InfectionStats",
    "KillsDeaths",
    "Kind",
    "LocalizedText",
    "MapModePairVersion",
    "MapVersion",
    "MatchCount",
    "MatchHistory",
    "MatchHistoryEntry",
    "MatchInfo",
    "MatchPlayer",
    "MatchSkill",
    "MatchSkillEntry",
    "MatchStats",
    "Medal",
    "MedalMetadata",
    "ModeBlock",
    "Model",
    "OddballStats",
    "ParticipationInfo",
    "PlayerTeamStats",
    "PlaylistAsset",
    "PlaylistCsr",
    "PlaylistCsrEntry",
    "PlaylistVersion",
    "PveStats",
    "PvpStats",
    "RankProgress",
    "RankRecap",
    "RecordSummary",
    "Response",
    "RotationEntry",
    "SeasonCalendar",
    "SeasonEntry",
    "SeasonMetadata",
    "ServiceRecord",
    "SkillResult",
    "StatPerformance",
    "StatPerformances",
    "Stats",
    "StockpileStats",
    "Subqueries",
    "Team",
    "UgcAsset",
    "User",
    "Users",
    "VipStats",
    "XuidError",
    "ZonesStats",
    "csr_season_id",
    "decode",
    "decode_as",
    "decoder_for",
    "duration",
    "duration_seconds",
    "guess_kind",
    "guess_kind_of",
    "iso_datetime",
    "iso_duration",
    "kd_ratio",
    "maybe_xuid",
    "parse_xuid",
    "read_summary",
    "utcnow",
    "win_percent",
    "xuid_id",
]
