"""Per-player, per-match numbers: one flat tuple of ints in the catalog's column layout.

Why: these tuples are the single source of truth. Match stats JSON, team totals, service
records and personal scores are all derived from them, so they agree by construction.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from halotrack.simulator.catalog import (
    COL,
    CUSTOM_SCORE,
    MEDALS,
    PERSONAL_SCORE_SOURCES,
    PS_POINTS,
    WIDTH,
    Variant,
)
from halotrack.simulator.formats import TICKS_PER_SECOND

WIN, LOSS, TIE, DNF = 2, 3, 1, 4

# What a team needs to win, in the unit of its players' `core.Score`: kills in the Slayer
# family, captures, scoring ticks, seeds, extractions. A team reaching it ends the match;
# otherwise the clock did (both teams below it). Rounds-based variants score rounds won.
SCORE_LIMITS: dict[str, int] = {
    "slayer": 50,
    "fiesta": 50,
    "vip": 50,
    "ctf": 3,
    "oddball": 200,
    "strongholds": 250,
    "koth": 150,
    "stockpile": 5,
    "extraction": 5,
}
KILL_SCORED = frozenset({"slayer", "fiesta", "vip"})
TIME_LIMIT_REACHED = 0.15  # share of decided matches that end on the clock


@dataclass(frozen=True, slots=True)
class Seat:
    """A participant as the match plan sees it: side, skill, share of the match played."""

    team: int
    skill: float
    share: float = 1.0


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """One participant's share of the match-level numbers that must add up across players
    and teams: kills, deaths (own suicides included), objective score, rounds."""

    kills: int
    deaths: int
    suicides: int
    betrayals: int
    objective: int
    rounds: tuple[int, int, int]


def _split(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    """`total` units dealt to the weights' owners: by weight, with a random swing each (one
    draw per owner, not per unit: histories deal tens of thousands of matches)."""
    n = len(weights)
    if total <= 0 or not n:
        return [0] * n
    swung = [w * rng.uniform(0.5, 1.5) for w in weights]
    whole = sum(swung)
    if whole <= 0:
        return [0] * n
    exact = [total * w / whole for w in swung]
    out = [int(x) for x in exact]
    rest = total - sum(out)
    if rest:  # the units left over go to the largest fractions
        for i in sorted(range(n), key=lambda i: out[i] - exact[i])[:rest]:
            out[i] += 1
    return out


def _kpm(variant: Variant, skill: float) -> float:
    return (0.55 + 1.1 * skill) * (1.6 if variant.key == "fiesta" else 1.0)


def _team_scores(rng: random.Random, key: str, winner: int) -> tuple[int, int]:
    """Final scores of teams 0 and 1: the winner at the limit (or ahead when the clock ran
    out), the loser below the winner; a tie below the limit."""
    limit = SCORE_LIMITS[key]
    if winner < 0:
        tied = rng.randint(limit // 2, limit - 1)
        return tied, tied
    top = limit
    if rng.random() < TIME_LIMIT_REACHED:
        top = rng.randint(max(1, limit * 3 // 5), limit - 1)
    low = top // 2 if key in KILL_SCORED else 0
    other = rng.randint(low, top - 1)
    return (top, other) if winner == 0 else (other, top)


def _rounds(rng: random.Random, variant: Variant, winner: int) -> dict[int, tuple[int, int, int]]:
    """Rounds (won, lost, tied) per team: one set for the whole match."""
    if variant.rounds > 1:
        need = variant.rounds // 2 + 1
        other = rng.randint(0, need - 1)
        if winner < 0:
            return {0: (other, other, 1), 1: (other, other, 1)}
        return {winner: (need, other, 0), 1 - winner: (other, need, 0)}
    if winner < 0:
        return {0: (0, 0, 1), 1: (0, 0, 1)}
    return {winner: (1, 0, 0), 1 - winner: (0, 1, 0)}


def plan_match(
    rng: random.Random,
    variant: Variant,
    minutes: float,
    seats: Sequence[Seat],
    team_mode: str,
    winner: int,
) -> list[SlotPlan]:
    """The numbers every participant of one match shares, so that they add up.

    Two teams: one team's deaths are the other's kills plus its own suicides and betrayals,
    team scores obey the variant's limit and the outcome. Free-for-all: all deaths are all
    kills plus suicides. PvE: kills and deaths are against the AI, per player.
    """
    n = len(seats)
    suicides = [1 if rng.random() < 0.03 else 0 for _ in seats]
    betrayals = [1 if team_mode == "teams" and rng.random() < 0.01 else 0 for _ in seats]
    kw = [_kpm(variant, s.skill) * s.share for s in seats]
    dw = [(1.45 - 0.6 * s.skill) * s.share for s in seats]
    kills = [0] * n
    deaths = list(suicides)
    objective = [0] * n
    rounds: dict[int, tuple[int, int, int]] = {}
    if team_mode == "pve":
        for i, s in enumerate(seats):
            kills[i] = _n(rng, kw[i] * 6 * minutes)
            deaths[i] += _n(rng, 0.1 * minutes * (1.4 - s.skill) * s.share)
    elif team_mode == "ffa":
        kills = [_n(rng, w * minutes) for w in kw]
        for i in range(n):
            others = [0.0 if j == i else w for j, w in enumerate(dw)]
            if any(others):
                for j, d in enumerate(_split(rng, kills[i], others)):
                    deaths[j] += d
    else:
        rounds = _rounds(rng, variant, winner)
        members = {t: [i for i, s in enumerate(seats) if s.team == t] for t in (0, 1)}
        scores = _team_scores(rng, variant.key, winner) if variant.key in SCORE_LIMITS else None
        team_kills: dict[int, int] = {}
        for t, idx in members.items():
            if scores is not None and variant.key in KILL_SCORED:
                team_kills[t] = scores[t]
            elif variant.key == "elimination":
                # A round is won by eliminating the whole other team; a lost round leaves
                # at least one enemy standing.
                won, lost, _ = rounds[t]
                size = len(members[1 - t])
                team_kills[t] = won * size + min(lost * (size - 1), _n(rng, lost * size * 0.4))
            else:
                team_kills[t] = _n(rng, sum(kw[i] for i in idx) * minutes)
            for i, k in zip(idx, _split(rng, team_kills[t], [kw[i] for i in idx]), strict=True):
                kills[i] = k
            if scores is not None and variant.key not in KILL_SCORED:
                weights = [(0.5 + seats[i].skill) * seats[i].share for i in idx]
                for i, o in zip(idx, _split(rng, scores[t], weights), strict=True):
                    objective[i] = o
        for t, idx in members.items():
            killed = team_kills[1 - t] + sum(betrayals[i] for i in idx)
            for i, d in zip(idx, _split(rng, killed, [dw[i] for i in idx]), strict=True):
                deaths[i] += d
    return [
        SlotPlan(
            kills[i],
            deaths[i],
            suicides[i],
            betrayals[i],
            objective[i],
            rounds.get(s.team, (0, 0, 0)),
        )
        for i, s in enumerate(seats)
    ]


def _limit_score(key: str) -> float:
    """A team's mean final score in a kill- or objective-scored variant, before anyone knows
    who wins: the winner's (the limit, or less when the clock ran out) and the loser's
    (below the winner's) averaged, as `_team_scores` draws them."""
    limit = SCORE_LIMITS[key]
    top = (1 - TIME_LIMIT_REACHED) * limit + TIME_LIMIT_REACHED * (limit * 3 // 5 + limit - 1) / 2
    low = top / 2 if key in KILL_SCORED else 0.0
    return (top + (low + top - 1) / 2) / 2


def _team_kills_mean(
    variant: Variant, minutes: float, weights: Sequence[float], size: int
) -> float:
    """What a team kills on average in `plan_match`, from the variant and the match length."""
    if variant.key in KILL_SCORED:
        return _limit_score(variant.key)
    if variant.key == "elimination":
        need = variant.rounds // 2 + 1
        rounds = need + (need - 1) / 2  # the winner's rounds plus the loser's, on average
        return rounds / 2 * size + rounds / 2 * min(size - 1, size * 0.4)
    return sum(weights) * minutes


def expectation(
    variant: Variant, minutes: float, seats: Sequence[Seat], team_mode: str, index: int
) -> tuple[float, float]:
    """(kills, deaths) seat `index` is expected to make: the mean of what `plan_match` deals
    it, knowing the variant, the match length and every seat's skill but not the outcome.

    Why: the skill service's expectations are per mode and per match length (a Firefight
    match expects a hundred kills and two deaths, an Elimination match a handful), so
    expectations drawn from one kill rate for every mode would make every index lie."""
    kw = [_kpm(variant, s.skill) * s.share for s in seats]
    dw = [(1.45 - 0.6 * s.skill) * s.share for s in seats]
    me = seats[index]
    if team_mode == "pve":
        return kw[index] * 6 * minutes, 0.03 + 0.1 * minutes * (1.4 - me.skill) * me.share
    if team_mode == "ffa":
        deaths = 0.03
        for j, w in enumerate(kw):
            others = sum(dw) - dw[j]
            if j != index and others > 0:
                deaths += w * minutes * dw[index] / others
        return kw[index] * minutes, deaths
    team = [i for i, s in enumerate(seats) if s.team == me.team]
    foes = [i for i, s in enumerate(seats) if s.team != me.team]
    ours = _team_kills_mean(variant, minutes, [kw[i] for i in team], len(foes))
    theirs = _team_kills_mean(variant, minutes, [kw[i] for i in foes], len(team))
    kills = ours * kw[index] / (sum(kw[i] for i in team) or 1.0)
    deaths = 0.03 + theirs * dw[index] / (sum(dw[i] for i in team) or 1.0)
    return kills, deaths


def _n(rng: random.Random, mean: float) -> int:
    """A non-negative integer around `mean` with Poisson-like spread (one draw: cheap)."""
    if mean <= 0:
        return 0
    if mean < 1:
        return 1 if rng.random() < mean else 0
    return max(0, round(rng.gauss(mean, mean**0.5)))


def _sec(seconds: float) -> int:
    """Mode timers are reported in tenths of a second."""
    return int(max(0.0, seconds) * 10) * (TICKS_PER_SECOND // 10)


@dataclass(slots=True)
class _Draw:
    """One participant being drawn: the row so far and what every phase reads from it."""

    rng: random.Random
    variant: Variant
    plan: SlotPlan
    v: list[int]
    minutes: float
    seconds: float
    assists: int = 0
    spree: int = 0

    @property
    def kills(self) -> int:
        return self.plan.kills


def _combat(d: _Draw, skill: float, vehicles: bool) -> None:
    """The core block: kills and how they were made, shots, damage, sprees, vehicles."""
    rng, plan, v, c = d.rng, d.plan, d.v, COL
    kills, deaths, minutes = plan.kills, plan.deaths, d.minutes
    d.assists = assists = _n(rng, kills * (0.25 if "pve" in d.variant.modes else 0.45))
    callouts = _n(rng, 0.3 * minutes)
    head = int(kills * rng.uniform(0.3, 0.75))
    melee = int((kills - head) * rng.uniform(0.0, 0.4))
    grenade = int((kills - head - melee) * rng.uniform(0.0, 0.3))
    power = int((kills - head - melee - grenade) * rng.uniform(0.0, 0.6))
    fired = kills * rng.randint(18, 30) + int(minutes * rng.randint(8, 20))
    hit = int(fired * (0.32 + 0.25 * skill + rng.uniform(-0.05, 0.05)))
    d.spree = spree = min(kills, _n(rng, 1.5 + 3 * skill))
    v[c["core.Kills"]] = kills
    v[c["core.Deaths"]] = deaths
    v[c["core.Assists"]] = assists
    v[c["core.Suicides"]] = plan.suicides
    v[c["core.Betrayals"]] = plan.betrayals
    v[c["core.HeadshotKills"]] = head
    v[c["core.MeleeKills"]] = melee
    v[c["core.GrenadeKills"]] = grenade
    v[c["core.PowerWeaponKills"]] = power
    v[c["core.ShotsFired"]] = fired
    v[c["core.ShotsHit"]] = hit
    v[c["core.DamageDealt"]] = kills * rng.randint(230, 330) + assists * rng.randint(60, 120)
    v[c["core.DamageTaken"]] = deaths * rng.randint(260, 340) + rng.randint(0, 400)
    v[c["core.CalloutAssists"]] = callouts
    v[c["core.MaxKillingSpree"]] = spree
    v[c["core.Spawns"]] = deaths + 1
    v[c["core.RoundsWon"]], v[c["core.RoundsLost"]], v[c["core.RoundsTied"]] = plan.rounds
    if vehicles:
        v[c["core.VehicleDestroys"]] = _n(rng, 0.15 * minutes)
        v[c["core.DriverAssists"]] = _n(rng, 0.05 * minutes)
        v[c["core.Hijacks"]] = _n(rng, 0.05 * minutes)
        v[c["core.EmpAssists"]] = _n(rng, 0.02 * minutes)


# A mode's builder fills its block and returns (score, objectives completed); None leaves
# the value from before (kills and 0, or the PvE figures).
_Score = tuple[int | None, int | None]


def _pve(d: _Draw) -> _Score:
    rng, v, c, kills = d.rng, d.v, COL, d.kills
    v[c["pve.Kills"]], v[c["pve.Deaths"]], v[c["pve.Assists"]] = kills, d.plan.deaths, d.assists
    left = kills
    for name, share in (("Grunt", 0.35), ("Jackal", 0.3), ("Elite", 0.1), ("Brute", 0.12)):
        n = min(left, int(kills * share * rng.uniform(0.7, 1.1)))
        v[c[f"pve.{name}Kills"]] = n
        left -= n
    boss = min(left, rng.randint(0, 3))
    v[c["pve.BossKills"]] = boss
    v[c["pve.SkimmerKills"]] = left - boss
    objectives = rng.randint(0, 5)
    v[c["elimination.AlliesRevived"]] = _n(rng, 0.5)
    v[c["elimination.TimesRevivedByAlly"]] = min(d.plan.deaths, _n(rng, 0.5))
    return kills * 10, objectives


def _ctf(d: _Draw) -> _Score:
    rng, v, c, kills = d.rng, d.v, COL, d.kills
    caps = d.plan.objective
    v[c["ctf.FlagCaptures"]] = caps
    v[c["ctf.FlagCaptureAssists"]] = _n(rng, 0.3)
    grabs = caps + _n(rng, 2)
    v[c["ctf.FlagGrabs"]] = grabs
    v[c["ctf.FlagSteals"]] = min(grabs, _n(rng, 1))
    v[c["ctf.FlagReturns"]] = _n(rng, 0.8)
    v[c["ctf.FlagCarriersKilled"]] = min(kills, _n(rng, 1))
    v[c["ctf.FlagReturnersKilled"]] = min(kills, _n(rng, 0.4))
    v[c["ctf.FlagSecures"]] = _n(rng, 1.2)
    v[c["ctf.KillsAsFlagCarrier"]] = min(kills, _n(rng, 0.2))
    v[c["ctf.KillsAsFlagReturner"]] = min(kills, _n(rng, 0.3))
    v[c["ctf.TimeAsFlagCarrier"]] = _sec(grabs * rng.uniform(3, 20))
    return caps, caps


def _oddball(d: _Draw) -> _Score:
    rng, v, c, kills = d.rng, d.v, COL, d.kills
    ticks = d.plan.objective
    hold = min(d.seconds, ticks + rng.random())
    v[c["oddball.SkullGrabs"]] = _n(rng, 1.5)
    v[c["oddball.TimeAsSkullCarrier"]] = _sec(hold)
    v[c["oddball.LongestTimeAsSkullCarrier"]] = _sec(hold * rng.uniform(0.3, 1.0))
    v[c["oddball.SkullScoringTicks"]] = ticks
    v[c["oddball.SkullCarriersKilled"]] = min(kills, _n(rng, 2.5))
    v[c["oddball.KillsAsSkullCarrier"]] = min(kills, _n(rng, 0.3))
    return ticks, None


def _zones(d: _Draw) -> _Score:
    rng, v, c, kills = d.rng, d.v, COL, d.kills
    caps = _n(rng, 0.5 * d.minutes)
    v[c["zones.ZoneCaptures"]] = caps
    v[c["zones.ZoneSecures"]] = _n(rng, caps * 0.5)
    v[c["zones.ZoneDefensiveKills"]] = min(kills, _n(rng, kills * 0.3))
    v[c["zones.ZoneOffensiveKills"]] = min(kills, _n(rng, kills * 0.3))
    score = d.plan.objective
    v[c["zones.TotalZoneOccupationTime"]] = _sec(min(d.seconds, score / 0.6))
    v[c["zones.ZoneScoringTicks"]] = score
    return score, caps


def _stockpile(d: _Draw) -> _Score:
    rng, v, c, kills = d.rng, d.v, COL, d.kills
    dep = d.plan.objective
    v[c["stockpile.PowerSeedsDeposited"]] = dep
    v[c["stockpile.PowerSeedsStolen"]] = _n(rng, 0.3)
    v[c["stockpile.PowerSeedCarriersKilled"]] = min(kills, _n(rng, 1.2))
    v[c["stockpile.KillsAsPowerSeedCarrier"]] = min(kills, _n(rng, 0.2))
    v[c["stockpile.TimeAsPowerSeedCarrier"]] = _sec(dep * rng.uniform(5, 40))
    v[c["stockpile.TimeAsPowerSeedDriver"]] = _sec(rng.choice((0, 0, 0, 3.4, 8)))
    return dep, dep


def _extraction(d: _Draw) -> _Score:
    rng, v, c = d.rng, d.v, COL
    done = d.plan.objective
    v[c["extraction.SuccessfulExtractions"]] = done
    v[c["extraction.ExtractionInitiationsCompleted"]] = done + _n(rng, 0.5)
    v[c["extraction.ExtractionInitiationsDenied"]] = _n(rng, 0.3)
    v[c["extraction.ExtractionConversionsCompleted"]] = _n(rng, 0.8)
    v[c["extraction.ExtractionConversionsDenied"]] = _n(rng, 0.4)
    return done, done


def _elimination(d: _Draw) -> _Score:
    rng, v, c, kills = d.rng, d.v, COL, d.kills
    won = d.plan.rounds[0]
    v[c["elimination.Eliminations"]] = min(kills, _n(rng, kills * 0.5))
    v[c["elimination.EliminationAssists"]] = _n(rng, 0.5)
    v[c["elimination.RoundsSurvived"]] = won + _n(rng, 0.5)
    v[c["elimination.KillsAsLastPlayerStanding"]] = min(kills, _n(rng, 0.4))
    v[c["elimination.LastPlayersStandingKilled"]] = min(kills, _n(rng, 0.6))
    v[c["elimination.AlliesRevived"]] = _n(rng, 0.6)
    v[c["elimination.TimesRevivedByAlly"]] = _n(rng, 0.5)
    v[c["elimination.EnemyRevivesDenied"]] = _n(rng, 0.2)
    v[c["elimination.Executions"]] = _n(rng, 0.1)
    return won, None


def _infection(d: _Draw) -> _Score:
    rng, v, c, kills = d.rng, d.v, COL, d.kills
    infected = _n(rng, 1.5)
    v[c["infection.SpartansInfected"]] = infected
    v[c["infection.InfectedKilled"]] = min(kills, _n(rng, kills * 0.6))
    v[c["infection.RoundsFinishedAsInfected"]] = rng.randint(1, max(1, d.variant.rounds))
    v[c["infection.KillsAsLastSpartanStanding"]] = min(kills, _n(rng, 0.4))
    v[c["infection.LastSpartansStandingInfected"]] = _n(rng, 0.2)
    v[c["infection.RoundsAsLastSpartanStanding"]] = _n(rng, 0.3)
    v[c["infection.TimeAsLastSpartanStanding"]] = _sec(rng.choice((0, 0, 3.8, 16.1)))
    v[c["infection.AlphasKilled"]] = _n(rng, 0.1)
    v[c["infection.RoundsAsAlpha"]] = _n(rng, 0.1)
    return kills + infected, None


def _vip(d: _Draw) -> _Score:
    rng, v, c, kills = d.rng, d.v, COL, d.kills
    v[c["vip.VipKills"]] = min(kills, _n(rng, 0.6))
    v[c["vip.VipAssists"]] = _n(rng, 0.3)
    sel = _n(rng, 0.6)
    v[c["vip.TimesSelectedAsVip"]] = sel
    if sel:
        v[c["vip.KillsAsVip"]] = min(kills, _n(rng, 2))
        v[c["vip.MaxKillingSpreeAsVip"]] = min(d.spree, v[c["vip.KillsAsVip"]])
        t = rng.uniform(10, 150) * sel
        v[c["vip.TimeAsVip"]] = _sec(t)
        v[c["vip.LongestTimeAsVip"]] = _sec(t / sel)
    return None, None


_MODE_BLOCKS: dict[str, Callable[[_Draw], _Score]] = {
    "ctf": _ctf,
    "oddball": _oddball,
    "strongholds": _zones,
    "koth": _zones,
    "stockpile": _stockpile,
    "extraction": _extraction,
    "elimination": _elimination,
    "infection": _infection,
    "vip": _vip,
}


def generate(
    rng: random.Random,
    variant: Variant,
    skill: float,
    time_ticks: int,
    outcome: int,
    plan: SlotPlan,
    vehicles: bool = False,
) -> tuple[int, ...]:
    """Stats of one participant. `skill` in 0..1; `plan` is its share of the match's
    numbers (see `plan_match`); the rest is drawn here, phase by phase in a fixed order
    (the same seed gives the same match): combat, the record, PvP or PvE, the mode's own
    block, score, personal scores, medals."""
    v = [0] * WIDTH
    minutes = time_ticks / (60 * TICKS_PER_SECOND)
    d = _Draw(rng, variant, plan, v, minutes, minutes * 60)
    _combat(d, skill, vehicles)
    c = COL
    v[c["_matches"]] = 1
    v[c["_wins"]] = int(outcome == WIN)
    v[c["_losses"]] = int(outcome == LOSS)
    v[c["_ties"]] = int(outcome == TIE)
    v[c["_time"]] = time_ticks
    score, objectives = plan.kills, 0
    if "pvp" in variant.modes:
        v[c["pvp.Kills"]], v[c["pvp.Deaths"]], v[c["pvp.Assists"]] = (
            plan.kills,
            plan.deaths,
            d.assists,
        )
    for build in (_pve if "pve" in variant.modes else None, _MODE_BLOCKS.get(variant.key)):
        if build is not None:
            got_score, got_objectives = build(d)
            score = score if got_score is None else got_score
            objectives = objectives if got_objectives is None else got_objectives
    v[c["core.Score"]] = score
    v[c["core.ObjectivesCompleted"]] = objectives
    _personal_scores(v, variant, rng)
    _medals(v, variant, rng)
    return tuple(v)


# The personal scores that count one stat each; the others are worked out per variant below.
_PS_FROM: tuple[tuple[int, str], ...] = tuple(
    (nid, src) for nid, src in PERSONAL_SCORE_SOURCES if src is not None
)
_PS_PAIRS = tuple((COL[f"ps.{nid}"], COL[src], PS_POINTS[nid]) for nid, src in _PS_FROM)
# Zone captures and secures score per variant: Hill Scored and Hill Control in King of the
# Hill, Zone Captured and Zone Secured in Strongholds.
_ZONE_SCORES = {"koth": (1032565232, 340198991), "strongholds": (3507884073, 709346128)}
_PS_CUSTOM = COL[f"ps.{CUSTOM_SCORE}"]
_PS_CUSTOM_TOTAL = COL["ps_total.custom"]


def _personal_scores(v: list[int], variant: Variant, rng: random.Random) -> None:
    total = 0
    for dst, src, pts in _PS_PAIRS:
        v[dst] = v[src]
        total += v[src] * pts
    if variant.key == "oddball":
        n = v[COL["oddball.SkullScoringTicks"]] // 10
        v[COL["ps.454168309"]] = n
        total += n * PS_POINTS[454168309]
    if variant.key in _ZONE_SCORES:
        caps, secs = v[COL["zones.ZoneCaptures"]], v[COL["zones.ZoneSecures"]]
        cap_id, sec_id = _ZONE_SCORES[variant.key]
        v[COL[f"ps.{cap_id}"]], v[COL[f"ps.{sec_id}"]] = caps, secs
        total += caps * PS_POINTS[cap_id] + secs * PS_POINTS[sec_id]
    if variant.key in ("infection", "firefight"):
        n = v[COL["infection.SpartansInfected"]] + v[COL["pve.Kills"]] // 2
        if n:
            awarded = n * 10 + rng.randint(0, n) * 5
            v[_PS_CUSTOM] = n
            v[_PS_CUSTOM_TOTAL] = awarded
            total += awarded
    v[COL["core.PersonalScore"]] = total


_M = {m: COL[f"medal.{m}"] for m in MEDALS}


def _medals(v: list[int], variant: Variant, rng: random.Random) -> None:
    kills = v[COL["core.Kills"]]
    if "pve" in variant.modes:
        return
    doubles = _n(rng, kills / 7)
    v[_M[622331684]] = doubles
    v[_M[2063152177]] = min(doubles, _n(rng, doubles / 5))
    v[_M[835814121]] = min(v[_M[2063152177]], _n(rng, doubles / 25))
    spree = v[COL["core.MaxKillingSpree"]]
    v[_M[2780740615]] = 1 if spree >= 5 else 0
    v[_M[4261842076]] = 1 if spree >= 10 else 0
    v[_M[3233952928]] = _n(rng, kills / 15)
    v[_M[1512363953]] = min(kills, _n(rng, kills / 6))
    v[_M[2123530881]] = min(kills, _n(rng, kills / 12))
    v[_M[548533137]] = min(v[COL["core.MeleeKills"]], _n(rng, 0.3))
    v[_M[4229934157]] = min(v[COL["core.PowerWeaponKills"]], _n(rng, 0.4))
    v[_M[3655682764]] = min(v[COL["core.GrenadeKills"]], _n(rng, 0.2))
    v[_M[1172766553]] = 1 if kills >= 5 and rng.random() < 0.3 else 0
    v[_M[269174970]] = 1 if v[COL["core.MeleeKills"]] >= 5 else 0
    v[_M[2648272972]] = 1 if v[COL["core.GrenadeKills"]] >= 5 else 0
    v[_M[3334154676]] = _n(rng, 0.1)
    v[_M[2477555653]] = 1 if v[COL["core.CalloutAssists"]] >= 5 else 0
    if variant.key == "ctf":
        v[_M[976049027]] = _n(rng, 0.1)
        v[_M[3227840152]] = _n(rng, 0.1)
    if variant.key in ("strongholds", "koth"):
        v[_M[580478179]] = _n(rng, 0.3)
    if variant.key == "infection":
        v[_M[557309779]] = _n(rng, 0.3)
