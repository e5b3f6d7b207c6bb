"""One tracking cycle: find who played, fetch only what can have changed, store snapshots.

Why this shape (request economy first, then safety):

1. *Detect*: one cheap `/matches/count` per due player. An unchanged count means nothing of
   theirs can have changed, so nothing else is asked. A player never checked counts as
   played.
2. *Fetch* for players who played: the lifetime record, every running season in its
   `Subqueries.SeasonIds`, and each ended season once ever (remembered with
   `mark_season_fetched`).
3. *CSR*: one request per ranked playlist per batch of players (the skill service takes
   many players per call), for everyone who played.
4. *Write*: per player, one store transaction holds the records, the CSR and the watch-list
   update, so a killed tracker leaves whole snapshots or nothing; a player whose write did
   not happen is still "played" next cycle and is simply fetched again.
5. *Matches* of opted-in players who played: synced beside steps 2-4 in one pipeline
   (`halotrack.usecases.matches`); a player's count is settled once records and matches are
   both stored.

A failure (404, 5xx after retries, a refused CSR) is recorded for that player only
(`watch_failed`), shown in the report, and retried next cycle; other players go on.
Time comes from an injectable clock, so snapshots made against the simulator carry
simulated time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from halotrack.errors import HaloTrackError
from halotrack.models import ServiceRecord, maybe_xuid, parse_xuid
from halotrack.store import SaveResult, Scope, Store, StoreTx, WatchEntry, to_thread
from halotrack.usecases.events import (
    best_events,
    csr_failing_events,
    ended_sessions,
    failing_events,
    save_events,
    snapshot_events,
)
from halotrack.usecases.matches import SyncResult, sync_players_matches
from halotrack.usecases.metadata import Metadata
from halotrack.usecases.names import NameLearner
from halotrack.usecases.policy import next_check_at
from halotrack.usecases.seasons import (
    current_csr_season,
    record_season_ids,
    season_aliases,
    season_ends,
    seasons_to_fetch,
)
from halotrack.waypoint import WaypointClient

log = logging.getLogger("halotrack.usecases")

T = TypeVar("T")

RECORD_KIND = "matchmade"
SEASON_SOURCE = "servicerecord:matchmade"
RANKED_KEY = ("tracker", "ranked-playlists")
FALLBACK_CSR_SEASON = "current"

Progress = Callable[[str, int, int], None]
"""`progress(phase, done, total)`: phases are "checking", "fetching", "csr", "saving",
"matches" (total 0 while unknown)."""


@dataclass
class Failure:
    """One player's failed step in a cycle: shown in the report, retried next cycle."""

    xuid: int
    gamertag: str | None
    step: str
    error: str
    hint: str | None = None  # what to do, from the error (e.g. sign in again)

    def text(self) -> str:
        who = self.gamertag or f"xuid({self.xuid})"
        return f"{who}: {self.step}: {self.error}"


@dataclass
class CycleReport:
    """What one cycle did; `--json` prints `to_dict()`."""

    started_at: datetime
    finished_at: datetime | None = None
    watched: int = 0
    due: int = 0
    checked: int = 0
    played: int = 0
    records_created: int = 0
    records_unchanged: int = 0
    ended_seasons_fetched: int = 0
    csr_created: int = 0
    csr_unchanged: int = 0
    ranked_playlists: int = 0
    matches_synced: int = 0
    requests: int = 0
    retries: int = 0
    wall_seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["started_at"] = self.started_at.isoformat()
        d["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        d["wall_seconds"] = round(self.wall_seconds, 3)
        return d

    def summary(self) -> list[str]:
        """A few lines for people."""
        lines = [
            f"checked {self.checked} of {self.due} due ({self.watched} watched), "
            f"{self.played} played",
            f"records: {self.records_created} new, {self.records_unchanged} unchanged"
            + (
                f" ({self.ended_seasons_fetched} ended seasons stored for good)"
                if self.ended_seasons_fetched
                else ""
            ),
            f"CSR: {self.csr_created} new, {self.csr_unchanged} unchanged "
            f"in {self.ranked_playlists} ranked playlists",
        ]
        if self.matches_synced:
            lines.append(f"matches: {self.matches_synced} new")
        lines.append(
            f"{self.requests} requests ({self.retries} retries) in {self.wall_seconds:.1f}s"
        )
        if self.failures:
            lines.append(f"{len(self.failures)} failed (retried next cycle):")
            lines += [f"  {f.text()}" for f in self.failures]
            lines += self.hints()
        return lines

    def hints(self) -> list[str]:
        """Each distinct hint of the failures once: ten players refused with 401 need one
        "sign in again", not ten."""
        return [f"what to do: {h}" for h in dict.fromkeys(f.hint for f in self.failures) if h]

    @property
    def all_failed(self) -> bool:
        """Every player this cycle tried failed: a cause shared by all (sign-in, network,
        --api), which a one-shot run reports with a non-zero exit."""
        return bool(self.failures) and self.checked == 0


@dataclass
class _Work:
    """One due player's state through the cycle."""

    entry: WatchEntry
    count: int | None = None
    played: bool = False
    lifetime: ServiceRecord | None = None
    seasons: list[tuple[str, bool, ServiceRecord]] = field(default_factory=list)
    csr: dict[str, Any] = field(default_factory=dict)
    csr_errors: list[str] = field(default_factory=list)
    failure: Failure | None = None

    @property
    def xuid(self) -> int:
        return self.entry.xuid

    def fail(self, step: str, exc: BaseException) -> None:
        message = exc.message if isinstance(exc, HaloTrackError) else str(exc)
        hint = exc.hint if isinstance(exc, HaloTrackError) else None
        self.failure = Failure(self.xuid, self.entry.gamertag, step, message, hint or None)


class Tracker:
    """Runs cycles over a store's watch list with one client.

    `clock` gives aware UTC datetimes; by default the API's own (`client.now`), so a
    simulator's snapshots carry simulated time;
    `concurrency` bounds players handled at once (the client's limiter still paces every
    request); `sync_matches` runs the match sync for opted-in players who played;
    `ask_csr=False` leaves CSR to the caller, who asks it for a batch of players at once
    (`fill_csr`): a worker's one-player checks would otherwise ask once per player;
    `matches_later=True` leaves the match sync of those who played to the caller too
    (`matches_due` lists them with their count; `sync_player` syncs one), so a long
    backfill does not hold up the check.
    """

    def __init__(
        self,
        client: WaypointClient,
        store: Store,
        *,
        clock: Callable[[], datetime] | None = None,
        concurrency: int = 16,
        sync_matches: bool = True,
        ask_csr: bool = True,
        matches_later: bool = False,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.clock = clock or client.now
        self._sync_clock = clock is None
        self.concurrency = max(1, concurrency)
        self.sync_matches = sync_matches
        self.ask_csr = ask_csr
        self.matches_later = matches_later
        self.matches_due: dict[int, int] = {}
        self.progress = progress
        self.metadata = Metadata(client, store, self.clock)
        self.names = NameLearner(client, store)
        self._write_lock: asyncio.Lock | None = None

    def _tick(self, phase: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(phase, done, total)

    async def _each(self, phase: str, items: Sequence[_Work], fn: Callable[[_Work], Any]) -> None:
        """Run `fn` for every item, at most `concurrency` at once, ticking progress."""
        sem = asyncio.Semaphore(self.concurrency)
        done = 0
        self._tick(phase, 0, len(items))

        async def one(w: _Work) -> None:
            nonlocal done
            async with sem:
                await fn(w)
            done += 1
            self._tick(phase, done, len(items))

        await asyncio.gather(*(one(w) for w in items))

    async def run_cycle(
        self, players: Iterable[int | str] | None = None, *, force: bool = False
    ) -> CycleReport:
        """One cycle over the due players (or only `players`, due or not; `force`: every
        watched player, due or not)."""
        start = self._start()
        if self._sync_clock:
            await self.client.sync_clock()
        now = self.clock()
        watched = await to_thread(self.store.watch_list)
        if players is not None:
            wanted = {parse_xuid(p) for p in players}
            due = [e for e in watched if e.xuid in wanted]
        elif force:
            due = watched
        else:
            due = [e for e in watched if e.next_check_at is None or e.next_check_at <= now]
        return await self.run_entries(due, watched=len(watched), start=start)

    def _start(self) -> tuple[float, int, int]:
        return time.perf_counter(), self.client.counters.requests, self.client.counters.retries

    async def run_entries(
        self,
        due: Sequence[WatchEntry],
        *,
        watched: int,
        start: tuple[float, int, int] | None = None,
    ) -> CycleReport:
        """One cycle over these watch entries, due or not (a worker's job passes one player,
        read alone rather than with the whole watch list). `start`: where the report's wall
        time and request counts begin (`run_cycle` counts its clock request too)."""
        wall0, req0, retry0 = start or self._start()
        report = CycleReport(started_at=self.clock())
        self.metadata = Metadata(self.client, self.store, self.clock)
        report.watched = watched
        report.due = len(due)
        work = [_Work(e) for e in due]
        if work:
            await self._cycle(work, report)
        report.finished_at = self.clock()
        report.requests = self.client.counters.requests - req0
        report.retries = self.client.counters.retries - retry0
        report.wall_seconds = time.perf_counter() - wall0
        return report

    async def _cycle(self, work: list[_Work], report: CycleReport) -> None:
        self.matches_due = {}
        await self._detect(work)
        await self._save_quiet(work, report)
        played = [w for w in work if w.played and w.failure is None]
        if played:
            # Matches never change and need nothing from the steps below: their sync runs
            # beside them, keeping the pacers busy while those wait on one service.
            syncing = [w for w in played if w.entry.matches_opt_in] if self.sync_matches else []
            later: list[_Work] = []
            if self.matches_later:
                later, syncing = syncing, []
            sync_task = asyncio.ensure_future(self._sync_matches(syncing)) if syncing else None
            try:
                calendar = await self.metadata.season_calendar()
                csr_calendar = await self.metadata.csr_calendar()
                await self.metadata.medals()
                ends = season_ends(calendar, csr_calendar)
                aliases = season_aliases(calendar)
                await self._each(
                    "fetching", played, lambda w: self._fetch_records(w, ends, aliases)
                )
                fetched = [w for w in played if w.failure is None]
                now = self.clock()
                csr_season = current_csr_season(csr_calendar, now) or FALLBACK_CSR_SEASON
                if self.ask_csr:
                    report.ranked_playlists = await self._fetch_csr(fetched)
                await self._each(
                    "saving", fetched, lambda w: self._save_played(w, csr_season, report)
                )
            except BaseException:
                if sync_task is not None:
                    sync_task.cancel()  # it lets the matches in flight commit, then stops
                    await asyncio.gather(sync_task, return_exceptions=True)
                raise
            if sync_task is not None:
                await self._settle_matches(syncing, await sync_task, report)
            await self._save_failures([w for w in played if w.failure is not None])
            if self.matches_later:
                self.matches_due = {
                    w.xuid: w.count for w in later if w.failure is None and w.count is not None
                }
        if self.sync_matches:  # sessions of the players whose matches are stored up to now
            told = [
                w.xuid
                for w in work
                if w.entry.matches_opt_in and w.failure is None and w.xuid not in self.matches_due
            ]
            ended = await to_thread(ended_sessions, self.store, told, self.clock())
            if ended:
                await self._write(lambda tx: save_events(tx, ended, self.clock()))
        report.checked = sum(1 for w in work if w.count is not None)
        report.played = sum(1 for w in work if w.played)
        report.failures = [w.failure for w in work if w.failure is not None]

    # -- 1. detect -------------------------------------------------------------------------

    async def _detect(self, work: list[_Work]) -> None:
        async def check(w: _Work) -> None:
            try:
                count = await self.client.stats.match_count(w.xuid)
            except HaloTrackError as exc:
                w.fail("match count", exc)
                return
            w.count = count.matches_played_count
            w.played = w.entry.last_match_count is None or w.count != w.entry.last_match_count

        await self._each("checking", work, check)

    async def _save_quiet(self, work: list[_Work], report: CycleReport) -> None:
        """Bookkeeping for players who did not play or failed the count, in one transaction."""
        quiet = [w for w in work if not w.played or w.failure is not None]
        if not quiet:
            return
        now = self.clock()

        def write(tx: StoreTx) -> None:
            for w in quiet:
                if w.failure is not None:
                    tx.watch_failed(w.xuid, w.failure.text(), next_check_at=None)
                    continue
                tx.watch_update(
                    w.xuid,
                    last_checked_at=now,
                    last_match_count=w.count,
                    next_check_at=next_check_at(now, w.entry.last_played_at),
                    failure_count=0,
                    last_error=None,
                )
            failing_events(tx, [w.xuid for w in quiet if w.failure is not None], now)

        await self._write(write)

    async def _save_failures(self, failed: list[_Work]) -> None:
        """Failures after the count (records, store, matches): kept on the watch row, and the
        count forgotten so the next cycle fetches the player again. A CSR failure is already
        recorded in the player's own transaction."""
        pending = [w for w in failed if w.failure is not None and w.failure.step != "csr"]
        if not pending:
            return

        def write(tx: StoreTx) -> None:
            for w in pending:
                assert w.failure is not None
                tx.watch_update(w.xuid, last_match_count=None)
                tx.watch_failed(w.xuid, w.failure.text(), next_check_at=None)
            failing_events(tx, [w.xuid for w in pending], self.clock())

        try:
            await self._write(write)
        except HaloTrackError as exc:
            log.warning("cannot record failures: %s", exc)

    def _write_sync(self, fn: Callable[[StoreTx], T]) -> T:
        with self.store.transaction() as tx:
            return fn(tx)

    async def _write(self, fn: Callable[[StoreTx], T]) -> T:
        """One transaction in a worker thread. Writes of this tracker go one at a time:
        SQLite has one writer anyway, and waiting on its busy handler is far slower than
        queueing here."""
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        async with self._write_lock:
            return await to_thread(self._write_sync, fn)

    # -- 2. records ------------------------------------------------------------------------

    async def _fetch_records(
        self, w: _Work, ends: dict[str, datetime], aliases: dict[str, str]
    ) -> None:
        try:
            w.lifetime = await self.client.stats.service_record(w.xuid)
        except HaloTrackError as exc:
            w.fail("service record", exc)
            return
        await self.names.from_record(w.xuid, w.lifetime)
        ids = record_season_ids(w.lifetime.season_ids, aliases)

        def done_seasons() -> set[str]:
            with self.store.reader() as tx:
                return {s for s in ids if tx.season_fetched(w.xuid, SEASON_SOURCE, s)}

        done = await to_thread(done_seasons)
        wanted = seasons_to_fetch(ids, ends, self.clock(), done)

        async def one(sid: str, ended: bool) -> tuple[str, bool, ServiceRecord]:
            return sid, ended, await self.client.stats.service_record(w.xuid, season_id=sid)

        try:
            w.seasons = list(await asyncio.gather(*(one(s, e) for s, e in wanted)))
        except HaloTrackError as exc:
            w.fail("season record", exc)

    # -- 3. CSR ----------------------------------------------------------------------------

    async def _ranked(self, fetched: Sequence[_Work]) -> list[str]:
        known_doc = await to_thread(self.store.get_metadata, *RANKED_KEY)
        known: list[str] = known_doc.json() if known_doc is not None else []
        candidates = set(known)
        for w in fetched:
            sub = w.lifetime.subqueries if w.lifetime is not None else None
            if sub is not None:
                candidates.update(p.lower() for p in sub.playlist_asset_ids or [])
        ranked = await self.metadata.ranked_playlists(candidates)
        if sorted(ranked) != sorted(known):
            import json

            await to_thread(
                self.store.put_metadata, *RANKED_KEY, json.dumps(sorted(ranked)),
                fetched_at=self.clock(),
            )  # fmt: skip
        for pid in ranked:
            asset = await self.metadata.playlist_asset(pid)
            if asset is not None and asset.ugc_playlist_version:
                await self.metadata.playlist_name(pid, asset.ugc_playlist_version)
        return ranked

    async def _fetch_csr(self, fetched: Sequence[_Work]) -> int:
        """CSR of every fetched player in every ranked playlist: one request per playlist
        per batch. Returns the number of ranked playlists."""
        if not fetched:
            return 0
        ranked = await self._ranked(fetched)
        await self._csr_in(ranked, fetched)
        return len(ranked)

    async def _csr_in(self, ranked: Sequence[str], fetched: Sequence[_Work]) -> None:
        by_xuid = {w.xuid: w for w in fetched}
        xuids = list(by_xuid)
        self._tick("csr", 0, len(ranked))
        for i, pid in enumerate(ranked):
            try:
                results = await self.client.skill.playlist_csr(pid, xuids)
            except HaloTrackError as exc:
                for w in fetched:
                    w.csr_errors.append(f"CSR {pid}: {exc.message}")
                continue
            raw_by_xuid: dict[int, Any] = {}
            for response in results.responses:
                for item in response.raw.get("Value") or []:
                    x = maybe_xuid(item.get("Id")) if isinstance(item, dict) else None
                    if x is not None:
                        raw_by_xuid[x] = item
            for x in results.bad:
                if x in by_xuid:
                    by_xuid[x].csr_errors.append(f"CSR {pid}: the skill service refused the player")
            for x, entry in results.entries.items():
                who = by_xuid.get(x)
                if who is None:
                    continue
                if not entry.ok or x not in raw_by_xuid:
                    who.csr_errors.append(f"CSR {pid}: result {entry.result_code_name}")
                    continue
                who.csr[pid] = raw_by_xuid[x]
            self._tick("csr", i + 1, len(ranked))

    async def fill_csr(
        self, played: Sequence[tuple[WatchEntry, ServiceRecord, set[str]]]
    ) -> tuple[int, list[str]]:
        """The CSR one cycle over all these players would have stored, with its events, for
        players checked one by one (a worker's jobs, checked with `ask_csr=False`): one
        request per ranked playlist for every player of the batch lacking it. `played`:
        (entry, lifetime record, playlists whose CSR is stored already, e.g. by an earlier
        attempt). Returns (snapshots stored, errors)."""
        work = []
        for entry, lifetime, _ in played:
            w = _Work(entry, played=True, lifetime=lifetime)
            work.append(w)
        if not work:
            return 0, []
        ranked = await self._ranked(work)
        have = {entry.xuid: done for entry, _, done in played}
        for pid in ranked:
            lacking = [w for w in work if pid not in have[w.xuid]]
            if lacking:
                await self._csr_in([pid], lacking)
        got = [w for w in work if w.csr]
        if got:
            csr_calendar = await self.metadata.csr_calendar()
            season = current_csr_season(csr_calendar, self.clock()) or FALLBACK_CSR_SEASON

            def write(tx: StoreTx) -> None:
                now = self.clock()
                for w in got:
                    saved = {
                        pid: tx.save_csr(w.xuid, pid, season, raw, now)
                        for pid, raw in w.csr.items()
                    }
                    snapshot_events(tx, w.xuid, season, saved, now)

            await self._write(write)
        return sum(len(w.csr) for w in got), [e for w in work for e in w.csr_errors]

    # -- 4. write --------------------------------------------------------------------------

    async def _save_played(self, w: _Work, csr_season: str, report: CycleReport) -> None:
        assert w.lifetime is not None
        lifetime = w.lifetime

        def write(tx: StoreTx) -> tuple[list[SaveResult], list[SaveResult], int]:
            now = self.clock()
            records = [tx.save_service_record(w.xuid, RECORD_KIND, Scope(), lifetime, now)]
            ended = 0
            for sid, is_ended, rec in w.seasons:
                records.append(
                    tx.save_service_record(w.xuid, RECORD_KIND, Scope.season(sid), rec, now)
                )
                if is_ended:
                    tx.mark_season_fetched(w.xuid, SEASON_SOURCE, sid, now)
                    ended += 1
            csr = [tx.save_csr(w.xuid, pid, csr_season, raw, now) for pid, raw in w.csr.items()]
            snapshot_events(tx, w.xuid, csr_season, dict(zip(w.csr, csr, strict=True)), now)
            tx.watch_update(w.xuid, last_checked_at=now)
            if w.csr_errors:
                # Records are kept; the count stays old so the player is fetched again.
                tx.watch_failed(w.xuid, "; ".join(w.csr_errors), next_check_at=None)
                csr_failing_events(tx, w.xuid, now)
            else:
                # Whose matches are synced keeps the old count until the sync is done, so a
                # run killed in between syncs them next time (`_settle_matches` writes it).
                synced_later = self.sync_matches and w.entry.matches_opt_in
                tx.watch_update(
                    w.xuid,
                    last_played_at=now,
                    last_match_count=w.entry.last_match_count if synced_later else w.count,
                    next_check_at=next_check_at(now, now),
                    failure_count=0,
                    last_error=None,
                )
            return records, csr, ended

        try:
            records, csr, ended = await self._write(write)
        except HaloTrackError as exc:
            w.fail("store", exc)
            return
        report.records_created += records.count("created")
        report.records_unchanged += records.count("unchanged")
        report.csr_created += csr.count("created")
        report.csr_unchanged += csr.count("unchanged")
        report.ended_seasons_fetched += ended
        if w.csr_errors:
            w.failure = Failure(w.xuid, w.entry.gamertag, "csr", "; ".join(w.csr_errors))

    # -- 5. matches (issue 6) --------------------------------------------------------------

    async def _sync_matches(
        self, players: Sequence[_Work]
    ) -> dict[int, SyncResult | HaloTrackError]:
        """All opted-in players' matches in one shared pipeline (a player's sync start and
        tail overlap the others'); counts from the check give progress its total without a
        request."""

        def tick(done: int, total: int | None) -> None:
            self._tick("matches", done, total if total is not None else 0)

        return await sync_players_matches(
            self.client,
            self.store,
            [w.xuid for w in players],
            counts={w.xuid: w.count for w in players if w.count is not None},
            progress=tick if self.progress is not None else None,
            now=self.clock,
        )

    async def _settle_matches(
        self,
        players: Sequence[_Work],
        outcome: dict[int, SyncResult | HaloTrackError],
        report: CycleReport,
    ) -> None:
        """The match count of a player whose records and matches are all stored; any other
        player keeps the old count, so the next cycle fetches them again."""
        for w in players:
            result = outcome[w.xuid]
            if isinstance(result, HaloTrackError):
                if w.failure is None:
                    w.fail("matches", result)
                continue
            report.matches_synced += result.new_matches
            if w.failure is None:
                await self._write(_settle_count(w.xuid, w.count, self.clock()))

    async def sync_player(self, entry: WatchEntry, count: int) -> tuple[int, Failure | None]:
        """The match sync a check left for later (`matches_later`): this player's matches
        up to `count`, then the count, bests and ended sessions as the cycle would have
        stored them. Returns (new matches, the failure if any)."""
        w = _Work(entry, count=count, played=True)
        report = CycleReport(started_at=self.clock())
        await self._settle_matches([w], await self._sync_matches([w]), report)
        if w.failure is not None:
            await self._save_failures([w])
        else:
            if entry.failure_count:
                # The check that left this sync stored its records and cleared failures, so
                # this one is an earlier attempt of the sync itself: the retry succeeded.
                now = self.clock()
                await self._write(
                    lambda tx: tx.watch_update(
                        w.xuid,
                        next_check_at=next_check_at(now, now),
                        failure_count=0,
                        last_error=None,
                    )
                )
            ended = await to_thread(ended_sessions, self.store, [w.xuid], self.clock())
            if ended:
                await self._write(lambda tx: save_events(tx, ended, self.clock()))
        return report.matches_synced, w.failure


def _settle_count(xuid: int, count: int | None, now: datetime) -> Callable[[StoreTx], None]:
    def write(tx: StoreTx) -> None:
        tx.watch_update(xuid, last_match_count=count)
        best_events(tx, xuid, now)  # every match of the cycle is stored by now

    return write
