"""What the site's pages and its JSON API show, read from the store: one builder per view,
used by both, so a number on a page and in the API can never disagree.

Why msgspec Structs: Litestar encodes them directly and derives the OpenAPI schema from them.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Concatenate, Literal, ParamSpec, TypeVar, cast

import msgspec

from halotrack.models import SeasonCalendar
from halotrack.models.csr import csr_reading
from halotrack.models.enums import Outcome
from halotrack.models.xuid import bot_name
from halotrack.report.build import (
    METADATA_SEASON_CALENDAR,
    label_or_dash,
    listed_match,
    mode_shown,
    player_names,
)
from halotrack.report.data import ListedMatch
from halotrack.store import Scope, Store, StoreReader
from halotrack.store import site as q
from halotrack.store.repository import ServiceRecordSnapshot, kd
from halotrack.usecases import insights

Period = Literal["week", "season", "all"]
PERIODS: tuple[Period, ...] = ("week", "season", "all")
SortKey = str  # "kd", "win_rate", "matches_week", "vs_expected", "gamertag", "csr:<id>"
WEEK = timedelta(days=7)


class PlayerRef(msgspec.Struct, frozen=True):
    xuid: str
    gamertag: str


class Playlist(msgspec.Struct, frozen=True):
    id: str
    name: str


class LeaderRow(msgspec.Struct, frozen=True):
    xuid: str
    gamertag: str
    matches: int | None
    """None on the all-time board for a player whose lifetime record is not stored yet:
    unknown, not zero (their stored matches may still count this week)."""
    wins: int
    kills: int
    deaths: int
    kd: float | None
    win_rate: float | None
    matches_week: int
    csr: dict[str, int]
    vs_expected: float | None = None
    """Per match with a skill answer: (kills - expected) - (deaths - expected), the
    matchmaker's own expectation; None for all time (the lifetime record has none)."""


class Leaderboard(msgspec.Struct, frozen=True):
    period: str
    sort: str
    since: datetime | None
    playlists: list[Playlist]  # the ranked playlists any row has a CSR in
    rows: list[LeaderRow]


def _watched(tx: StoreReader) -> list[tuple[int, str]]:
    """The watched players, or every stored player when nobody is watched yet."""
    entries = [(w.xuid, w.gamertag or str(w.xuid)) for w in tx.watch_list()]
    if not entries:
        entries = [(p.xuid, p.gamertag or str(p.xuid)) for p in tx.list_players()]
    return entries


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


class BoardCache:
    """Each period's leaderboard rows, kept `ttl` seconds: the rows sum every watched
    player's matches, while the tracker changes them only every few minutes, so visitors
    share one computation and sorting or paging reuses it."""

    def __init__(self, ttl: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._boards: dict[Period, tuple[float, Leaderboard]] = {}
        self._lock = threading.Lock()

    def get(self, store: Store, *, period: Period, sort: SortKey, now: datetime) -> Leaderboard:
        with self._lock:
            at = self._clock()
            cached = self._boards.get(period)
            if cached is None or at - cached[0] >= self.ttl:
                cached = (at, leaderboard(store, period=period, sort="gamertag", now=now))
                self._boards[period] = cached
        board = cached[1]
        if sort not in sort_keys(board):
            sort = "kd"
        return msgspec.structs.replace(board, sort=sort, rows=sorted_rows(board.rows, sort))


def sorted_rows(rows: list[LeaderRow], sort: SortKey) -> list[LeaderRow]:
    """Best first; ties and missing numbers by gamertag."""
    out = sorted(rows, key=lambda r: r.gamertag.casefold())
    if sort != "gamertag":
        out.sort(key=lambda r: _sort_value(r, sort), reverse=True)
    return out


def leaderboard(store: Store, *, period: Period, sort: SortKey, now: datetime) -> Leaderboard:
    """Watched players' numbers over a period, sorted (best first). All time is the game's
    own lifetime service record; a week or a season sums the stored matches."""
    with store.reader() as tx:
        players = _watched(tx)
        xuids = [x for x, _ in players]
        since: datetime | None
        if period == "all":
            since = None
            totals = q.lifetime_totals(tx, xuids)
        else:
            since = now - WEEK if period == "week" else (season_start(tx, now) or now - WEEK)
            totals = q.match_totals(tx, xuids, since)
        week = totals if period == "week" else q.match_totals(tx, xuids, now - WEEK)
        csr = q.current_csr(tx, xuids)
        names = {
            pid: tx.playlist_name(pid) or f"Playlist {pid[:8]}" for c in csr.values() for pid in c
        }
    none = q.Totals(0, 0, 0, 0)
    rows = []
    for xuid, tag in players:
        t = totals.get(xuid, none)
        unknown = period == "all" and xuid not in totals
        rows.append(
            LeaderRow(
                xuid=str(xuid),
                gamertag=tag,
                matches=None if unknown else t.matches,
                wins=t.wins,
                kills=t.kills,
                deaths=t.deaths,
                kd=kd(t.kills, t.deaths) if t.matches else None,
                win_rate=_rate(t.wins, t.matches),
                matches_week=week.get(xuid, none).matches,
                csr=csr.get(xuid, {}),
                vs_expected=(
                    round(t.above_expected / t.expected, 2)
                    if t.expected and period != "all"
                    else None
                ),
            )
        )
    rows = sorted_rows(rows, sort)
    playlists = [Playlist(pid, name) for pid, name in sorted(names.items(), key=lambda i: i[1])]
    return Leaderboard(period, sort, since, playlists, rows)


def season_start(tx: StoreReader, now: datetime) -> datetime | None:
    """When the season running at `now` began, from the cached season calendar (the
    tracker caches it); without one, from the stored matches of the newest match's season
    (a scan of the match table: fine for a small database)."""
    cached = tx.get_metadata(*METADATA_SEASON_CALENDAR)
    calendar = cached.decoded(SeasonCalendar) if cached is not None else None
    entry = calendar.season_at(now) if calendar is not None else None
    if entry is not None and entry.start is not None:
        return entry.start
    return q.season_start(tx)


def _sort_value(row: LeaderRow, sort: SortKey) -> float:
    """Missing numbers sort last."""
    if sort.startswith("csr:"):
        value: float | None = row.csr.get(sort[4:])
    elif sort in ("kd", "win_rate", "matches_week", "matches", "vs_expected"):
        value = getattr(row, sort)
    else:
        value = None
    return float("-inf") if value is None else float(value)


def sort_keys(board: Leaderboard) -> set[str]:
    return {"gamertag", "kd", "win_rate", "matches_week", "matches", "vs_expected"} | {
        f"csr:{p.id}" for p in board.playlists
    }


class MatchPage(msgspec.Struct, frozen=True):
    total: int
    offset: int
    limit: int
    items: list[ListedMatch]
    next_cursor: str | None = None
    """Where the next page starts (`cursor=`); None on the last page."""
    next: str | None = None
    """The next page's URL (its cursor and this limit); None on the last page."""


def cursor_of(start: datetime, match_id: str) -> str:
    """An opaque keyset cursor: the last shown match's (start, match id), so a page starts
    after that match however many newer ones were stored since."""
    raw = f"{start.isoformat()}|{match_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def parse_cursor(text: str) -> tuple[datetime, str] | None:
    """A cursor's (start, match id); None for anything `cursor_of` did not write."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        start, sep, match_id = raw.partition("|")
        at = datetime.fromisoformat(start)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None
    if not sep or not match_id or at.tzinfo is None:
        return None
    return at, match_id


def matches_page(
    store: Store,
    xuid: int,
    *,
    offset: int,
    limit: int,
    after: tuple[datetime, str] | None = None,
) -> MatchPage:
    """A page of a player's stored matches, newest first: from `offset`, or after the
    match of a cursor (`after`). One row more than shown is read: it says whether a next
    page exists."""
    with store.reader() as tx:
        total = q.player_match_total(tx, xuid)
        rows = tx.player_matches(xuid, limit=offset + limit + 1, after=after)[offset:]
    shown = rows[:limit]
    items = [listed_match(m) for m in shown]
    last = shown[-1] if len(rows) > limit else None
    cursor = cursor_of(last.start_time, last.match_id) if last is not None else None
    return MatchPage(total, offset, limit, items, cursor)


class Medal(msgspec.Struct, frozen=True):
    name_id: int
    name: str
    count: int


class ScoreLine(msgspec.Struct, frozen=True):
    xuid: str | None
    gamertag: str
    bot: bool
    team_id: int | None
    outcome: str
    rank: int | None
    kills: int
    deaths: int
    assists: int
    kd: float | None
    accuracy: float | None
    score: int | None
    csr_before: int | None
    csr_after: int | None
    medals: list[Medal]
    expected_kills: float | None = None
    expected_deaths: float | None = None
    performance: float | None = None


class Team(msgspec.Struct, frozen=True):
    team_id: int | None
    outcome: str
    score: int | None
    players: list[ScoreLine]


class MatchView(msgspec.Struct, frozen=True):
    match_id: str
    start_time: datetime
    duration_seconds: float | None
    map: str
    mode: str
    playlist: str
    teams: list[Team]


def match_view(store: Store, match_id: str) -> MatchView | None:
    """A stored match's scoreboard by team, with gamertags and medal names."""
    with store.reader() as tx:
        m = tx.get_match(match_id)
        if m is None:
            return None
        tags = tx.display_names(p.xuid for p in m.players if p.xuid is not None)
        medal_names = tx.medal_names()
    perf = insights.scoreboard_performance(store, match_id)
    team_rows = {t["team_id"]: t for t in m.teams}
    teams: dict[int | None, list[ScoreLine]] = {}
    for p in m.players:
        name = tags.get(p.xuid) if p.xuid is not None else None
        pf = perf.get(p.xuid) if p.xuid is not None else None
        teams.setdefault(p.team_id, []).append(
            ScoreLine(
                xuid=str(p.xuid) if p.xuid is not None else None,
                gamertag=name or bot_name(p.player_id) or "unknown player",
                bot=p.is_bot,
                team_id=p.team_id,
                outcome=label_or_dash(p.outcome, Outcome),
                rank=p.rank,
                kills=p.kills,
                deaths=p.deaths,
                assists=p.assists,
                kd=kd(p.kills, p.deaths),
                accuracy=p.accuracy,
                score=p.personal_score,
                csr_before=csr_reading(p.csr_pre),
                csr_after=csr_reading(p.csr_post),
                medals=sorted(
                    (Medal(n, medal_names.get(n) or f"Medal {n}", c) for n, c in p.medals.items()),
                    key=lambda md: (-md.count, md.name),
                ),
                expected_kills=pf.expected_kills if pf else None,
                expected_deaths=pf.expected_deaths if pf else None,
                performance=pf.index if pf else None,
            )
        )
    return MatchView(
        match_id=m.match_id,
        start_time=m.start_time,
        duration_seconds=m.duration_seconds,
        map=m.map_name or "–",
        mode=mode_shown(m),
        playlist=m.playlist_name or "–",
        teams=[
            Team(
                team_id=tid,
                outcome=label_or_dash(team_rows.get(tid, {}).get("outcome"), Outcome),
                score=team_rows.get(tid, {}).get("score"),
                players=lines,
            )
            for tid, lines in teams.items()
        ],
    )


class HeadToHead(msgspec.Struct, frozen=True):
    a: PlayerRef
    b: PlayerRef
    together: int
    together_wins: int
    against: int
    a_wins_against: int
    b_wins_against: int
    matches: list[q.SharedMatch]


def head_to_head(store: Store, a: PlayerRef, b: PlayerRef, *, limit: int = 50) -> HeadToHead:
    """Two players' shared matches (newest `limit`) and their record over those."""
    with store.reader() as tx:
        shared = q.shared_matches(tx, int(a.xuid), int(b.xuid), limit=limit)
    win = int(Outcome.Win)
    together = [s for s in shared if s.same_team]
    against = [s for s in shared if not s.same_team]
    return HeadToHead(
        a=a,
        b=b,
        together=len(together),
        together_wins=sum(s.a_outcome == win for s in together),
        against=len(against),
        a_wins_against=sum(s.a_outcome == win for s in against),
        b_wins_against=sum(s.b_outcome == win for s in against),
        matches=shared,
    )


class RecordPoint(msgspec.Struct, frozen=True):
    captured_at: datetime
    matches: int | None
    wins: int | None
    losses: int | None
    kills: int | None
    deaths: int | None
    assists: int | None
    time_played_seconds: float | None


class CsrPoint(msgspec.Struct, frozen=True):
    captured_at: datetime
    playlist_id: str
    csr_season_id: str
    value: int | None
    tier: str | None
    sub_tier: int | None


class PlayerView(msgspec.Struct, frozen=True):
    xuid: str
    gamertag: str
    previous_gamertags: list[str]
    lifetime: RecordPoint | None
    csr: dict[str, int]
    stored_matches: int


def player_view(store: Store, xuid: int) -> PlayerView | None:
    with store.reader() as tx:
        player = tx.get_player(xuid)
        if player is None:
            return None
        current, previous = player_names(tx, player)
        record = tx.latest_record(xuid, "matchmade", Scope())
        csr = q.current_csr(tx, [xuid]).get(xuid, {})
        stored = q.player_match_total(tx, xuid)
    return PlayerView(
        xuid=str(xuid),
        gamertag=current,
        previous_gamertags=list(previous),
        lifetime=_point(record) if record is not None else None,
        csr=csr,
        stored_matches=stored,
    )


def _point(r: ServiceRecordSnapshot) -> RecordPoint:
    return RecordPoint(
        captured_at=r.captured_at,
        matches=r.matches_completed,
        wins=r.wins,
        losses=r.losses,
        kills=r.kills,
        deaths=r.deaths,
        assists=r.assists,
        time_played_seconds=r.time_played_seconds,
    )


def record_history(store: Store, xuid: int) -> list[RecordPoint]:
    """The lifetime matchmade record's snapshots, oldest first."""
    with store.reader() as tx:
        return [_point(r) for r in tx.records_history(xuid, Scope())]


def csr_history(store: Store, xuid: int) -> list[CsrPoint]:
    with store.reader() as tx:
        return [
            CsrPoint(
                captured_at=c.captured_at,
                playlist_id=c.playlist_id,
                csr_season_id=c.csr_season_id,
                value=csr_reading(c.current_value),
                tier=c.current_tier,
                sub_tier=c.current_sub_tier,
            )
            for c in tx.csr_history(xuid)
        ]


# ---------------------------------------------------------------------------- insights
# The insights are the use cases' own dataclasses (usecases/insights.py): the site adds no
# SQL of its own for them, and Litestar derives their OpenAPI schema from the dataclasses.
# Each takes the XUID the route already found in the store, and reads through one reader:
# one connection and one consistent read per request, not one per query. With a cache
# (the app's `InsightCache`), a repeated request is answered from it.

T = TypeVar("T")


class InsightCache:
    """Insight answers per player, kept while the player's stored matches are unchanged
    (same count, same newest start: `player_stamp`, a few index entries) and at most `ttl`
    seconds, since a map name or a skill answer can be stored later without a new match.
    A repeated request then costs one index read instead of summing the whole career."""

    def __init__(
        self, ttl: float = 60.0, size: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.size = size
        self._clock = clock
        self._items: dict[tuple[object, ...], tuple[object, float, object]] = {}
        self._lock = threading.Lock()

    def get(
        self, store: Store, xuid: int, key: tuple[object, ...], compute: Callable[[StoreReader], T]
    ) -> T:
        """The answer `compute` gives on a read of the store, from the cache when the
        player's matches have not changed since it was computed."""
        with store.reader() as tx:
            return self.within(tx, xuid, key, compute)

    def within(
        self,
        tx: StoreReader,
        xuid: int,
        key: tuple[object, ...],
        compute: Callable[[StoreReader], T],
    ) -> T:
        """`get` in a read the caller holds (the player page's one read)."""
        stamp = q.player_stamp(tx, xuid)
        full = (xuid, *key)
        now = self._clock()
        with self._lock:
            hit = self._items.get(full)
        if hit is not None and hit[0] == stamp and now - hit[1] < self.ttl:
            return cast(T, hit[2])
        value = compute(tx)
        with self._lock:
            self._items.pop(full, None)
            self._items[full] = (stamp, now, value)
            # the oldest first (insertion order): past the size, or expired, since a page's
            # sections are ~85 KB and 4,096 of them would hold 340 MB long after their use
            while self._items:
                oldest = next(iter(self._items))
                if len(self._items) <= self.size and now - self._items[oldest][1] < self.ttl:
                    break
                del self._items[oldest]
        return value

    def __len__(self) -> int:
        return len(self._items)


P = ParamSpec("P")


def answer(
    store: Store,
    xuid: int,
    cache: InsightCache | None,
    use_case: Callable[Concatenate[StoreReader, str, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """An insight use case's answer for a player (`use_case(reader, xuid, ...)`, e.g.
    `insights.breakdown`), from `cache` while the player's matches are unchanged: every
    insight route reads through this one function, keyed by the use case and its
    arguments."""
    key = (use_case.__name__, args, tuple(sorted(kwargs.items())))

    def compute(tx: StoreReader) -> T:
        return use_case(tx, str(xuid), *args, **kwargs)

    if cache is not None:
        return cache.get(store, xuid, key, compute)
    with store.reader() as tx:
        return compute(tx)
