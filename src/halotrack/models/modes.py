"""The per-mode stats blocks (`CaptureTheFlagStats`, `ZonesStats`, ...): one table for all.

Why: the typed models, the stats page and the simulator each need the blocks' names and
fields; a field added to one copy and not another made the page and the simulator disagree.
Fields are listed in the API's order (the real lifetime sample's) as (name in a service
record, name in match stats, kind); the kind says how a lifetime total follows from matches:
`sum` (counters), `dur` (durations, summed), `max` and `maxdur` (bests, maxed).
"""

from __future__ import annotations

from dataclasses import dataclass

Field = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class ModeBlock:
    """One per-mode block: its model attribute, its keys in a service record (None when
    records never carry it) and in match stats, a readable name and its fields. `headline`
    lists the fields a reader shows first; the rest follow in API order."""

    slug: str
    attr: str
    record_key: str | None
    match_key: str
    name: str
    fields: tuple[Field, ...]
    headline: tuple[str, ...] = ()

    @property
    def display_order(self) -> tuple[str, ...]:
        """Record field names, headline first, then the others in API order."""
        rest = [rec for rec, _match, _kind in self.fields if rec not in self.headline]
        return (*self.headline, *rest)


def _same(*spec: str) -> tuple[Field, ...]:
    """Fields named alike in records and match stats: `Name` or `Name:kind`."""
    out = []
    for item in spec:
        name, _, kind = item.partition(":")
        out.append((name, name, kind or "sum"))
    return tuple(out)


_KDA = ("Kills", "Deaths", "Assists")

MODE_TABLE: tuple[ModeBlock, ...] = (
    ModeBlock(
        "ctf",
        "capture_the_flag_stats",
        "CaptureTheFlagStats",
        "CaptureTheFlagStats",
        "Capture the Flag",
        _same(
            "FlagCaptureAssists",
            "FlagCaptures",
            "FlagCarriersKilled",
            "FlagGrabs",
            "FlagReturnersKilled",
            "FlagReturns",
            "FlagSecures",
            "FlagSteals",
            "KillsAsFlagCarrier",
            "KillsAsFlagReturner",
            "TimeAsFlagCarrier:dur",
        ),
        headline=(
            "FlagCaptures",
            "FlagCaptureAssists",
            "FlagSecures",
            "FlagSteals",
            "FlagGrabs",
            "FlagReturns",
        ),
    ),
    ModeBlock(
        "elimination",
        "elimination_stats",
        "EliminationStats",
        "EliminationStats",
        "Elimination",
        _same(
            "AlliesRevived",
            "EliminationAssists",
            "Eliminations",
            "EnemyRevivesDenied",
            "Executions",
            "KillsAsLastPlayerStanding",
            "LastPlayersStandingKilled",
            "RoundsSurvived",
            "TimesRevivedByAlly",
        ),
        headline=("Eliminations", "EliminationAssists"),
    ),
    ModeBlock(
        "extraction",
        "extraction_stats",
        "ExtractionStats",
        "ExtractionStats",
        "Extraction",
        _same(
            "SuccessfulExtractions",
            "ExtractionConversionsDenied",
            "ExtractionConversionsCompleted",
            "ExtractionInitiationsDenied",
            "ExtractionInitiationsCompleted",
        ),
    ),
    ModeBlock(
        "infection",
        "infection_stats",
        "InfectionStats",
        "InfectionStats",
        "Infection",
        _same(
            "AlphasKilled",
            "SpartansInfected",
            "SpartansInfectedAsAlpha",
            "KillsAsLastSpartanStanding",
            "LastSpartansStandingInfected",
            "RoundsAsAlpha",
            "RoundsAsLastSpartanStanding",
            "RoundsFinishedAsInfected",
            "RoundsSurvivedAsSpartan",
            "RoundsSurvivedAsLastSpartanStanding",
            "TimeAsLastSpartanStanding:dur",
            "InfectedKilled",
        ),
    ),
    ModeBlock(
        "oddball",
        "oddball_stats",
        "OddballStats",
        "OddballStats",
        "Oddball",
        _same(
            "KillsAsSkullCarrier",
            "LongestTimeAsSkullCarrier:maxdur",
            "SkullCarriersKilled",
            "SkullGrabs",
            "TimeAsSkullCarrier:dur",
            "SkullScoringTicks",
        ),
    ),
    ModeBlock(
        "zones",
        "zones_stats",
        "ZonesStats",
        "ZonesStats",
        "Zones",
        (
            ("ZoneCaptures", "StrongholdCaptures", "sum"),
            ("ZoneDefensiveKills", "StrongholdDefensiveKills", "sum"),
            ("ZoneOffensiveKills", "StrongholdOffensiveKills", "sum"),
            ("ZoneSecures", "StrongholdSecures", "sum"),
            ("TotalZoneOccupationTime", "StrongholdOccupationTime", "dur"),
            ("ZoneScoringTicks", "StrongholdScoringTicks", "sum"),
        ),
    ),
    ModeBlock(
        "stockpile",
        "stockpile_stats",
        "StockpileStats",
        "StockpileStats",
        "Stockpile",
        _same(
            "KillsAsPowerSeedCarrier",
            "PowerSeedCarriersKilled",
            "PowerSeedsDeposited",
            "PowerSeedsStolen",
            "TimeAsPowerSeedCarrier:dur",
            "TimeAsPowerSeedDriver:dur",
        ),
    ),
    ModeBlock(
        "vip",
        "vip_stats",
        None,
        "VipStats",
        "VIP",
        _same(
            "VipKills",
            "VipAssists",
            "KillsAsVip",
            "TimesSelectedAsVip",
            "MaxKillingSpreeAsVip:max",
            "LongestTimeAsVip:maxdur",
            "TimeAsVip:dur",
        ),
    ),
    ModeBlock("pvp", "pvp_stats", "PvpStats", "PvpStats", "PvP", _same(*_KDA)),
    ModeBlock(
        "pve",
        "pve_stats",
        "PveStats",
        "PveStats",
        "PvE (Firefight)",
        _same(
            *_KDA,
            "MarineKills",
            "GruntKills",
            "JackalKills",
            "EliteKills",
            "BruteKills",
            "HunterKills",
            "SkimmerKills",
            "SentinelKills",
            "BossKills",
        ),
    ),
)
"""Every per-mode block, in the API's order."""

MODE_BLOCKS: tuple[str, ...] = tuple(m.attr for m in MODE_TABLE)
"""Model attribute names of the per-mode blocks, in API order (all optional, any may be null)."""
