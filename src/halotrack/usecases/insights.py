"""Insights from stored matches: performance against expectation, breakdowns, sessions,
streaks, mates, head-to-head and CSR history. Each returns plain dataclasses for the CLI,
the page and scripts. The SQL is `halotrack.store.insights`: a player's rows are read once
(`Career`) and summed here, the head-to-head is summed by the database.

Performance index of one match (`Performance.index`): how many spreads above expectation
the player's kills were, minus how many spreads above expectation their deaths were,
with the skill service's own expectation and spread (`StatPerformances`):

    index = (kills - expected_kills) / kills_spread - (deaths - expected_deaths) / deaths_spread

0 is exactly what the matchmaker expected; +1 is a match one spread better (more kills or
fewer deaths); it is comparable across modes and match lengths because each term is
measured in its own spread. None when the answer has no spread. The counts, expectations
and spreads are stored per player and match (match_players: skill_kills, expected_kills,
expected_kills_sd, and the deaths'), so an index needs no skill answer decoded.

Headline numbers are PvP (`play="pvp"`: matchmade, not Firefight or other PvE); PvE and
custom games are asked for apart. A session's best match and performance are PvP too: a
Firefight 101/1 against the AI says nothing of how a player did against expectation.
Sessions, mates and the head-to-head record count matchmade games; custom and local (LAN)
games are shown apart or asked for by history type.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from halotrack.errors import ConfigError, Unknown
from halotrack.models import MatchSkill, csr_season_id, decode_as
from halotrack.models.csr import csr_change, csr_reading
from halotrack.models.enums import GameVariantCategory, LifecycleMode, Outcome
from halotrack.models.skill import MatchSkillEntry
from halotrack.models.summary import kd_ratio
from halotrack.models.xuid import written_as_xuid
from halotrack.store import Store, StoreReader
from halotrack.store import insights as si
from halotrack.store.insights import PLAYS, By, Play
from halotrack.store.matches import PERFORMANCE_COLUMNS
from halotrack.usecases.matches import check_history_type

BYS: tuple[By, ...] = ("mode", "map", "playlist")
DEFAULT_GAP = timedelta(minutes=60)


# ---------------------------------------------------------------------------- totals


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over a set of one player's matches. Expected values are summed over the
    `expected_matches` of them that have a skill answer (None: none has)."""

    matches: int = 0
    wins: int = 0
    losses: int = 0
    ties: int = 0
    kills: int = 0
    deaths: int = 0
    assists: int = 0
    expected_kills: float | None = None
    expected_deaths: float | None = None
    expected_matches: int = 0

    @classmethod
    def of(cls, row: dict[str, Any]) -> Totals:
        return cls(**{k: row[k] for k in si.TOTAL_FIELDS})

    @property
    def kd(self) -> float:
        return kd_ratio(self.kills, self.deaths)

    @property
    def win_rate(self) -> float:
        return self.wins / self.matches if self.matches else 0.0

    def __add__(self, other: Totals) -> Totals:
        def opt(a: float | None, b: float | None) -> float | None:
            return None if a is None and b is None else (a or 0.0) + (b or 0.0)

        return Totals(
            self.matches + other.matches,
            self.wins + other.wins,
            self.losses + other.losses,
            self.ties + other.ties,
            self.kills + other.kills,
            self.deaths + other.deaths,
            self.assists + other.assists,
            opt(self.expected_kills, other.expected_kills),
            opt(self.expected_deaths, other.expected_deaths),
            self.expected_matches + other.expected_matches,
        )

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kd"] = round(self.kd, 4)
        out["win_rate"] = round(self.win_rate, 4)
        for k in ("expected_kills", "expected_deaths"):
            out[k] = round(out[k], 3) if out[k] is not None else None
        return out


def _sum(items: Iterable[Totals]) -> Totals:
    total = Totals()
    for t in items:
        total = total + t
    return total


# ---------------------------------------------------------------------------- players


def _read(store: StoreReader) -> AbstractContextManager[StoreReader]:
    """A read on the store, or the one a caller already holds: every use case here takes
    either, so a site request answers from one connection (one read transaction)."""
    return store.reader() if isinstance(store, Store) else nullcontext(store)


def resolve_player(store: StoreReader, text: str) -> tuple[int, str]:
    """(XUID, name to show) of a tracked player, or of one met in stored matches (by the
    gamertag looked up for them, or by XUID)."""
    with _read(store) as tx:
        found = tx.find_player(text)
        if found is not None:
            return found.xuid, found.gamertag or text
        xuid = written_as_xuid(text.strip()) or si.xuid_by_cached_gamertag(tx, text)
        if xuid is not None and tx.match_count(xuid):
            return xuid, tx.display_names([xuid]).get(xuid, text)
    raise Unknown(
        f"no stored matches of {text!r}",
        hint=f"fetch them first: `halotrack matches sync {text!r}`",
    )


def _check_play(play: str) -> Play:
    if play not in PLAYS:
        raise ConfigError(f"unknown match kind {play!r}", hint=f"use one of {', '.join(PLAYS)}")
    return play


NAMED: tuple[str, ...] = ("map", "mode", "playlist")
"""The asset kinds the insights name (`Career.names`)."""


@dataclass(frozen=True, slots=True)
class Career:
    """A player's stored matches (of one season, or all), oldest first, read once
    (`store.insights.player_rows`), and the names of the maps, modes and playlists
    (`StoreReader.asset_names_of`, kind -> asset id -> name): the breakdowns, streaks, CSR
    history, sessions and mates of a page all derive from this one read instead of one
    query each."""

    xuid: int
    season: str | None
    rows: list[dict[str, Any]]
    names: dict[str, dict[str, str]]

    def played(self, play: Play) -> list[dict[str, Any]]:
        return self.rows if play == "all" else [r for r in self.rows if r["play"] == play]


def read_career(
    store: StoreReader,
    player: str,
    *,
    season: str | None = None,
    only: Iterable[str] | None = None,
) -> Career:
    """`only`: the row columns the caller reads (`player_rows`); all by default."""
    xuid, _ = resolve_player(store, player)
    rows = si.player_rows(store, xuid, season=season, only=only)
    return Career(xuid, season, rows, store.asset_names_of(NAMED))


TOTALS_READ = ("play", "outcome", "kills", "deaths", "assists", "expected_kills", "expected_deaths")
"""The row columns `totals_of` and `Career.played` read."""


def _career(
    store: StoreReader, player: str, career: Career | None, only: Iterable[str] | None = None
) -> Career:
    return career if career is not None else read_career(store, player, only=only)


WIN = int(Outcome.Win)
TIE = int(Outcome.Tie)


def totals_of(rows: Iterable[dict[str, Any]]) -> Totals:
    """The sums `store.insights.totals_columns` gives in SQL, over rows already read."""
    n = wins = losses = ties = kills = deaths = assists = 0
    ek: list[float] = []
    ed: list[float] = []
    for r in rows:
        n += 1
        outcome = r["outcome"]
        wins += outcome == WIN
        losses += outcome in si.LOSS
        ties += outcome == TIE
        kills += r["kills"]
        deaths += r["deaths"]
        assists += r["assists"]
        if r["expected_kills"] is not None:
            ek.append(r["expected_kills"])
        if r["expected_deaths"] is not None:
            ed.append(r["expected_deaths"])
    return Totals(
        n,
        wins,
        losses,
        ties,
        kills,
        deaths,
        assists,
        math.fsum(ek) if ek else None,
        math.fsum(ed) if ed else None,
        len(ek),
    )


# ---------------------------------------------------------------------------- performance


@dataclass(frozen=True, slots=True)
class Performance:
    """One match against the skill service's expectations (see the module docstring)."""

    kills: int
    expected_kills: float
    kills_spread: float
    deaths: int
    expected_deaths: float
    deaths_spread: float

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> Performance | None:
        """From the stored columns (`PERFORMANCE_COLUMNS`); None when one is missing."""
        values = [row[c] for c in PERFORMANCE_COLUMNS]
        if any(v is None for v in values):
            return None
        return cls(*values)

    @property
    def index(self) -> float | None:
        if not self.kills_spread or not self.deaths_spread:
            return None
        return (self.kills - self.expected_kills) / self.kills_spread - (
            self.deaths - self.expected_deaths
        ) / self.deaths_spread

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["index"] = round(self.index, 3) if self.index is not None else None
        return out


def performance_from_skill(skill_json: str | bytes, xuid: int) -> Performance | None:
    """The player's performance in one stored skill answer; None without StatPerformances."""
    raw = skill_json.encode("utf-8") if isinstance(skill_json, str) else skill_json
    return _performance(decode_as(MatchSkill, raw).for_player(xuid))


def _performance(entry: MatchSkillEntry | None) -> Performance | None:
    result = entry.result if entry is not None and entry.ok else None
    perf = result.stat_performances if result is not None else None
    if perf is None or perf.kills is None or perf.deaths is None:
        return None
    k, d = perf.kills, perf.deaths
    return Performance(k.count, k.expected, k.std_dev, d.count, d.expected, d.std_dev)


def match_performance(
    store: StoreReader, xuid: int, match_ids: Iterable[str]
) -> dict[str, Performance]:
    """Match id -> the player's performance, for the matches with a skill answer (read
    from the stored columns, in the reader or transaction given)."""
    out: dict[str, Performance] = {}
    for mid, row in store.skill_performance_rows(xuid, match_ids).items():
        perf = Performance.of_row(row)
        if perf is not None:
            out[mid] = perf
    return out


def scoreboard_performance(store: Store, match_id: str) -> dict[int, Performance]:
    """XUID -> performance of every player of one match the skill answer covers."""
    text = si.skill_answers(store, [match_id]).get(match_id)
    return {} if text is None else performances(text)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """A playlist's month: matches with an index, and their mean index."""

    playlist: str
    month: str
    matches: int
    mean_index: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"mean_index": round(self.mean_index, 3)}


def performance_trend(store: Store, player: str, *, play: str = "pvp") -> list[TrendPoint]:
    """The performance index per playlist per month, oldest first. Reads each skill answer
    (the spread is only there), so it costs about 20 µs a match."""
    xuid, _ = resolve_player(store, player)
    rows = si.skill_rows(store, xuid, play=_check_play(play))
    playlists = store.asset_names("playlist")
    sums: dict[tuple[str, str], list[float]] = {}
    for _mid, start, pl, text in rows:
        perf = performance_from_skill(text, xuid)
        if perf is None or perf.index is None:
            continue
        key = (playlists.get(pl or "", pl or "custom games"), f"{start:%Y-%m}")
        acc = sums.setdefault(key, [0, 0.0])
        acc[0] += 1
        acc[1] += perf.index
    ordered = sorted(sums.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    return [TrendPoint(pl, month, int(n), s / n) for (pl, month), (n, s) in ordered]


def performances(skill_json: str) -> dict[int, Performance]:
    """XUID -> performance of every player one stored skill answer covers, decoded once (an
    export reads thousands); the first entry of a XUID counts, as on the scoreboard."""
    out: dict[int, Performance] = {}
    for entry in decode_as(MatchSkill, skill_json.encode("utf-8")).value:
        if entry.xuid is not None and entry.xuid not in out:
            perf = _performance(entry)
            if perf is not None:
                out[entry.xuid] = perf
    return out


# ---------------------------------------------------------------------------- breakdown


@dataclass(frozen=True, slots=True)
class BreakdownRow:
    key: str  # a readable name
    asset_id: str | None
    totals: Totals

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "asset_id": self.asset_id, **self.totals.as_dict()}


@dataclass(frozen=True, slots=True)
class Breakdown:
    by: str
    play: str
    season: str | None
    rows: list[BreakdownRow]
    total: Totals

    def as_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "play": self.play,
            "season": self.season,
            "rows": [r.as_dict() for r in self.rows],
            "total": self.total.as_dict(),
        }


def _row_name(by: str, asset_id: str | None, category: int | None, known: dict[str, str]) -> str:
    if asset_id and asset_id in known:
        return known[asset_id]
    if by == "mode" and category is not None:
        return GameVariantCategory.label(category)
    if by == "playlist" and asset_id is None:
        return "custom games"
    return asset_id or "unknown"


def breakdown(
    store: StoreReader,
    player: str,
    by: str,
    *,
    season: str | None = None,
    play: str = "pvp",
    career: Career | None = None,
) -> Breakdown:
    """The player's matches grouped by mode, map or playlist, with the totals of the same
    matches (the rows always sum to them). `career`, when given, is the read to group
    (its season is the one shown)."""
    if by not in BYS:
        raise ConfigError(f"cannot break down by {by!r}", hint=f"use one of {', '.join(BYS)}")
    play = _check_play(play)
    column = si.BY_COLUMN[by]
    if career is None:
        only = (column, "game_variant_category", *TOTALS_READ)
        career = read_career(store, player, season=season, only=only)
    c = career
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for r in c.played(play):
        groups.setdefault(r[column], []).append(r)
    known = c.names[by]
    rows = []
    for key, group in groups.items():
        categories = [r["game_variant_category"] for r in group]
        category = min((v for v in categories if v is not None), default=None)
        rows.append(BreakdownRow(_row_name(by, key, category, known), key, totals_of(group)))
    # Most played first, ties by asset id (none first, as SQLite orders NULL).
    rows.sort(key=lambda r: (-r.totals.matches, r.asset_id is not None, r.asset_id or ""))
    return Breakdown(by, play, c.season, rows, _sum(r.totals for r in rows))


def pvp_and_pve(store: Store, player: str) -> dict[str, Totals]:
    """The headline (PvP) totals and the PvE ones apart: a Firefight 123/2 must not lift
    the K/D. Custom games are a third group, never mixed in."""
    with _read(store) as tx:
        c = read_career(tx, player, only=TOTALS_READ)
    return {play: totals_of(c.played(play)) for play in ("pvp", "pve", "custom")}


# ---------------------------------------------------------------------------- sessions


@dataclass(frozen=True, slots=True)
class SessionPlaylist:
    playlist: str
    pve: bool
    totals: Totals
    csr_delta: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "playlist": self.playlist,
            "pve": self.pve,
            **self.totals.as_dict(),
            "csr_delta": self.csr_delta,
        }


@dataclass(frozen=True, slots=True)
class BestMatch:
    match_id: str
    start_time: datetime
    map: str | None
    mode: str | None
    kills: int
    deaths: int
    assists: int
    index: float | None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["start_time"] = self.start_time.isoformat()
        out["index"] = round(self.index, 3) if self.index is not None else None
        return out


@dataclass(frozen=True, slots=True)
class Session:
    """Games closer to each other than the gap, with at least one matchmade game. Its
    numbers (playlists, `pvp` headline, `pve`) are the matchmade games'; the best match
    and the performance (`mean_index` over `indexed_matches`) are the PvP games' alone;
    the `custom` and `local` (LAN) games of the same evening are totalled apart."""

    start: datetime
    end: datetime
    playlists: list[SessionPlaylist]
    pvp: Totals
    pve: Totals
    best: BestMatch | None
    mean_index: float | None
    indexed_matches: int
    custom: Totals = Totals()
    local: Totals = Totals()

    @property
    def matches(self) -> int:
        return sum(p.totals.matches for p in self.playlists)

    def as_dict(self) -> dict[str, Any]:
        every = _sum(p.totals for p in self.playlists)
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "matches": every.matches,
            "wins": every.wins,
            "losses": every.losses,
            "ties": every.ties,
            "kills": self.pvp.kills,
            "deaths": self.pvp.deaths,
            "kd": round(self.pvp.kd, 4),
            "pvp": self.pvp.as_dict(),
            "pve": self.pve.as_dict(),
            "playlists": [p.as_dict() for p in self.playlists],
            "best_match": self.best.as_dict() if self.best else None,
            "performance": {
                "mean_index": round(self.mean_index, 3) if self.mean_index is not None else None,
                "matches": self.indexed_matches,
                "expected_kills": self.pvp.expected_kills,
                "expected_deaths": self.pvp.expected_deaths,
            },
            "custom": self.custom.as_dict(),
            "local": self.local.as_dict(),
        }


MatchTime = tuple[str, datetime, datetime | None, bool]
"""(match id, start, end, matchmade or not) of one of a player's matches."""


def _time_pages(store: StoreReader, xuid: int, page_size: int) -> Iterator[list[MatchTime]]:
    """A player's match times, newest first, a page at a time (read when asked for)."""
    before: tuple[datetime, str] | None = None
    while True:
        page = si.match_times(store, xuid, before=before, limit=page_size)
        if page:
            yield page
        if len(page) < page_size:
            return
        before = (page[-1][1], page[-1][0])


def session_bounds(
    store: StoreReader,
    xuid: int,
    *,
    last: int = 1,
    gap: timedelta = DEFAULT_GAP,
    page_size: int = 200,
    career: Career | None = None,
) -> list[tuple[datetime, datetime, datetime]]:
    """(first start, last start, last end) of the newest `last` sessions, newest first.
    Games of every kind cut the evenings (a LAN game between two matchmade ones keeps
    them in one session); an evening of custom or local games alone is no session.
    Reads match times a page at a time from the newest, so a long career costs only the
    pages the sessions span; with `career` (already read) it reads nothing."""
    out: list[tuple[datetime, datetime, datetime]] = []
    cur: list[datetime] | None = None  # [first start, last start, last end]
    made = False  # the current evening has a matchmade game
    pages = (
        _time_pages(store, xuid, page_size)
        if career is None
        else iter([[_time_of(r) for r in reversed(career.rows)]])
    )
    for page in pages:
        for _mid, start, end, matchmade in page:
            finish = end or start
            if cur is not None and cur[0] - finish > gap:
                if made:
                    out.append((cur[0], cur[1], cur[2]))
                cur, made = None, False
                if len(out) == last:
                    return out
            if cur is None:
                cur = [start, start, finish]
            else:
                cur[0] = start
            made = made or matchmade
    if cur is not None and made and len(out) < last:
        out.append((cur[0], cur[1], cur[2]))
    return out


def _time_of(row: dict[str, Any]) -> MatchTime:
    return row["match_id"], row["start_time"], row["end_time"], row["kind"] == "matchmaking"


def sessions(
    store: StoreReader,
    player: str,
    *,
    last: int = 1,
    gap: timedelta = DEFAULT_GAP,
    career: Career | None = None,
) -> list[Session]:
    """The newest `last` sessions of a player, newest first, summed from the player's rows
    of the matches they span: `career`'s when it was read already, else one read of
    those (`player_rows` from the oldest session's first start to the newest's last)."""
    if gap <= timedelta(0):
        raise ConfigError("the session gap must be positive", hint="e.g. --gap 60m")
    xuid = career.xuid if career is not None else resolve_player(store, player)[0]
    bounds = session_bounds(store, xuid, last=last, gap=gap, career=career)
    if not bounds:
        return []
    if career is not None:
        rows, names = career.rows, career.names
    else:
        rows = si.player_rows(store, xuid, between=(bounds[-1][0], bounds[0][1]))
        names = store.asset_names_of(NAMED)
    starts = [r["start_time"] for r in rows]  # oldest first
    return [
        _session(
            rows[bisect_left(starts, first) : bisect_right(starts, last_start)], first, end, names
        )
        for first, last_start, end in bounds
    ]


def _session(
    rows: list[dict[str, Any]], start: datetime, end: datetime, names: dict[str, dict[str, str]]
) -> Session:
    """One session from the player's rows of its matches (oldest first): totals per
    history type, playlist and PvE or not (most played first, ties by playlist, none
    first); the matchmade ones are its playlists, the custom and local games its totals
    apart."""
    groups: dict[tuple[str, str | None, bool], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["kind"], r["playlist_asset_id"], r["play"] == "pve"), []).append(r)
    ordered = sorted(
        groups.items(), key=lambda g: (-len(g[1]), g[0][1] is not None, g[0][1] or "", g[0][2])
    )
    parts = [
        SessionPlaylist(
            _session_playlist_name(key, names["playlist"]),
            pve,
            totals_of(group),
            _sum_or_none(_csr_change(r) for r in group),
        )
        for (kind, key, pve), group in ordered
        if kind == "matchmaking"
    ]
    played = [r for r in rows if r["play"] == "pvp"]
    perf = {r["match_id"]: p for r in played if (p := Performance.of_row(r)) is not None}
    indexes = [p.index for p in perf.values() if p.index is not None]
    return Session(
        start,
        end,
        parts,
        _sum(p.totals for p in parts if not p.pve),
        _sum(p.totals for p in parts if p.pve),
        _best(played, perf, names["map"], names["mode"]),
        sum(indexes) / len(indexes) if indexes else None,
        len(indexes),
        *(
            _sum(totals_of(g) for (k, _, _), g in ordered if k == kind)
            for kind in ("custom", "local")
        ),
    )


def _sum_or_none(values: Iterable[int | None]) -> int | None:
    """The sum of the values that are not None, as SQL's SUM: None when all are."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


MATCHMADE_GAMES = LifecycleMode.label(int(LifecycleMode.Matchmade)).lower() + " games"


def _session_playlist_name(key: str | None, known: dict[str, str]) -> str:
    if key and key in known:
        return str(known[key])
    if key is None:
        return MATCHMADE_GAMES
    return str(key)


def _best(
    played: list[dict[str, Any]],
    perf: dict[str, Performance],
    maps: dict[str, str],
    modes: dict[str, str],
) -> BestMatch | None:
    """The match of the highest performance index; without skill answers, of the highest
    kills minus deaths. `played` holds PvP matches only (see `sessions`)."""

    def score(m: dict[str, Any]) -> tuple[float, float]:
        p = perf.get(m["match_id"])
        index = p.index if p is not None else None
        return (index if index is not None else float("-inf"), m["kills"] - m["deaths"])

    if not played:
        return None
    m = max(played, key=score)
    p = perf.get(m["match_id"])
    return BestMatch(
        m["match_id"],
        m["start_time"],
        maps.get(m["map_asset_id"] or ""),
        modes.get(m["mode_asset_id"] or ""),
        m["kills"],
        m["deaths"],
        m["assists"],
        p.index if p is not None else None,
    )


# ---------------------------------------------------------------------------- streaks


@dataclass(frozen=True, slots=True)
class Streaks:
    """Runs of consecutive matches (oldest to newest): wins, losses (leaving counts as a
    loss; a tie ends both), and matches with more kills than deaths."""

    current_win: int
    longest_win: int
    current_loss: int
    longest_loss: int
    current_positive_kd: int
    longest_positive_kd: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def streaks(
    store: StoreReader, player: str, *, play: str = "pvp", career: Career | None = None
) -> Streaks:
    only = ("play", "outcome", "kills", "deaths")
    rows = _career(store, player, career, only).played(_check_play(play))
    return Streaks(
        *_runs([r["outcome"] == WIN for r in rows]),
        *_runs([r["outcome"] in si.LOSS for r in rows]),
        *_runs([r["kills"] > r["deaths"] for r in rows]),
    )


def _runs(flags: list[bool]) -> tuple[int, int]:
    """(current, longest) run of True, oldest to newest: the current run is the one that
    holds the newest match (0 when it is False)."""
    run = longest = 0
    for flag in flags:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return run, longest


# ---------------------------------------------------------------------------- mates


@dataclass(frozen=True, slots=True)
class Mate:
    name: str
    xuid: int
    totals: Totals  # the player's own numbers in the matches shared

    def as_dict(self) -> dict[str, Any]:
        return {"player": self.name, "xuid": str(self.xuid), **self.totals.as_dict()}


@dataclass(frozen=True, slots=True)
class Mates:
    teammates: list[Mate]
    opponents: list[Mate]

    def as_dict(self) -> dict[str, Any]:
        return {
            "teammates": [m.as_dict() for m in self.teammates],
            "opponents": [m.as_dict() for m in self.opponents],
        }


def mates(store: StoreReader, player: str, *, limit: int = 10, kind: str = "matchmaking") -> Mates:
    """The players most often on the same team and on the other side, in the games of one
    history type (matchmade by default: a custom game's lobby is friends, not a draw)."""
    kind = check_history_type(kind)
    xuid, _ = resolve_player(store, player)
    same, other = si.mates(store, xuid, limit=limit, kind=kind)
    named = store.display_names([r["xuid"] for r in same + other])

    def mate(r: dict[str, Any]) -> Mate:
        return Mate(named.get(r["xuid"], f"xuid({r['xuid']})"), r["xuid"], Totals.of(r))

    return Mates([mate(r) for r in same], [mate(r) for r in other])


# ---------------------------------------------------------------------------- versus


@dataclass(frozen=True, slots=True)
class VersusMatch:
    match_id: str
    start_time: datetime
    map: str | None
    mode: str | None
    playlist: str | None
    type: str  # the history type: matchmaking, custom or local
    same_team: bool
    outcome: str
    kills: int
    deaths: int
    assists: int
    other_outcome: str
    other_kills: int
    other_deaths: int
    other_assists: int

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["start_time"] = self.start_time.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class Versus:
    player: str
    other: str
    together: Totals  # the player's numbers with the other on their team
    against: Totals  # ... on the other side
    other_kills_against: int
    other_deaths_against: int
    matches: list[VersusMatch] = field(default_factory=list)
    record_type: str = "matchmaking"  # the history type `together` and `against` count

    def as_dict(self) -> dict[str, Any]:
        return {
            "player": self.player,
            "other": self.other,
            "record_type": self.record_type,
            "together": self.together.as_dict(),
            "against": {
                **self.against.as_dict(),
                "other_kills": self.other_kills_against,
                "other_deaths": self.other_deaths_against,
                "other_kd": round(kd_ratio(self.other_kills_against, self.other_deaths_against), 4),
            },
            "matches": [m.as_dict() for m in self.matches],
        }


def versus(store: Store, player: str, other: str, *, kind: str = "matchmaking") -> Versus:
    """Every stored match both played (each saying its history type), with the record
    together and head to head over the games of the history type `kind`."""
    kind = check_history_type(kind)
    a, a_name = resolve_player(store, player)
    b, b_name = resolve_player(store, other)
    if a == b:
        raise ConfigError("both names are the same player", hint="name two different players")
    rows = si.versus(store, a, b)
    sums = si.versus_totals(store, a, b, kind=kind)
    names = store.asset_names_of(NAMED)
    maps, modes, playlists = names["map"], names["mode"], names["playlist"]
    against = sums.get(False)
    return Versus(
        a_name,
        b_name,
        Totals.of(sums[True]) if True in sums else Totals(),
        Totals.of(against) if against else Totals(),
        against["other_kills"] if against else 0,
        against["other_deaths"] if against else 0,
        [
            VersusMatch(
                r["match_id"],
                r["start_time"],
                maps.get(r["map_asset_id"] or ""),
                modes.get(r["mode_asset_id"] or "")
                or GameVariantCategory.label(r["game_variant_category"]),
                playlists.get(r["playlist_asset_id"] or ""),
                r["type"],
                r["same_team"],
                Outcome.label(r["a_outcome"]),
                r["a_kills"],
                r["a_deaths"],
                r["a_assists"],
                Outcome.label(r["b_outcome"]),
                r["b_kills"],
                r["b_deaths"],
                r["b_assists"],
            )
            for r in rows
        ],
        kind,
    )


# ---------------------------------------------------------------------------- CSR


@dataclass(frozen=True, slots=True)
class CsrSeasonRow:
    playlist: str
    season: str
    end: int | None  # after the season's last counted match; None: still placing
    max: int | None
    matches: int


@dataclass(frozen=True, slots=True)
class CsrPoint:
    match_id: str
    start_time: datetime
    playlist: str
    season: str
    csr: int | None  # after the match; None while placing
    delta: int | None
    placement: bool  # one of the placement matches
    placements_left: int | None


@dataclass(frozen=True, slots=True)
class CsrHistory:
    seasons: list[CsrSeasonRow]
    all_time_max: dict[str, int | None]
    points: list[CsrPoint]

    def as_dict(self) -> dict[str, Any]:
        return {
            "seasons": [asdict(s) for s in self.seasons],
            "all_time_max": self.all_time_max,
            "matches": [asdict(p) | {"start_time": p.start_time.isoformat()} for p in self.points],
        }


def _season_name(season_id: str | None) -> str:
    return csr_season_id(season_id) or "unknown"


def _csr_change(row: dict[str, Any]) -> int | None:
    return csr_change(row["csr_pre"], row["csr_post"])


def csr_history(store: StoreReader, player: str, *, career: Career | None = None) -> CsrHistory:
    """Per ranked playlist each season's end and max and the all-time max, and CSR after
    every counted match, from the stored skill answers' RankRecap."""
    c = _career(store, player, career)
    counted = [r for r in c.rows if r["counted"]]
    playlists = c.names["playlist"]

    def pl_name(asset_id: str | None) -> str:
        return playlists.get(asset_id or "", asset_id or "unknown")

    groups: dict[tuple[str | None, str | None], list[dict[str, Any]]] = {}
    for r in counted:  # oldest first: a group's last row is its season's end
        groups.setdefault((r["playlist_asset_id"], r["season_id"]), []).append(r)
    order = sorted(
        groups.items(),
        key=lambda g: (g[0][0] is not None, g[0][0] or "", g[1][-1]["start_time"]),
    )
    seasons = [
        CsrSeasonRow(
            pl_name(playlist),
            _season_name(season),
            csr_reading(rows[-1]["csr_post"]),
            max((v for r in rows if (v := csr_reading(r["csr_post"])) is not None), default=None),
            len(rows),
        )
        for (playlist, season), rows in order
    ]
    best: dict[str, int | None] = {}
    for s in seasons:
        prev = best.get(s.playlist)
        best[s.playlist] = s.max if prev is None else max(prev, s.max or prev)
    points = [
        CsrPoint(
            r["match_id"],
            r["start_time"],
            pl_name(r["playlist_asset_id"]),
            _season_name(r["season_id"]),
            csr_reading(r["csr_post"]),
            _csr_change(r),
            (r["csr_pre_matches_remaining"] or 0) > 0,
            r["csr_matches_remaining"],
        )
        for r in counted
    ]
    return CsrHistory(seasons, best, points)
