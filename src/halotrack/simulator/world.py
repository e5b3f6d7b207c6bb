"""The synthetic world: players, seasons, playlists, assets and the matches they play.

Why: everything the simulator serves derives from here, deterministically from the seed. A
player's history before the simulated start is generated lazily from (seed, xuid) on first
use, so a 10,000-player world starts instantly; matches played after the start (advance, play)
are appended as the clock moves. Each participant's numbers are one tuple of ints (see
`gen.generate`); records are column sums of those tuples.
"""

from __future__ import annotations

import hashlib
import os
import random
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from itertools import compress
from typing import Any

from halotrack.simulator import gen
from halotrack.simulator.catalog import (
    MAPS,
    MAX_COLUMNS,
    UNRANKED,
    VARIANT_BY_KEY,
    WIDTH,
    PlaylistSpec,
    Variant,
    ranked_specs,
)
from halotrack.simulator.formats import (
    TICKS_PER_MS,
    TICKS_PER_SECOND,
    flight_id,
    from_ms,
    guid,
    to_ms,
)

DEFAULT_NOW = datetime(2026, 1, 1, tzinfo=UTC)
LAUNCH = datetime(2021, 11, 15, 18, tzinfo=UTC)
XUID_BASE = 2533274800000001
GUEST_BASE = 2535400000000000
PLACEMENT_MATCHES = 10
LIFECYCLE_MATCHMADE = 3
LIFECYCLE_CUSTOM = 1
LIFECYCLE_LOCAL = 2  # LAN
LIFECYCLE_LOCAL_ALT = 7  # LAN too: the real API was seen sending either
LIFECYCLE_NAMES = {LIFECYCLE_MATCHMADE: "matchmaking", LIFECYCLE_CUSTOM: "custom"}
"""The match history `type` each lifecycle answers to (every other lifecycle is `local`)."""

_WORDS = (
    "Noble",
    "Spartan",
    "Covenant",
    "Warthog",
    "Banshee",
    "Reclaimer",
    "Grunt",
    "Oddball",
    "Sentinel",
    "Flood",
    "Arbiter",
    "Ghost",
    "Hornet",
    "Cortana",
    "Needler",
    "Plasma",
    "Sniper",
    "Onyx",
    "Hunter",
    "Skull",
)
_UNICODE = ("Ñandú", "Zoë", "Jörmungandr", "Łukasz", "Søren", "Ĉapelo", "Ämmä", "Çelik")


def _h(*parts: object) -> int:
    return int.from_bytes(
        hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest(), "big"
    )


def _gamertag(rng: random.Random, i: int) -> str:
    style = i % 6
    if style == 0:
        return f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}"[:15]
    if style == 1:
        return f"{rng.choice(_UNICODE)}{rng.randint(1, 999)}"
    if style == 2:
        # Exactly 15 characters: the longest a gamertag can be.
        return (rng.choice(_WORDS) + rng.choice(_WORDS) + "xxxxxxxxxxxxxxx")[:15]
    if style == 3:
        return f"{rng.choice(_WORDS)}{rng.randint(10, 99999)}"
    if style == 4:
        return f"x {rng.choice(_WORDS)} {rng.randint(1, 99)}"
    return f"{rng.choice(_WORDS).lower()}_{rng.choice(_WORDS).lower()}"[:15]


@dataclass
class SimPlayer:
    """A world player. `skill` is 0..1; `activity` is idle, casual or daily."""

    index: int
    xuid: int
    gamertag: str
    activity: str
    skill: float
    history: list[Slot] | None = field(default=None, repr=False)
    live: list[Slot] = field(default_factory=list, repr=False)
    version: int = 0
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    csr_version: int = field(default=-1, repr=False)
    csr: dict[tuple[int, int], list[int]] = field(default_factory=dict, repr=False)
    csr_alltime: dict[int, int] = field(default_factory=dict, repr=False)

    @property
    def player_id(self) -> str:
        return f"xuid({self.xuid})"

    @property
    def mmr(self) -> float:
        return 250 + 1350 * self.skill


@dataclass(frozen=True)
class Season:
    index: int
    metadata_path: str
    csr_path: str
    operation_track: str
    start_ms: int
    end_ms: int
    name: str

    @property
    def record_id(self) -> str:
        """The `seasonId` a service record answers to: from Season 5 on the CSR file path."""
        return self.csr_path if self.index >= 5 else self.metadata_path

    @cached_property
    def ids(self) -> frozenset[str]:
        """Every `seasonId` that selects this season (lower case): its metadata path, and
        from Season 5 on its CSR file path too (the record lists both families)."""
        return frozenset({self.metadata_path.lower(), self.record_id.lower()})


@dataclass(frozen=True)
class CsrSeason:
    index: int
    path: str
    start_ms: int
    end_ms: int

    @property
    def bare_id(self) -> str:
        return self.path.rsplit("/", 1)[-1].removesuffix(".json")


@dataclass(frozen=True)
class Asset:
    """A discovery asset version (map, game variant, map-mode pair, playlist)."""

    kind: str
    asset_id: str
    version_id: str
    name: str
    description: str


@dataclass(frozen=True)
class Playlist:
    index: int
    spec: PlaylistSpec
    asset: Asset
    variants: tuple[tuple[Variant, Asset], ...]
    pairs: tuple[tuple[Asset, Asset, Asset], ...]  # (map-mode pair, map, variant asset)

    @property
    def ranked(self) -> bool:
        return self.spec.ranked


@dataclass(slots=True)
class Match:
    match_id: str
    seed: int
    start_ms: int
    duration_ticks: int
    lifecycle: int
    playlist: Playlist | None
    variant: Variant
    variant_asset: Asset
    map_asset: Asset
    pair: Asset | None
    season: Season
    team_count: int
    team_mode: str  # "teams", "ffa" (Infection), "pve"
    slots: list[Slot] = field(repr=False)
    winner: int = field(default=0)  # winning team, -1 tie
    total: int = 0  # participants, world players first
    per_team: int = 1
    bots: bool = False
    complete: bool = False  # guests and bots added to `slots` (see World.roster)

    @property
    def ranked(self) -> bool:
        return self.playlist is not None and self.playlist.ranked

    @property
    def interaction(self) -> int:
        return self.playlist.spec.interaction if self.playlist else 1

    @property
    def history_type(self) -> str:
        """The match history `type` that lists this match (besides `all`)."""
        return LIFECYCLE_NAMES.get(self.lifecycle, "local")

    @property
    def minutes(self) -> float:
        return self.duration_ticks / (60 * TICKS_PER_SECOND)


@dataclass(slots=True)
class Slot:
    """One participant of a match. World players keep their numbers packed (non-zero
    columns only); guests and bots are regenerated from the match seed when needed."""

    match: Match = field(repr=False)
    index: int
    player_id: str
    xuid: int | None
    bot: bool
    team: int
    outcome: int
    rank: int
    skill: float
    left_early: bool = False
    packed: tuple[array[int], array[int]] | None = field(default=None, repr=False)
    csr_pre: tuple[int, int] = (-1, PLACEMENT_MATCHES)
    csr_post: tuple[int, int] = (-1, PLACEMENT_MATCHES)


@dataclass
class Filters:
    """Scope of a service record request."""

    lifecycle: int = LIFECYCLE_MATCHMADE
    season: str | None = None
    category: int | None = None
    ranked: bool | None = None
    playlist: str | None = None
    interaction: int | None = None

    def key(self) -> tuple[Any, ...]:
        return (
            self.lifecycle,
            self.season.lower() if self.season else None,
            self.category,
            self.ranked,
            self.playlist.lower() if self.playlist else None,
            self.interaction,
        )

    def accepts(self, m: Match) -> bool:
        if m.history_type != LIFECYCLE_NAMES.get(self.lifecycle, "local"):
            return False
        if self.season is not None and self.season.lower() not in m.season.ids:
            return False
        if self.category is not None and m.variant.category != self.category:
            return False
        if self.ranked is not None and m.ranked != self.ranked:
            return False
        if self.playlist is not None and (
            m.playlist is None or m.playlist.asset.asset_id.lower() != self.playlist.lower()
        ):
            return False
        return self.interaction is None or m.interaction == self.interaction


class Clock:
    """The simulated clock: starts at the world's `now` and moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self._ms = to_ms(start)

    def now(self) -> datetime:
        return from_ms(self._ms)

    def now_ms(self) -> int:
        return self._ms

    def advance(self, hours: float) -> None:
        self._ms += int(hours * 3_600_000)


class World:
    """Deterministic synthetic world; ask it for the truth in tests."""

    def __init__(
        self,
        seed: int = 7,
        players: int = 200,
        now: datetime | None = None,
        seasons: int = 12,
        ranked_playlists: int = 2,
        active_fraction: float | None = None,
        history_scale: float = 1.0,
        next_season_in: timedelta | None = None,
    ) -> None:
        """`next_season_in`: the running season ends that long after `now` and one more
        season (announced in the calendar) follows, for a test of what a new season
        brings; by default the last season runs past 60 days from `now`."""
        self.seed = seed
        self.start = (now or DEFAULT_NOW).astimezone(UTC)
        self.clock = Clock(self.start)
        self.active_fraction = active_fraction
        self.history_scale = history_scale
        self._advance_count = 0
        self._live_count = 0
        self.live_matches: dict[str, Match] = {}
        self._plans: OrderedDict[str, list[gen.SlotPlan]] = OrderedDict()
        # The flight id: the clearance endpoint's FlightConfigurationId and every match's
        # ClearanceId. HALOTRACK_SIM_TOKEN_PREFIX marks it too (the test suite's canary).
        self.clearance_id = flight_id(seed, os.environ.get("HALOTRACK_SIM_TOKEN_PREFIX", ""))
        self._build_seasons(seasons, next_season_in)
        self._build_assets(ranked_playlists)
        self.players: list[SimPlayer] = []
        self.by_xuid: dict[int, SimPlayer] = {}
        self.by_tag: dict[str, SimPlayer] = {}
        for i in range(players):
            self._add_player(i)

    # ----------------------------------------------------------------- construction
    def _add_player(self, i: int) -> None:
        rng = random.Random(_h(self.seed, "player", i))
        tag = _gamertag(rng, i)
        while tag.lower() in self.by_tag:
            tag = (tag[:12] + str(rng.randint(100, 999)))[:15]
        roll = rng.random()
        activity = "idle" if roll < 0.3 else ("casual" if roll < 0.7 else "daily")
        skill = min(1.0, max(0.0, rng.betavariate(2.2, 2.2)))
        p = SimPlayer(i, XUID_BASE + i, tag, activity, skill)
        self.players.append(p)
        self.by_xuid[p.xuid] = p
        self.by_tag[tag.lower()] = p

    def _build_seasons(self, count: int, next_in: timedelta | None = None) -> None:
        end = self.start + (timedelta(days=60) if next_in is None else next_in)
        # With a next season, the count before it share the time up to its start.
        before = count if next_in is None else max(1, count - 1)
        span = (end - LAUNCH) / max(1, before)
        self.seasons: list[Season] = []
        for i in range(1, count + 1):
            s = LAUNCH + span * (i - 1)
            e = LAUNCH + span * i
            if i > before:  # the next season: as long as the others
                s, e = end, end + span
            s = s.replace(minute=0, second=0, microsecond=0)
            e = e.replace(minute=0, second=0, microsecond=0)
            self.seasons.append(
                Season(
                    i,
                    f"Seasons/Season{i}.json",
                    f"Csr/Seasons/CsrSeason{i}-1.json",
                    f"RewardTracks/Operations/S{i:02d}BattlePass.json",
                    to_ms(s),
                    to_ms(e),
                    f"Season {i}",
                )
            )
        self.csr_seasons = [
            CsrSeason(s.index, s.csr_path, s.start_ms, s.end_ms) for s in self.seasons
        ]

    def _asset(self, kind: str, key: str, name: str, description: str = "") -> Asset:
        return Asset(
            kind,
            guid(self.seed, kind, key),
            guid(self.seed, kind, key, "v1"),
            name,
            description,
        )

    def _build_assets(self, ranked_count: int) -> None:
        self.maps = [self._asset("map", m, m) for m in MAPS]
        self.variant_assets = {
            v.key: self._asset("ugcGameVariant", v.key, v.name, v.description)
            for v in VARIANT_BY_KEY.values()
        }
        specs = ranked_specs(ranked_count) + list(UNRANKED)
        self.playlists: list[Playlist] = []
        self.pairs: dict[str, tuple[Asset, Asset, Asset]] = {}
        for idx, spec in enumerate(specs):
            rng = random.Random(_h(self.seed, "playlist", spec.name))
            variants = tuple((VARIANT_BY_KEY[k], self.variant_assets[k]) for k in spec.variants)
            pairs = []
            for v, va in variants:
                for m in rng.sample(self.maps, 3):
                    pair = self._asset("mapModePair", f"{v.key}/{m.name}", f"{v.name} on {m.name}")
                    pairs.append((pair, m, va))
                    self.pairs[pair.asset_id] = (pair, m, va)
            asset = self._asset("playlist", spec.name, spec.name, spec.description)
            self.playlists.append(Playlist(idx, spec, asset, variants, tuple(pairs)))
        self.playlist_by_id = {p.asset.asset_id: p for p in self.playlists}
        self._ranked = [pl for pl in self.playlists if pl.ranked]
        self._unranked = [pl for pl in self.playlists if not pl.ranked]
        self._pairs_for = {
            (pl.index, v.key): [x for x in pl.pairs if x[2] is va]
            for pl in self.playlists
            for v, va in pl.variants
        }
        self.custom_variants = [VARIANT_BY_KEY[k] for k in ("slayer", "elimination", "vip")]
        self.custom_variants += [VARIANT_BY_KEY[k] for k in ("stockpile", "extraction")]

    # ----------------------------------------------------------------- lookups
    def player(self, ident: str) -> SimPlayer | None:
        """By `xuid(N)`, bare digits, or gamertag (case-insensitive)."""
        low = ident.strip().lower()
        if low.startswith("xuid(") and low.endswith(")"):
            digits = low[5:-1]
            return self.by_xuid.get(int(digits)) if digits.isdigit() else None
        return self.by_tag.get(low)

    def season_at(self, ms: int) -> Season:
        for s in self.seasons:
            if s.start_ms <= ms < s.end_ms:
                return s
        return self.seasons[-1] if ms >= self.seasons[-1].start_ms else self.seasons[0]

    def csr_season(self, bare_id: str | None) -> CsrSeason | None:
        if bare_id is None:
            now = self.clock.now_ms()
            return self.csr_seasons[self.season_at(now).index - 1]
        want = bare_id.lower().removesuffix(".json").rsplit("/", 1)[-1]
        for cs in self.csr_seasons:
            if cs.bare_id.lower() == want:
                return cs
        return None

    # ----------------------------------------------------------------- history
    def history(self, p: SimPlayer) -> list[Slot]:
        if p.history is None:
            p.history = self._generate_history(p)
        return p.history

    def slots(self, p: SimPlayer) -> list[Slot]:
        """Every match of a player, oldest first."""
        return self.history(p) + p.live

    def _history_size(self, p: SimPlayer, rng: random.Random) -> int:
        low, high = {"idle": (0, 25), "casual": (20, 160), "daily": (150, 450)}[p.activity]
        n = rng.randint(low, high)
        if p.activity == "idle" and rng.random() < 0.3:
            n = 0
        return int(n * self.history_scale)

    def _generate_history(self, p: SimPlayer) -> list[Slot]:
        rng = random.Random(_h(self.seed, "history", p.xuid))
        n = self._history_size(p, rng)
        start = to_ms(self.start)
        first = to_ms(LAUNCH) + rng.randint(0, (start - to_ms(LAUNCH)) * 2 // 3)
        last = start - 3_600_000
        if p.activity == "idle":
            times = sorted(rng.randint(first, last) for _ in range(n))
        else:
            # Players who still play played more lately: a quarter of their history falls
            # in the running season, so its ranked matches place them before the start.
            times = sorted(last - int((last - first) * rng.random() ** 2) for _ in range(n))
        out: list[Slot] = []
        for k, t in enumerate(times):
            mid = self._history_id(p, k, rng)
            match = self._make_match(rng, mid, t, p, [])
            out.append(match.slots[0])
        return out

    def _history_id(self, p: SimPlayer, k: int, rng: random.Random) -> str:
        h = f"{rng.getrandbits(64):016x}"
        return f"{h[:8]}-{h[8:12]}-4{h[12:15]}-8{h[15]}{p.index % 256:02x}-{p.index:06x}{k:06x}"

    def find_match(self, match_id: str) -> Match | None:
        low = match_id.lower()
        live = self.live_matches.get(low)
        if live is not None:
            return live
        parts = low.split("-")
        if len(parts) != 5 or len(parts[4]) != 12 or not parts[3].startswith("8"):
            return None
        try:
            pidx, k = int(parts[4][:6], 16), int(parts[4][6:], 16)
        except ValueError:
            return None
        if pidx >= len(self.players):
            return None
        hist = self.history(self.players[pidx])
        if k >= len(hist) or hist[k].match.match_id != low:
            return None
        return hist[k].match

    # ----------------------------------------------------------------- matches
    def lan_lifecycle(self, p: SimPlayer) -> int | None:
        """A third of the players also play on a LAN: a third of their custom games are
        local ones, marked 2 for some players and 7 for others, as the real API does
        (decided without a draw, so every other match stays as it was)."""
        h = _h(self.seed, "lan", p.xuid)
        if h % 3:
            return None
        return LIFECYCLE_LOCAL_ALT if h // 3 % 2 else LIFECYCLE_LOCAL

    def _pick(self, rng: random.Random, p: SimPlayer) -> tuple[Playlist | None, Variant, int]:
        roll = rng.random()
        if roll < 0.06:
            lan = self.lan_lifecycle(p) if roll < 0.02 else None
            return None, rng.choice(self.custom_variants), lan or LIFECYCLE_CUSTOM
        ranked, others = self._ranked, self._unranked
        want_ranked = ranked and rng.random() < (0.15 + 0.5 * p.skill)
        pl = rng.choice(ranked) if want_ranked else rng.choice(others)
        variant, _ = rng.choice(pl.variants)
        return pl, variant, LIFECYCLE_MATCHMADE

    def _make_match(
        self,
        rng: random.Random,
        match_id: str,
        start_ms: int,
        owner: SimPlayer,
        mates: Sequence[SimPlayer],
        playlist: Playlist | None = None,
    ) -> Match:
        if playlist is None:
            pl, variant, lifecycle = self._pick(rng, owner)
        else:
            pl, variant = playlist, rng.choice(playlist.variants)[0]
            lifecycle = LIFECYCLE_MATCHMADE
        vasset = self.variant_assets[variant.key]
        if pl is not None:
            pair, map_asset, _ = rng.choice(self._pairs_for[pl.index, variant.key])
            team_size = pl.spec.team_size
            bots = pl.spec.bots
        else:
            pair, map_asset = None, rng.choice(self.maps)
            team_size = rng.choice((2, 4))
            bots = rng.random() < 0.5
        minutes = rng.uniform(12, 20) if variant.key == "firefight" else rng.uniform(5, 15)
        if variant.key == "elimination":
            minutes *= 0.3  # rounds of a minute or so (a real 5-round match: 2.2 minutes)
        dur = int(minutes * 60 * TICKS_PER_SECOND) + rng.randint(0, TICKS_PER_SECOND)
        if variant.key == "infection":
            mode, teams, per_team = "ffa", 0, 1
            humans = min(team_size, 12)
        elif variant.key == "firefight":
            mode, teams, per_team = "pve", 2, team_size
            humans = team_size
        else:
            mode, teams, per_team = "teams", 2, team_size
            humans = team_size * 2
        tie = variant.key != "infection" and rng.random() < 0.02
        winner = -1 if tie else rng.randint(0, 1)
        # Better players win a little more often.
        if not tie and rng.random() < owner.skill * 0.3:
            winner = 0
        match = Match(
            match_id,
            rng.getrandbits(48),
            start_ms,
            dur,
            lifecycle,
            pl,
            variant,
            vasset,
            map_asset,
            pair,
            self.season_at(start_ms),
            teams,
            mode,
            [],
            winner,
        )
        match.total = humans if mode in ("pve", "ffa") else teams * per_team
        match.per_team = per_team
        match.bots = bots
        members = [owner, *mates][: match.total]
        for idx, pl_ in enumerate(members):
            team = self._team(match, idx)
            outcome = self._outcome(match, team, rng)
            left = idx == 0 and rng.random() < 0.02
            if left:
                outcome = gen.DNF
            match.slots.append(
                Slot(match, idx, pl_.player_id, pl_.xuid, False, team, outcome, 0, pl_.skill, left)
            )
        # World players' places: winners in the top half, leavers last.
        taken: set[int] = set()
        half = max(1, match.total // 2) if mode != "ffa" else match.total
        for s in match.slots:
            if s.left_early:
                place = match.total
            elif s.outcome == gen.WIN or mode == "ffa":
                place = 1 + int((1 - s.skill) * half * rng.uniform(0.3, 1.0))
            else:
                place = half + 1 + int((1 - s.skill) * (match.total - half) * rng.random())
            place = min(max(place, 1), match.total)
            while place in taken:
                place = place % match.total + 1
            taken.add(place)
            s.rank = place
        for s in match.slots:
            s.packed = pack(self.slot_vector(s))
        match.complete = len(match.slots) >= match.total
        return match

    def _team(self, m: Match, idx: int) -> int:
        if m.team_mode == "ffa":
            return idx
        if m.team_mode == "pve":
            return 0
        return 0 if idx < m.per_team else 1

    def roster(self, m: Match) -> list[Slot]:
        """Every participant: world players, then guests and bots, regenerated on demand
        from the match seed (so histories do not keep them in memory)."""
        if m.complete:
            return m.slots
        rng = random.Random(m.seed ^ 0x5EED)
        taken = {s.rank for s in m.slots}
        free = [r for r in range(1, m.total + 1) if r not in taken]
        extra = self._guests(m, random.Random(m.seed * 977), len(m.slots))
        placing = sorted(extra, key=lambda s: (s.outcome != gen.WIN, -s.skill - rng.random()))
        for place, s in zip(free, placing, strict=True):
            s.rank = place
        m.slots.extend(extra)
        m.complete = True
        return m.slots

    def _guests(self, m: Match, rng: random.Random, start: int) -> list[Slot]:
        """The guests and bots in the seats from `start` (after the world players'), the
        same each time they are asked for with a fresh `Random(m.seed * 977)`: the match
        plan needs every seat's skill before the roster is built."""
        draw = rng.random  # cheap draws: histories build guests for every match they hold
        out: list[Slot] = []
        for idx in range(start, m.total):
            team = self._team(m, idx)
            if m.bots and (m.team_mode != "teams" or idx >= m.per_team):
                pid, xuid, bot, skill = f"bid({1 + int(draw() * 60)}.0)", None, True, 0.5
            else:
                g = GUEST_BASE + int(draw() * 10**9)
                pid, xuid, bot, skill = f"xuid({g})", g, False, (draw() + draw()) / 2
            outcome = self._outcome(m, team, rng)
            out.append(Slot(m, idx, pid, xuid, bot, team, outcome, 0, skill))
        return out

    def plan(self, m: Match) -> list[gen.SlotPlan]:
        """Every seat's share of the match's kills, deaths, score and rounds (see
        `gen.plan_match`), from the match seed and the seats' skills; a few recent plans
        are kept, as a scoreboard asks once per seat."""
        hit = self._plans.get(m.match_id)
        if hit is not None:
            return hit
        # One generator: the guests' draws first (as the roster makes them), then the plan's.
        rng = random.Random(m.seed * 977)
        known = sum(1 for s in m.slots if s.xuid in self.by_xuid)
        seats = [_seat(s) for s in (*m.slots[:known], *self._guests(m, rng, known))]
        plan = gen.plan_match(rng, m.variant, m.minutes, seats, m.team_mode, m.winner)
        self._plans[m.match_id] = plan
        while len(self._plans) > 256:
            self._plans.popitem(last=False)
        return plan

    def expectation(self, s: Slot, skill: float | None = None) -> tuple[float, float]:
        """(kills, deaths) the skill service expects of a participant: see
        `gen.expectation`; `skill` in place of theirs gives a tier's counterfactual."""
        m = s.match
        seats = [_seat(x) for x in self.roster(m)]
        if skill is not None:
            seats[s.index] = replace(seats[s.index], skill=skill)
        return gen.expectation(m.variant, m.minutes, seats, m.team_mode, s.index)

    def _outcome(self, m: Match, team: int, rng: random.Random) -> int:
        if m.team_mode == "ffa":
            return gen.WIN if rng.random() < 0.4 else gen.LOSS
        if m.team_mode == "pve":
            return gen.WIN if m.winner == 0 else gen.LOSS
        if m.winner < 0:
            return gen.TIE
        return gen.WIN if team == m.winner else gen.LOSS

    def slot_vector(self, s: Slot) -> tuple[int, ...]:
        """The stats tuple of a slot (dense, catalog column order), unpacked for world
        players, generated from the match seed for guests and bots."""
        if s.packed is not None:
            return unpack(s.packed)
        m = s.match
        rng = random.Random(m.seed * 131 + s.index)
        time = m.duration_ticks
        if s.left_early:
            time = time * rng.randint(30, 90) // 100
        time = time // TICKS_PER_MS * TICKS_PER_MS
        plan = self.plan(m)[s.index]
        if s.outcome == gen.DNF:
            plan = replace(plan, rounds=(0, 0, 0))
        elif m.team_mode != "teams":  # rounds are a team's; alone, the outcome is one
            plan = replace(plan, rounds=(int(s.outcome == gen.WIN), int(s.outcome == gen.LOSS), 0))
        vehicles = m.playlist is not None and m.playlist.spec.experience == 3
        return gen.generate(rng, m.variant, s.skill, time, s.outcome, plan, vehicles)

    # ----------------------------------------------------------------- live play
    def _live_id(self, rng: random.Random) -> str:
        self._live_count += 1
        h = f"{rng.getrandbits(64):016x}"
        # 8-4-4-4-12 hex digits: a real GUID (the client refuses anything else).
        return f"{h[:8]}-{h[8:12]}-4{h[12:15]}-a{h[15]}{h[:2]}-{self._live_count:012x}"

    def _record_live(self, match: Match) -> None:
        self.live_matches[match.match_id] = match
        for s in match.slots:
            if s.xuid is not None and s.xuid in self.by_xuid:
                p = self.by_xuid[s.xuid]
                p.live.append(s)
                p.version += 1
                p.cache.clear()

    def play(self, xuid: int | str, matches: int, playlist: str | None = None) -> list[str]:
        """Make one player play `matches` matches now (the clock moves ~15 min per match),
        in the playlist of that name if given (a test's evening of Firefight)."""
        chosen = None
        if playlist is not None:
            chosen = next((pl for pl in self.playlists if pl.asset.name == playlist), None)
            if chosen is None:
                raise KeyError(f"unknown playlist {playlist}")
        if isinstance(xuid, str) and not xuid.isdigit():
            p = self.player(xuid)
        else:
            p = self.by_xuid.get(int(xuid))
        if p is None:
            raise KeyError(f"unknown player {xuid}")
        rng = random.Random(_h(self.seed, "play", p.xuid, len(p.live), self._live_count))
        ids = []
        for _ in range(matches):
            t = max(self.clock.now_ms(), self._last_ms(p) + 60_000)
            m = self._make_match(rng, self._live_id(rng), t, p, [], chosen)
            self._record_live(m)
            self.clock.advance((m.duration_ticks / TICKS_PER_SECOND + 60) / 3600)
            ids.append(m.match_id)
        return ids

    def _last_ms(self, p: SimPlayer) -> int:
        if p.live:
            last = p.live[-1].match
            return last.start_ms + last.duration_ticks // TICKS_PER_MS
        return 0

    def advance(self, hours: float, active_fraction: float | None = None) -> int:
        """Time passes; active players play. Returns the number of matches played."""
        self._advance_count += 1
        rng = random.Random(_h(self.seed, "advance", self._advance_count))
        t0 = self.clock.now_ms()
        span = int(hours * 3_600_000)
        frac = active_fraction if active_fraction is not None else self.active_fraction
        days = hours / 24
        plan: list[tuple[int, SimPlayer]] = []
        for p in self.players:
            if frac is not None:
                active = rng.random() < frac
                rate = 5.0
            else:
                chance = {"idle": 0.0, "casual": 0.35, "daily": 0.95}[p.activity]
                active = rng.random() < min(1.0, chance * max(days, 0.05))
                rate = {"idle": 0.0, "casual": 3.0, "daily": 7.0}[p.activity]
            if not active:
                continue
            n = max(1, round(rate * min(days, 1.0) * rng.uniform(0.5, 1.5)))
            session = rng.randint(t0, max(t0, t0 + span - 1))
            for k in range(n):
                plan.append((session + k * 15 * 60_000, p))
        plan.sort(key=lambda x: (x[0], x[1].index))
        busy_until: dict[int, int] = {}
        active_players = [p for _, p in plan]
        played = 0
        for t, p in plan:
            if t >= t0 + span:
                continue
            if busy_until.get(p.xuid, 0) > t:
                continue
            mates: list[SimPlayer] = []
            if len(active_players) > 1 and rng.random() < 0.35:
                cand = rng.choice(active_players)
                if cand is not p and busy_until.get(cand.xuid, 0) <= t:
                    mates.append(cand)
            m = self._make_match(rng, self._live_id(rng), t, p, mates)
            end = t + m.duration_ticks // TICKS_PER_MS + 60_000
            for who in (p, *mates):
                busy_until[who.xuid] = end
            self._record_live(m)
            played += 1
        self.clock.advance(hours)
        return played

    # ----------------------------------------------------------------- truth
    def matches_of(self, p: SimPlayer) -> list[Match]:
        """A player's matches, newest first (the order of the match history)."""
        return [s.match for s in reversed(self.slots(p))]

    def aggregate(self, p: SimPlayer, f: Filters) -> tuple[list[int], list[Match]] | None:
        """Column totals over the player's matches in scope, or None when there are none."""
        packs: list[tuple[array[int], array[int]]] = []
        ms: list[Match] = []
        for s in self.slots(p):
            if f.accepts(s.match):
                packs.append(s.packed if s.packed is not None else pack(self.slot_vector(s)))
                ms.append(s.match)
        if not packs:
            return None
        return sum_packed(packs), ms

    # ----------------------------------------------------------------- CSR
    def replay_csr(self, p: SimPlayer) -> None:
        """Walk the player's ranked matches in order, filling each slot's pre/post CSR."""
        if p.csr_version == p.version:
            return
        state: dict[tuple[int, int], list[int]] = {}
        alltime: dict[int, int] = {}
        for s in self.slots(p):
            m = s.match
            if not m.ranked or m.playlist is None:
                continue
            key = (m.playlist.index, _csr_index(self, m))
            st = state.setdefault(key, [PLACEMENT_MATCHES, -1, -1])
            s.csr_pre = (st[1], st[0])
            rng = random.Random(m.seed ^ p.xuid)
            if st[0] > 0:
                st[0] -= 1
                if st[0] == 0:
                    base = alltime.get(m.playlist.index, -1)
                    start = p.mmr if base < 0 else (p.mmr + base) / 2
                    st[1] = max(0, int(start + rng.gauss(0, 60)))
            else:
                drift = (p.mmr - st[1]) / 40
                step = rng.randint(8, 16)
                if s.outcome == gen.WIN:
                    st[1] = max(0, int(st[1] + step + drift))
                elif s.outcome in (gen.LOSS, gen.DNF):
                    st[1] = max(0, int(st[1] - step + drift))
            st[2] = max(st[2], st[1])
            if st[1] >= 0:
                alltime[m.playlist.index] = max(alltime.get(m.playlist.index, -1), st[1])
            s.csr_post = (st[1], st[0])
        p.csr = state
        p.csr_alltime = alltime
        p.csr_version = p.version

    def csr_of(self, p: SimPlayer, playlist: Playlist, cs: CsrSeason) -> tuple[int, int, int, int]:
        """(current, remaining, season max, all-time max) for a playlist and CSR season."""
        self.replay_csr(p)
        st = p.csr.get((playlist.index, cs.index), [PLACEMENT_MATCHES, -1, -1])
        return st[1], st[0], st[2], p.csr_alltime.get(playlist.index, -1)

    def expected_record(
        self, ident: int | str, lifecycle: int = LIFECYCLE_MATCHMADE, **filters: Any
    ) -> dict[str, Any]:
        """The service record JSON the API answers for a player and scope, straight from the
        world (filters: season, category, ranked, playlist, interaction)."""
        from halotrack.simulator.views import service_record

        p = self.player(f"xuid({ident})" if str(ident).isdigit() else str(ident))
        if p is None:
            raise KeyError(f"unknown player {ident}")
        return service_record(self, p, Filters(lifecycle=lifecycle, **filters))

    def player_list(self) -> list[dict[str, Any]]:
        return [
            {"xuid": str(p.xuid), "gamertag": p.gamertag, "activity": p.activity}
            for p in self.players
        ]


def _seat(s: Slot) -> gen.Seat:
    """A participant as the match plan sees it (a leaver played part of the match)."""
    return gen.Seat(s.team, s.skill, 0.6 if s.left_early else 1.0)


def _csr_index(world: World, m: Match) -> int:
    return m.season.index


def sum_rows(rows: Iterable[tuple[int, ...]]) -> list[int]:
    """Column sums, with max columns maxed: the aggregate of per-match tuples."""
    cols = list(zip(*rows, strict=True))
    out = [sum(c) for c in cols]
    for i in MAX_COLUMNS:
        out[i] = max(cols[i])
    return out


_IS_MAX = [i in MAX_COLUMNS for i in range(WIDTH)]
_RANGE = range(WIDTH)


def pack(vec: Sequence[int]) -> tuple[array[int], array[int]]:
    """Keep only the non-zero columns: a match row shrinks from ~190 ints to ~40."""
    return array("H", compress(_RANGE, vec)), array("q", filter(None, vec))


def unpack(packed: tuple[array[int], array[int]]) -> tuple[int, ...]:
    v = [0] * WIDTH
    for i, x in zip(*packed, strict=True):
        v[i] = x
    return tuple(v)


def sum_packed(packs: Iterable[tuple[array[int], array[int]]]) -> list[int]:
    """Column sums of packed rows, max columns maxed (all values are >= 0)."""
    out = [0] * WIDTH
    is_max = _IS_MAX
    for idx, vals in packs:
        for i, x in zip(idx, vals, strict=True):
            if is_max[i]:
                if x > out[i]:
                    out[i] = x
            else:
                out[i] += x
    return out
