"""Notification events (issue 16): what is worth telling, decided from stored changes and
written to the outbox (`notify_events`) in the transaction that stored the change.

Why this shape: the notification sender delivers at least once from the outbox, so an
event must exist exactly when its cause was stored. Each hook below runs inside the
tracker's own write transaction and inserts with ON CONFLICT DO NOTHING on an id derived
only from the cause, so a re-run cycle, a crash and restart or two workers never write an
event twice, and a rolled-back snapshot takes its events with it.

- rank, season, gamertag: `snapshot_events`, in the player's records+CSR transaction;
- personal bests: `best_events`, in the transaction that settles the player's match count
  (only then are all of the cycle's matches stored, whatever order the sync wrote them in);
- ops: `failing_events`, in the transaction that records a failed check, and
  `csr_failing_events`, in the one that stores records while the CSR fetch fails;
- sessions: `ended_sessions`, after a cycle: their cause is time passing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from halotrack.errors import Unknown
from halotrack.models.csr import TIERS, csr_label, is_ranked, rank_name
from halotrack.models.enums import Outcome
from halotrack.models.format import duration_words
from halotrack.models.xuid import written_as_xuid
from halotrack.store import Store, StoreReader, StoreTx, WatchEntry
from halotrack.store import events as se
from halotrack.usecases.insights import (
    DEFAULT_GAP,
    Session,
    match_performance,
    session_bounds,
    sessions,
)
from halotrack.usecases.seasons import humanize_season_id

FAILING_FOR = timedelta(days=1)
MIN_EARLIER = 10
"""Matches a player must have before a newer one can be a personal best: beating three
matches is not news."""
STATE_KIND = "events"
"""`metadata_cache` kind of the event derivation's own bookkeeping (`BestWalk`), beside the
tracker's ("tracker", "ranked-playlists")."""
SESSIONS_LOOKED_AT = 10
"""Newest sessions of a player checked for an ended one each cycle."""


@dataclass(frozen=True, slots=True)
class Event:
    """One outbox row: `title` fits a phone's notification line, `body` reads well in
    Discord, `data` carries the numbers for JSON receivers."""

    event_id: str
    kind: str
    xuid: int | None
    occurred_at: datetime
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    seq: int | None = None

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "kind": self.kind,
            "xuid": self.xuid,
            "occurred_at": self.occurred_at,
            "created_at": now,
            "title": self.title,
            "body": self.body,
            "data_json": json.dumps(self.data, sort_keys=True),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "event_id": self.event_id,
            "kind": self.kind,
            "xuid": str(self.xuid) if self.xuid is not None else None,
            "occurred_at": self.occurred_at.isoformat(),
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "title": self.title,
            "body": self.body,
            "data": self.data,
        }


def event_id(kind: str, *cause: object) -> str:
    """`kind:` and 24 hex digits of a hash of the cause: stable, at most 33 characters."""
    text = "\x1f".join(x.isoformat() if isinstance(x, datetime) else str(x) for x in cause)
    return f"{kind}:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:24]}"


def save_events(tx: StoreTx, events: Iterable[Event], now: datetime) -> int:
    """Add the events not stored yet; returns how many were added."""
    return sum(se.insert_event(tx, e.row(now)) for e in events)


def _name(tx: StoreReader, xuid: int) -> str:
    return tx.display_names([xuid]).get(xuid) or f"xuid({xuid})"


def _facts(kind: str, xuid: int | None, gamertag: str | None, **numbers: Any) -> dict[str, Any]:
    who = {"gamertag": gamertag, "xuid": str(xuid)} if xuid is not None else {}
    return {"kind": kind, **who, **numbers}


# ---------------------------------------------------------------------------- rank


@dataclass(frozen=True, slots=True)
class RankReading:
    """A stored CSR reading: value, tier, 0-based sub-tier and placement matches left."""

    value: int | None
    tier: str | None
    sub_tier: int | None
    remaining: int | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> RankReading:
        return cls(
            row["current_value"],
            row["current_tier"],
            row["current_sub_tier"],
            row["matches_remaining"],
        )

    @property
    def ranked(self) -> bool:
        return is_ranked(self.value, self.tier)

    @property
    def step(self) -> tuple[int, int]:
        """Position on the ladder: (tier, sub-tier); Onyx has no sub-tiers."""
        names = [t for t, _ in TIERS]
        tier = names.index(self.tier) if self.tier in names else -1
        return (tier, 0 if self.tier == "Onyx" else self.sub_tier or 0)

    def short(self) -> str:
        """`Diamond 5`, `Onyx`."""
        return rank_name(self.tier or "", self.sub_tier or 0)

    def label(self) -> str:
        """`Diamond 6 (1487)`, `Onyx 1549`."""
        return csr_label(self.value or 0, self.tier or "", self.sub_tier or 0)

    def as_dict(self) -> dict[str, Any]:
        return {"csr": self.value, "tier": self.tier, "sub_tier": self.sub_tier}


def rank_change(
    player: str, playlist: str, before: RankReading, after: RankReading
) -> tuple[str, str, str] | None:
    """(change, title, body) when `after` sits on another tier or sub-tier than `before`,
    or finished placement; change is "up", "down" or "placed". None otherwise."""
    if not after.ranked:
        return None
    if not before.ranked:
        return (
            "placed",
            f"{player} placed: {after.short()}",
            f"{player} finished placement in {playlist}: {after.label()}",
        )
    if after.step == before.step:
        return None
    way = "up" if after.step > before.step else "down"
    return (
        way,
        f"{player} ranked {way}: {after.short()}",
        f"{player} ranked {way} in {playlist}: {before.short()} -> {after.label()}",
    )


def _rank_events(
    tx: StoreTx, xuid: int, name: str, csr_season: str, playlists: Iterable[str]
) -> list[Event]:
    out = []
    for pid in playlists:
        rows = se.last_two_csr(tx, xuid, pid, csr_season)
        if len(rows) < 2:
            continue  # a first reading changes nothing anyone saw
        after, before = RankReading.of(rows[0]), RankReading.of(rows[1])
        playlist = (
            tx.playlist_name(pid) or tx.asset_names("playlist").get(pid) or "a ranked playlist"
        )
        change = rank_change(name, playlist, before, after)
        if change is None:
            continue
        way, title, body = change
        when = rows[0]["captured_at"]
        cause = (xuid, pid, csr_season, before.as_dict(), after.as_dict(), when)
        data = _facts(
            "rank",
            xuid,
            name,
            change=way,
            playlist=playlist,
            playlist_id=pid,
            csr_season=csr_season,
            before=before.as_dict(),
            after=after.as_dict(),
        )
        out.append(Event(event_id("rank", *cause), "rank", xuid, when, title, body, data))
    return out


def _season_event(tx: StoreTx, xuid: int, csr_season: str, now: datetime) -> Event | None:
    """A CSR season the tracker sees for the first time, after having seen another one:
    told once, by whichever player's snapshot shows it first."""
    earlier = se.csr_seasons_before(tx, xuid, now)
    if csr_season in earlier or not earlier:
        return None
    name = humanize_season_id(csr_season)
    return Event(
        event_id("season", csr_season),
        "season",
        None,
        now,
        f"New season: {name}",
        f"{name} has started: ranks reset, placement matches first.",
        _facts("season", None, None, csr_season=csr_season, season=name),
    )


def _gamertag_events(tx: StoreTx, xuid: int) -> list[Event]:
    return [
        Event(
            event_id("gamertag", xuid, old, new, when),
            "gamertag",
            xuid,
            when,
            f"{old} is now {new}",
            f"{old} changed their gamertag to {new}.",
            _facts("gamertag", xuid, new, old=old, new=new),
        )
        for old, new, when in se.gamertag_changes(tx, xuid)
    ]


def snapshot_events(
    tx: StoreTx,
    xuid: int,
    csr_season: str,
    csr_saved: Mapping[str, str],
    now: datetime,
    *,
    fallback_season: str = "current",
) -> int:
    """Rank changes, a new season and gamertag changes seen by one player's snapshot, in
    the transaction that stores it (`csr_saved`: playlist id -> "created" | "unchanged").
    Returns the number of events added."""
    created = [pid for pid, result in csr_saved.items() if result == "created"]
    events: list[Event] = []
    if created:
        events += _rank_events(tx, xuid, _name(tx, xuid), csr_season, created)
        season = _season_event(tx, xuid, csr_season, now) if csr_season != fallback_season else None
        events += [season] if season is not None else []
    events += _gamertag_events(tx, xuid)
    return save_events(tx, events, now)


# ---------------------------------------------------------------------------- ops


def _outage(entry: WatchEntry, since: datetime, now: datetime) -> tuple[str, str, str]:
    """(name, how long in words, the error cut short) of an ops event."""
    name = entry.gamertag or f"xuid({entry.xuid})"
    error = (entry.last_error or "unknown error")[:160]
    return name, duration_words(int((now - since).total_seconds())), error


def failing_events(tx: StoreTx, xuids: Iterable[int], now: datetime) -> int:
    """A player whose checks have failed since a day or more: told once per outage (the
    cause is the last good check), in the transaction that records the failure."""
    events = []
    for xuid in xuids:
        entry = tx.watch_get(xuid)
        if entry is None or entry.failure_count <= 0:
            continue
        since = entry.last_checked_at or entry.added_at
        if now - since < FAILING_FOR:
            continue
        name, for_, error = _outage(entry, since, now)
        events.append(
            Event(
                event_id("ops", xuid, since),
                "ops",
                xuid,
                now,
                f"{name} not updated for {for_}",
                f"{name} has not been updated for {for_} "
                f"({entry.failure_count} failed checks): {error}",
                _facts(
                    "ops",
                    xuid,
                    entry.gamertag,
                    since=since.isoformat(),
                    failures=entry.failure_count,
                    error=error,
                ),
            )
        )
    return save_events(tx, events, now)


def csr_failing_events(tx: StoreTx, xuid: int, now: datetime) -> int:
    """A player whose CSR fetch has failed for a day or more while their records still
    update, in the transaction that stores those records and counts the CSR failure.
    `failing_events` never sees this: each such check stores records and moves the last
    check on. The cause is the last check that stored CSR as well (`last_played_at`, or
    the watch's start), so one outage is told once."""
    entry = tx.watch_get(xuid)
    if entry is None or entry.failure_count <= 0:
        return 0
    since = entry.last_played_at or entry.added_at
    if now - since < FAILING_FOR:
        return 0
    name, for_, error = _outage(entry, since, now)
    event = Event(
        event_id("ops", xuid, "csr", since),
        "ops",
        xuid,
        now,
        f"{name}: no CSR for {for_}",
        f"{name}'s CSR has not updated for {for_} ({entry.failure_count} failed "
        f"fetches); service records still update: {error}",
        _facts(
            "ops",
            xuid,
            entry.gamertag,
            step="csr",
            since=since.isoformat(),
            failures=entry.failure_count,
            error=error,
        ),
    )
    return save_events(tx, [event], now)


# ---------------------------------------------------------------------------- bests


@dataclass(frozen=True, slots=True)
class Best:
    """One personal best set by a match: `what` is "kills", "performance" or "win_streak"."""

    what: str
    match_id: str
    start_time: datetime
    value: float
    previous: float


@dataclass
class BestWalk:
    """Where the walk over a player's PvP matches stands: the last match walked and the
    records so far. Kept between cycles (in the transaction that tells the bests), so each
    settle reads only the matches stored since, not the whole career."""

    through: tuple[str, str] | None = None  # (start time ISO, match id) of the last match
    walked: int = 0
    top_kills: int | None = None
    top_index: float | None = None
    indexed: int = 0
    run: int = 0  # the current run of wins
    longest: int = 0  # the longest run that ended before it

    @classmethod
    def load(cls, text: str) -> BestWalk:
        data = json.loads(text)
        through = data.pop("through", None)
        return cls(**data, through=(str(through[0]), str(through[1])) if through else None)

    def after(self) -> tuple[datetime, str] | None:
        if self.through is None:
            return None
        return datetime.fromisoformat(self.through[0]), self.through[1]

    def walk(
        self,
        matches: Sequence[Mapping[str, Any]],
        indexes: Mapping[str, float],
        since: datetime,
        *,
        min_earlier: int = MIN_EARLIER,
    ) -> list[Best]:
        """Personal bests among `matches` (the next ones, oldest first) started at or after
        `since`: a match with more kills, or a higher performance index, than every earlier
        match, and the win that makes a run longer than every earlier run."""
        out: list[Best] = []
        for m in matches:
            mid, start = m["match_id"], m["start_time"]
            new = start >= since and self.walked >= min_earlier
            kills = int(m["kills"])
            if new and self.top_kills is not None and kills > self.top_kills:
                out.append(Best("kills", mid, start, kills, self.top_kills))
            self.top_kills = kills if self.top_kills is None else max(self.top_kills, kills)
            index = indexes.get(mid)
            if index is not None:
                top = self.top_index
                told = start >= since and self.indexed >= min_earlier
                if told and top is not None and index > top:
                    out.append(Best("performance", mid, start, index, top))
                self.top_index = index if top is None else max(top, index)
                self.indexed += 1
            if m["outcome"] == int(Outcome.Win):
                self.run += 1
                if new and self.run == max(self.longest + 1, 2):
                    out.append(Best("win_streak", mid, start, self.run, self.longest))
            else:
                self.longest = max(self.longest, self.run)
                self.run = 0
            self.walked += 1
            self.through = (start.isoformat(), mid)
        return out


def find_bests(
    matches: Sequence[Mapping[str, Any]],
    indexes: Mapping[str, float],
    since: datetime,
    *,
    min_earlier: int = MIN_EARLIER,
) -> list[Best]:
    """`BestWalk.walk` from the first match: the rule alone, for tests and scripts."""
    return BestWalk().walk(matches, indexes, since, min_earlier=min_earlier)


def _best_event(
    xuid: int, name: str, best: Best, match: Mapping[str, Any], where: str | None
) -> Event:
    on = f" on {where}" if where else ""
    if best.what == "kills":
        title = f"{name}: new best, {best.value:.0f} kills"
        body = (
            f"{name}'s most kills in a match: {best.value:.0f}{on} "
            f"({match['kills']}-{match['deaths']}-{match['assists']}), "
            f"previous best {best.previous:.0f}."
        )
    elif best.what == "performance":
        title = f"{name}: best performance {best.value:+.2f}"
        body = (
            f"{name}'s best performance against expectation: {best.value:+.2f}{on} "
            f"({match['kills']}-{match['deaths']}-{match['assists']}), "
            f"previous best {best.previous:+.2f}."
        )
    else:
        title = f"{name}: {best.value:.0f} wins in a row"
        body = (
            f"{name}'s longest win streak: {best.value:.0f} wins in a row, "
            f"previous best {best.previous:.0f}."
        )
    value: float = round(best.value, 3) if best.what == "performance" else int(best.value)
    previous: float = round(best.previous, 3) if best.what == "performance" else int(best.previous)
    data = _facts(
        "best",
        xuid,
        name,
        best=best.what,
        value=value,
        previous=previous,
        match_id=best.match_id,
        map=where,
    )
    cause = (xuid, best.what, best.match_id)
    return Event(event_id("best", *cause), "best", xuid, best.start_time, title, body, data)


def best_events(tx: StoreTx, xuid: int, now: datetime) -> int:
    """Personal bests set by matches played since the player was first watched, in the
    transaction that settles their match count (all of the cycle's matches are stored).
    Walks only the matches stored since the last walk (`BestWalk`, kept in that same
    transaction): the first settle reads the career once."""
    entry = tx.watch_get(xuid)
    if entry is None:
        return 0
    key = f"bests:{xuid}"
    kept = tx.get_metadata(STATE_KIND, key)
    state = BestWalk.load(kept.body) if kept is not None else BestWalk()
    rows = se.pvp_matches(tx, xuid, after=state.after())
    if not rows:
        return 0
    indexes = {
        mid: perf.index
        for mid, perf in match_performance(tx, xuid, (m["match_id"] for m in rows)).items()
        if perf.index is not None
    }
    found = state.walk(rows, indexes, entry.added_at)
    tx.put_metadata(STATE_KIND, key, json.dumps(asdict(state)), fetched_at=now)
    if not found:
        return 0
    by_id = {m["match_id"]: m for m in rows}
    maps = tx.asset_names("map")
    name = entry.gamertag or _name(tx, xuid)
    return save_events(
        tx,
        (
            _best_event(
                xuid, name, b, by_id[b.match_id], maps.get(by_id[b.match_id]["map_asset_id"] or "")
            )
            for b in found
        ),
        now,
    )


# ---------------------------------------------------------------------------- sessions


def _session_event(xuid: int, name: str, s: Session) -> Event:
    every = s.pvp + s.pve
    length = duration_words(int((s.end - s.start).total_seconds()))
    record = f"{every.wins}W {every.losses}L" + (f" {every.ties}T" if every.ties else "")
    ranked = [(p.playlist, p.csr_delta) for p in s.playlists if p.csr_delta is not None]
    csr = ", ".join(f"CSR {d:+d} in {pl}" for pl, d in ranked)
    played = f"{s.matches} match" + ("" if s.matches == 1 else "es")
    parts = [f"{name} played {played} in {length}: {record}"]
    if s.pvp.matches:
        parts.append(f"K/D {s.pvp.kd:.2f}")
    if csr:
        parts.append(csr)
    body = ", ".join(parts) + "."
    best = s.best
    if best is not None:
        where = " ".join(x for x in (best.map, f"({best.mode})" if best.mode else None) if x)
        on = f" on {where}" if where else ""
        body += f" Best: {best.kills}-{best.deaths}-{best.assists}{on}."
    body += _apart_line(s)
    data = _facts(
        "session",
        xuid,
        name,
        start=s.start.isoformat(),
        end=s.end.isoformat(),
        matches=s.matches,
        wins=every.wins,
        losses=every.losses,
        ties=every.ties,
        kd=round(s.pvp.kd, 3),
        csr_change={pl: d for pl, d in ranked},
        best_match=best.as_dict() if best is not None else None,
        pve_matches=s.pve.matches,
        custom_matches=s.custom.matches,
        local_matches=s.local.matches,
    )
    return Event(
        event_id("session", xuid, s.start),
        "session",
        xuid,
        s.end,
        f"Session: {name}, {record}",
        body,
        data,
    )


def _games(n: int, what: str) -> str:
    return f"{n} {what}game" + ("" if n == 1 else "s")


def _apart_line(s: Session) -> str:
    """One line on the evening's games left out of the K/D and the best match: PvE (in
    the record, against the AI), custom and LAN games (in no number above); empty without
    any, e.g. "PvE: 2 games, not in the K/D or best; apart: 1 custom game."."""
    said = [f"PvE: {_games(s.pve.matches, '')}, not in the K/D or best"] if s.pve.matches else []
    apart = [
        _games(n, what)
        for n, what in ((s.custom.matches, "custom "), (s.local.matches, "local (LAN) "))
        if n
    ]
    said += ["apart: " + " and ".join(apart)] if apart else []
    if not said:
        return ""
    line = "; ".join(said)
    return "\n" + line[0].upper() + line[1:] + "."


def _untold(
    store: Store, xuid: int, since: datetime, now: datetime, gap: timedelta, last: int
) -> tuple[dict[str, int], set[str]]:
    """Among the newest `last` sessions: id -> depth of those ended since `since`, and
    which of them are not told."""
    page = 25 if last <= 2 else 200
    newest = session_bounds(store, xuid, last=last, gap=gap, page_size=page)
    ended = {
        event_id("session", xuid, first): n
        for n, (first, _, end) in enumerate(newest)
        if now - end >= gap and end >= since
    }
    return ended, set(ended) - se.existing_ids(store, ended)


def ended_sessions(
    store: Store, xuids: Iterable[int], now: datetime, *, gap: timedelta = DEFAULT_GAP
) -> list[Event]:
    """Sessions of these players that ended (no match for `gap` before `now`) since they
    were first watched and are not told yet (for `save_events`: their cause is time
    passing, so they need no snapshot's transaction). Call it only for players whose
    stored matches are complete as of `now` (checked this cycle), or a session still going
    looks ended. Each run tells every ended session, so when the newest ended one is told
    the older ones are too: the usual cycle reads one short page of match times."""
    events: list[Event] = []
    for xuid in xuids:
        entry = store.watch_get(xuid)
        if entry is None:
            continue
        ended, missing = _untold(store, xuid, entry.added_at, now, gap, 2)
        newest = min(ended.items(), key=lambda kv: kv[1])[0] if ended else None
        if newest is None or newest not in missing:
            continue
        ended, missing = _untold(store, xuid, entry.added_at, now, gap, SESSIONS_LOOKED_AT)
        depth = 1 + max(ended[i] for i in missing)
        name = entry.gamertag or _name(store, xuid)
        for s in sessions(store, str(xuid), last=depth, gap=gap):
            if event_id("session", xuid, s.start) in missing:
                events.append(_session_event(xuid, name, s))
    return sorted(events, key=lambda e: e.occurred_at)


# ---------------------------------------------------------------------------- reading


def _event(row: Mapping[str, Any]) -> Event:
    return Event(
        row["event_id"],
        row["kind"],
        row["xuid"],
        row["occurred_at"],
        row["title"],
        row["body"],
        json.loads(row["data_json"] or "{}"),
        row["created_at"],
        row["seq"],
    )


def recent_events(store: Store, limit: int = 20, player: str | None = None) -> list[Event]:
    """The newest events, newest first; `player` (gamertag or XUID) keeps one player's."""
    xuid = None
    if player is not None:
        found = store.find_player(player)
        xuid = found.xuid if found is not None else written_as_xuid(player)
        if xuid is None:
            raise Unknown(f"no stored player {player!r}", hint="see `halotrack watch list`")
    return [_event(r) for r in se.newest_events(store, limit, xuid)]
