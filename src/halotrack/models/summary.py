"""The numbers every reader of a service record shows: one tolerant reader and one set of rules.

Why: the store's columns, `history`/`diff` and the stats page all show the same matches,
K/D, KDA and time played; they read them here so the answers cannot drift apart. The reader
works on the JSON object (what the store keeps) and never raises: a missing or mistyped
value is None, so an older or damaged body still yields every number it does carry.

K/D rule, the one place it is decided: kills / deaths, and with no deaths the kills
themselves, so 0 kills and 0 deaths is 0.0. That is what the game's summary card shows a
player (a fresh account reads `0.00`, not a blank), and a week with matches but no kills is
a K/D of 0, not a gap. "No data" is a different fact: None when kills or deaths are unknown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

import msgspec


def duration(value: object) -> timedelta | None:
    """An ISO 8601 duration as the API writes it (`P17DT10H55M53.7685509S`); None if not one.

    Parsed exactly as the typed models decode durations (days, hours, minutes and seconds;
    no years, months or weeks; microsecond precision), so a column and a model agree.
    """
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        return None
    try:
        return msgspec.convert(value, timedelta)
    except msgspec.ValidationError:
        return None


def duration_seconds(value: object) -> float | None:
    """Seconds of an ISO 8601 duration (see `duration`); None if not one."""
    parsed = duration(value)
    return None if parsed is None else parsed.total_seconds()


def kd_ratio(kills: float, deaths: float) -> float:
    """Kills per death; with no deaths the kills themselves (0/0 is 0.0, as the game shows)."""
    return kills / deaths if deaths else float(kills)


def kd_or_none(kills: float | None, deaths: float | None) -> float | None:
    """K/D by the one rule (`kd_ratio`); None when kills or deaths are unknown."""
    if kills is None or deaths is None:
        return None
    return kd_ratio(kills, deaths)


def win_percent(wins: int | None, matches: int | None) -> float | None:
    """Percent of completed matches won; None with no matches (no rate to speak of)."""
    if wins is None or not matches:
        return None
    return 100.0 * wins / matches


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def read_int(block: object, key: str) -> int | None:
    """`block[key]` as an int when it is a finite number (floats are truncated); else None."""
    value = block.get(key) if isinstance(block, Mapping) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _number(value)
    return None if number is None else int(number)


def read_float(block: object, *keys: str) -> float | None:
    """The first of `keys` in `block` holding a finite number, as a float; else None."""
    for key in keys:
        number = _number(block.get(key)) if isinstance(block, Mapping) else None
        if number is not None:
            return number
    return None


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """A service record's headline numbers; None where the body does not carry one."""

    matches: int | None = None
    wins: int | None = None
    losses: int | None = None
    ties: int | None = None
    kills: int | None = None
    deaths: int | None = None
    assists: int | None = None
    kda: float | None = None
    accuracy: float | None = None
    damage_dealt: int | None = None
    damage_taken: int | None = None
    time_played: timedelta | None = None
    score: int | None = None
    personal_score: int | None = None
    headshot_kills: int | None = None
    melee_kills: int | None = None
    grenade_kills: int | None = None
    power_weapon_kills: int | None = None
    max_killing_spree: int | None = None
    betrayals: int | None = None
    suicides: int | None = None
    shots_fired: int | None = None
    shots_hit: int | None = None
    callout_assists: int | None = None
    vehicle_destroys: int | None = None

    @property
    def kd(self) -> float | None:
        return kd_or_none(self.kills, self.deaths)

    @property
    def win_percent(self) -> float | None:
        return win_percent(self.wins, self.matches)

    @property
    def time_played_seconds(self) -> float | None:
        return None if self.time_played is None else self.time_played.total_seconds()


# RecordSummary numbers found elsewhere than as a `CoreStats` counter (read_summary reads
# them one by one); every other attribute is the counter of that name (`damage_dealt`:
# `DamageDealt`).
_NOT_CORE_COUNTERS = {"matches", "wins", "losses", "ties", "kda", "accuracy", "time_played"}
_CORE_INTS: dict[str, str] = {
    f.name: f.name.title().replace("_", "")
    for f in fields(RecordSummary)
    if f.name not in _NOT_CORE_COUNTERS
}


def read_summary(data: Mapping[str, Any]) -> RecordSummary:
    """The summary numbers of a service record body, old (`KDA`) and new (`AverageKDA`)
    shapes alike; never raises."""
    core = data.get("CoreStats")
    return RecordSummary(
        matches=read_int(data, "MatchesCompleted"),
        wins=read_int(data, "Wins"),
        losses=read_int(data, "Losses"),
        ties=read_int(data, "Ties"),
        kda=read_float(core, "AverageKDA", "KDA"),
        accuracy=read_float(core, "Accuracy"),
        time_played=duration(data.get("TimePlayed")),
        **{attr: read_int(core, key) for attr, key in _CORE_INTS.items()},
    )


def award_counts(data: Mapping[str, Any], block: str) -> dict[int, int]:
    """NameId -> count of `CoreStats.Medals` or `CoreStats.PersonalScores` (bad items skipped,
    repeated ids added up)."""
    core = data.get("CoreStats")
    items = core.get(block) if isinstance(core, Mapping) else None
    out: dict[int, int] = {}
    for item in items if isinstance(items, list) else []:
        name_id, count = read_int(item, "NameId"), read_int(item, "Count")
        if name_id is not None and count is not None:
            out[name_id] = out.get(name_id, 0) + count
    return out


def _subquery(data: Mapping[str, Any], key: str) -> list[Any]:
    sub = data.get("Subqueries")
    items = sub.get(key) if isinstance(sub, Mapping) else None
    return items if isinstance(items, list) else []


def season_ids(data: Mapping[str, Any]) -> list[str]:
    """`Subqueries.SeasonIds`: the seasons the player was active in (strings only)."""
    return [s for s in _subquery(data, "SeasonIds") if isinstance(s, str)]


def variant_categories(data: Mapping[str, Any]) -> list[int]:
    """`Subqueries.GameVariantCategories`: the modes the player played (ints only)."""
    items = _subquery(data, "GameVariantCategories")
    return [c for c in items if isinstance(c, int) and not isinstance(c, bool)]
