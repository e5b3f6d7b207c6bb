"""Personal scores decoded: name each personal-score NameId by the visible stat it counts.

Why: no game file names personal-score awards. Each match gives, per player, how many times
every NameId was awarded (`Count`) beside dozens of visible counters (core stats and the
mode blocks). A NameId whose count equals one counter for every player of every match where
the award exists (absent counts as 0) is that counter: `Count == Kills` everywhere is
"Killed Player". Points per award are `TotalPersonalScoreAwarded / Count`.

    observations = observations_from_matches(raw_match_dicts)
    for inf in infer(observations, known=load_personal_scores(...)):
        print(inf.name_id, inf.proposed_name, inf.points, inf.evidence)

Pure analysis over raw match JSON: no network; the store is only read by the caller.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from halotrack.errors import ConfigError
from halotrack.models.names import (
    VARIABLE_SCORE_ID,
    PersonalScoreBook,
    category_name,
)

# Counters that aggregate others (or the score itself): they can equal an award's count by
# coincidence of the mode's rules (CTF score = captures), so a specific counter wins a tie.
GENERIC = frozenset(
    {
        "CoreStats.Score",
        "CoreStats.PersonalScore",
        "CoreStats.ObjectivesCompleted",
        "CoreStats.RoundsWon",
        "CoreStats.RoundsLost",
        "CoreStats.RoundsTied",
        "CoreStats.Spawns",
        "CoreStats.MaxKillingSpree",
    }
)

# A counter that explains at least this share of the observations (with a few awards) is
# proposed as "likely": real data has odd cases (an Infection assist counted differently).
LIKELY_SHARE = 0.9
LIKELY_MIN = 3

# What the game calls the award a counter stands for (facts from match data and the
# community's table); a counter not listed is proposed under its own name.
STAT_MEANINGS: dict[str, str] = {
    "CoreStats.Kills": "Killed Player",
    "PvpStats.Kills": "Killed Player",
    "CoreStats.Assists": "Kill Assist",
    "PvpStats.Assists": "Kill Assist",
    "CoreStats.CalloutAssists": "Mark (callout) Assist",
    "CoreStats.Suicides": "Self-destruction",
    "CoreStats.Betrayals": "Betrayed Player",
    "CoreStats.DriverAssists": "Driver Assist",
    "CoreStats.EmpAssists": "EMP Assist",
    "CoreStats.VehicleDestroys": "Vehicle Destroyed",
    "CoreStats.Hijacks": "Vehicle Hijacked",
    "CaptureTheFlagStats.FlagCaptures": "Flag Captured",
    "CaptureTheFlagStats.FlagCaptureAssists": "Flag Capture Assist",
    "CaptureTheFlagStats.FlagReturns": "Flag Returned",
    "CaptureTheFlagStats.FlagSteals": "Flag Stolen",
    "CaptureTheFlagStats.FlagGrabs": "Flag Taken",
    "CaptureTheFlagStats.FlagCarriersKilled": "Runner Stopped",
    "CaptureTheFlagStats.FlagSecures": "Flag Secure",
    "EliminationStats.Eliminations": "Eliminated Player",
    "EliminationStats.AlliesRevived": "Revived Player",
    "EliminationStats.EnemyRevivesDenied": "Revive Denied",
    "OddballStats.SkullGrabs": "Ball Taken",
    "OddballStats.SkullCarriersKilled": "Carrier Stopped",
    "StockpileStats.PowerSeedsDeposited": "Stockpile Scored",
    "StockpileStats.PowerSeedsStolen": "Power Seed Stolen",
    "StockpileStats.PowerSeedCarriersKilled": "Carrier Killed",
    "ExtractionStats.SuccessfulExtractions": "Extraction Completed",
    "ExtractionStats.ExtractionConversionsCompleted": "Extraction Converted",
    "ExtractionStats.ExtractionConversionsDenied": "Conversion Denied",
    "ExtractionStats.ExtractionInitiationsCompleted": "Extraction Initiated",
    "ExtractionStats.ExtractionInitiationsDenied": "Extraction Denied",
    "ZonesStats.StrongholdCaptures": "Zone Captured",
    "ZonesStats.ZoneCaptures": "Zone Captured",
    "ZonesStats.StrongholdSecures": "Zone Secured",
    "ZonesStats.ZoneSecures": "Zone Secured",
    "InfectionStats.SpartansInfected": "Spartan Infected",
    "VipStats.VipKills": "VIP Killed",
}


@dataclass(frozen=True, slots=True)
class Observation:
    """One player's stats on one team in one match: visible counters and award counts."""

    match_id: str
    category: int | None
    stats: Mapping[str, int]
    counts: Mapping[int, int]
    totals: Mapping[int, int]


def _flatten(stats: Mapping[str, Any]) -> dict[str, int]:
    """`{"CoreStats.Kills": 22, "CaptureTheFlagStats.FlagCaptures": 1, ...}`: integer
    counters only (durations, ratios and lists are not counts)."""
    out: dict[str, int] = {}
    for block, values in stats.items():
        if not isinstance(values, Mapping):
            continue
        for key, value in values.items():
            if isinstance(value, int) and not isinstance(value, bool):
                out[f"{block}.{key}"] = value
    return out


def observations_from_match(raw: Mapping[str, Any]) -> list[Observation]:
    """Observations of one match stats JSON. Only entries with personal scores count: bots
    (and older data) have none at all, which says nothing about what an award counts."""
    mid = str(raw.get("MatchId", "")).lower()
    info = raw.get("MatchInfo") or {}
    category = info.get("GameVariantCategory") if isinstance(info, Mapping) else None
    out = []
    for player in raw.get("Players") or []:
        for pts in player.get("PlayerTeamStats") or []:
            stats = pts.get("Stats") or {}
            core = stats.get("CoreStats") or {}
            counts: dict[int, int] = {}
            totals: dict[int, int] = {}
            for award in core.get("PersonalScores") or []:
                nid = int(award.get("NameId", 0))
                counts[nid] = counts.get(nid, 0) + int(award.get("Count", 0))
                totals[nid] = totals.get(nid, 0) + int(award.get("TotalPersonalScoreAwarded", 0))
            if counts:
                out.append(Observation(mid, category, _flatten(stats), counts, totals))
    return out


def observations_from_matches(raws: Iterable[Mapping[str, Any]]) -> Iterator[Observation]:
    """Observations of many matches, match after match (lazily: a store of thousands of
    matches is read one match at a time)."""
    for raw in raws:
        yield from observations_from_match(raw)


@dataclass(frozen=True, slots=True)
class Candidate:
    """How well one counter explains one NameId's counts over the observations in scope."""

    stat: str
    matched: int
    observed: int
    positive: int

    @property
    def perfect(self) -> bool:
        return self.observed > 0 and self.matched == self.observed and self.positive > 0


@dataclass(frozen=True, slots=True)
class Inference:
    """What one personal-score NameId most likely is, with the evidence."""

    name_id: int
    stat: str | None
    proposed_name: str | None
    points: int | None
    points_range: tuple[int, int]
    awards: int
    player_matches: int
    matches: int
    categories: tuple[str, ...]
    best: Candidate | None
    alternatives: tuple[str, ...]
    status: str
    confident: bool
    known_name: str | None
    known_points: int | None
    agrees: bool | None

    @property
    def evidence(self) -> str:
        where = ", ".join(self.categories) or "unknown mode"
        plural = "match" if self.matches == 1 else "matches"
        if self.best is None:
            return f"no counter seen in {self.matches} {plural} ({where})"
        b = self.best
        text = (
            f"matched in {b.matched} of {b.observed} player-matches "
            f"({b.positive} awarded) over {self.matches} {plural} ({where})"
        )
        if self.status == "ambiguous":
            text += f"; equally: {', '.join(self.alternatives)}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "name_id": self.name_id,
            "proposed_name": self.proposed_name,
            "stat": self.stat,
            "points": self.points,
            "points_range": list(self.points_range),
            "awards": self.awards,
            "player_matches": self.player_matches,
            "matches": self.matches,
            "categories": list(self.categories),
            "matched": self.best.matched if self.best else 0,
            "observed": self.best.observed if self.best else 0,
            "alternatives": list(self.alternatives),
            "status": self.status,
            "confident": self.confident,
            "evidence": self.evidence,
            "known_name": self.known_name,
            "known_points": self.known_points,
            "agrees": self.agrees,
        }


def _humanize(stat: str) -> str:
    block, _, key = stat.partition(".")
    words: list[str] = []
    for ch in key:
        if ch.isupper() and words and not words[-1].isupper():
            words.append(" ")
        words.append(ch)
    return "".join(words).strip() + f" ({block.removesuffix('Stats')})"


def meaning_of(stat: str) -> str:
    """The award name a counter stands for (its own words when not in the table)."""
    return STAT_MEANINGS.get(stat) or _humanize(stat)


def _rank_key(c: Candidate) -> tuple[float, int, int, int, str]:
    """Best first: the share of observations explained, then coverage, then a specific
    counter before an aggregate, then more awards explained."""
    share = c.matched / c.observed if c.observed else 0.0
    return (-share, -c.observed, int(c.stat in GENERIC), -c.positive, c.stat)


def _names_agree(proposed: str, known: str) -> bool:
    a, b = proposed.lower(), known.lower()
    return a in b or b in a


def _by_match(observations: Iterable[Observation]) -> Iterator[tuple[str, list[Observation]]]:
    """Observations grouped by match. They must come match by match (as
    `observations_from_matches` gives them), so memory stays one match wide."""
    for mid, group in itertools.groupby(observations, key=lambda o: o.match_id):
        yield mid, list(group)


def infer(
    observations: Iterable[Observation],
    *,
    known: PersonalScoreBook | None = None,
    min_matches: int = 1,
) -> list[Inference]:
    """One inference per personal-score NameId seen, most awarded first.

    `observations` come match by match (contiguous per match). For a NameId, the scope is
    every observation of every match where anyone got it; in
    scope an absent award counts 0. A counter is a perfect candidate when it equals the count
    in every observation that has it, with at least one award. The best perfect candidate
    covers the most observations, then prefers a specific counter to an aggregate (GENERIC).
    `status`: "confident" (a perfect best with no rival meaning the other thing, constant
    points, seen in at least `min_matches` matches), "likely" (perfect but short of that, or
    explaining at least LIKELY_SHARE of the observations), "ambiguous" (another counter with
    another meaning fits as well), or "unknown". The scripted NameId 4294967295 (variable)
    is never named.
    """
    matched: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    observed: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    positive: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    awards: dict[int, int] = defaultdict(int)
    holders: dict[int, int] = defaultdict(int)
    per_award: dict[int, set[int]] = defaultdict(set)
    matches_of: dict[int, set[str]] = defaultdict(set)
    categories: dict[int, set[str]] = defaultdict(set)
    for mid, group in _by_match(observations):
        nids = {nid for o in group for nid, n in o.counts.items() if n}
        for nid in nids:
            matches_of[nid].add(mid)
        for o in group:
            for nid in nids:
                n = o.counts.get(nid, 0)
                m_row, ob_row = matched[nid], observed[nid]
                for stat, value in o.stats.items():
                    ob_row[stat] += 1
                    if value == n:
                        m_row[stat] += 1
                        if n:
                            positive[nid][stat] += 1
                if n:
                    awards[nid] += n
                    holders[nid] += 1
                    per_award[nid].add(o.totals.get(nid, 0) // n if n else 0)
                    if o.totals.get(nid, 0) % n:
                        per_award[nid].add(-(10**9))  # not a whole number of points
                    categories[nid].add(category_name(o.category))
    out: list[Inference] = []
    for nid in sorted(awards, key=lambda k: (-awards[k], k)):
        cands = sorted(
            (
                Candidate(s, matched[nid][s], observed[nid][s], positive[nid].get(s, 0))
                for s in observed[nid]
            ),
            key=_rank_key,
        )
        best = cands[0] if cands and cands[0].matched > 0 else None
        if nid == VARIABLE_SCORE_ID:
            best = None
        rivals: tuple[str, ...] = ()
        tied = False
        if best is not None:
            same = [
                c for c in cands[1:] if c.matched == best.matched and c.observed == best.observed
            ]
            rivals = tuple(c.stat for c in same)
            # A mirror (PvpStats.Kills beside CoreStats.Kills) or an aggregate that happens to
            # agree (CTF score = captures) is no rival; two different specific counters are.
            tied = any(
                meaning_of(c.stat) != meaning_of(best.stat)
                and (c.stat in GENERIC) == (best.stat in GENERIC)
                for c in same
            )
        pts_set = per_award[nid]
        consistent = len(pts_set) == 1 and min(pts_set) > -(10**9)
        points = next(iter(pts_set)) if consistent else None
        valid = [p for p in pts_set if p > -(10**9)]
        prange = (min(valid), max(valid)) if valid else (0, 0)
        if best is None:
            status = "unknown"
        elif best.perfect:
            enough = len(matches_of[nid]) >= max(1, min_matches)
            status = "confident" if consistent and enough else "likely"
        elif best.matched >= LIKELY_SHARE * best.observed and best.positive >= LIKELY_MIN:
            status = "likely"
        else:
            status = "unknown"
        if tied and status != "unknown":
            status = "ambiguous"
        chosen = best.stat if best is not None and status in ("confident", "likely") else None
        proposed = meaning_of(chosen) if chosen else None
        confident = status == "confident"
        known_name: str | None = None
        known_points: int | None = None
        agrees: bool | None = None
        if known is not None and nid in known:
            info = known.info(nid)
            known_name, known_points = info.name, info.points
            if proposed is not None:
                agrees = _names_agree(proposed, info.name) and (
                    known_points is None or known_points == points
                )
        out.append(
            Inference(
                name_id=nid,
                stat=chosen,
                proposed_name=proposed,
                points=points,
                points_range=prange,
                awards=awards[nid],
                player_matches=holders[nid],
                matches=len(matches_of[nid]),
                categories=tuple(sorted(categories[nid])),
                best=best,
                alternatives=rivals,
                status=status,
                confident=confident,
                known_name=known_name,
                known_points=known_points,
                agrees=agrees,
            )
        )
    return out


@dataclass
class SaveReport:
    path: Path
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    kept: int = 0


def save_inferences(path: Path, inferences: Iterable[Inference]) -> SaveReport:
    """Merge the confident inferences into a personal scores file (the bundled format:
    `{"scores": [{"name_id", "name", "points"}]}`), keeping every other entry. Written
    atomically (temp file, then rename)."""
    report = SaveReport(path)
    existing: dict[int, dict[str, Any]] = {}
    source = "halotrack scores infer --save"
    if path.exists():
        try:
            data = json.loads(path.read_text("utf-8"))
            for row in data.get("scores", []):
                existing[int(row["name_id"])] = dict(row)
            source = str(data.get("source") or source)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"cannot read {path}: {exc}", hint="fix or move the file, then save again"
            ) from exc
    for inf in inferences:
        if not inf.confident or inf.proposed_name is None:
            continue
        row = {"name_id": inf.name_id, "name": inf.proposed_name, "points": inf.points}
        old = existing.get(inf.name_id)
        if old is None:
            report.added.append(inf.name_id)
        elif old.get("name") != row["name"] or old.get("points") != row["points"]:
            report.updated.append(inf.name_id)
        existing[inf.name_id] = row
    report.kept = len(existing) - len(report.added)
    body = {"source": source, "scores": [existing[k] for k in sorted(existing)]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", "utf-8")
    tmp.replace(path)
    return report
