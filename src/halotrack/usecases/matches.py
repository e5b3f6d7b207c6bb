"""Match history sync: newest first, stop at what is stored, backfill the rest, resumably.

Why this shape: match stats never change, so each match is fetched once, ever. A sync pages
the history newest first and stops at the newest match a previous sync completed; a player
never synced before is backfilled from the top down, page by page, concurrently under the
client's pacing. Stats, skill and asset requests of many matches (and of every player synced
in the same run) are in flight together, and writes go to one writer thread that no request
waits for, so the pacers, not answers or commits, set the speed. Each match commits in one
transaction (stats, skill, every player's rows),
and a per-player sync state records the paging frontier, so a run killed half-way resumes
where it stopped without fetching a stored match again. A cancelled run (Ctrl-C) lets the
matches already being fetched finish and commit before it stops.

    result = await sync_player_matches(client, store, xuid)          # incremental
    result = await sync_player_matches(client, store, xuid, full=True)  # walk everything
    result = await sync_player_matches(client, store, xuid, history_type="custom")
    results = await sync_players_matches(client, store, [a, b, c])    # one pipeline

`history_type` is the match history's `type` (`HISTORY_TYPES`; `all` by default, as before
the option existed): each type is its own list with its own offsets, so each has its own
sync state, and a custom-games backfill never stops a matchmade one early or the reverse.

The skill endpoint is asked only about the humans of matchmade matches: a bot id fails the
whole request. Asset versions (maps, modes, playlists, map-mode pairs) are fetched once per
(AssetId, VersionId) for their names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from halotrack.errors import (
    ApiError,
    BadRequest,
    ConfigError,
    HaloTrackError,
    NotFound,
    ParseError,
    Unknown,
)
from halotrack.models import MatchHistoryEntry, MatchSkill, MatchStats, MedalMetadata
from halotrack.models.enums import HISTORY_TYPES
from halotrack.models.names import MedalBook
from halotrack.models.xuid import written_as_xuid
from halotrack.store import Store
from halotrack.store import matches as sm
from halotrack.usecases.names import NameLearner
from halotrack.usecases.plain import field_dict
from halotrack.waypoint import WaypointClient

log = logging.getLogger("halotrack.usecases")

T = TypeVar("T")

PAGE = 25
LOOKAHEAD_PAGES = 3
MAX_BATCH = 16


class Progress(Protocol):
    """Told how many matches this run stored so far, and how many it expects (None when it
    cannot know: an incremental sync stops when it meets a stored match)."""

    def __call__(self, done: int, total: int | None) -> None: ...


@dataclass
class SyncResult:
    """What one sync of one player did."""

    xuid: int
    history_type: str = "all"
    new_matches: int = 0
    already_stored: int = 0
    pages: int = 0
    skill_fetched: int = 0
    skill_failed: int = 0
    assets_fetched: int = 0
    complete: bool = False
    resumed_at: int | None = None
    elapsed: float = 0.0
    requests: int = 0
    match_ids: list[str] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        renamed = {"history_type": "type", "elapsed": "elapsed_seconds"}
        d = field_dict(self, renamed, skip=("match_ids",))
        d["elapsed_seconds"] = round(self.elapsed, 3)
        return d


def check_history_type(history_type: str) -> str:
    """A match history type, checked before any request: one line naming the choices."""
    if history_type not in HISTORY_TYPES:
        raise ConfigError(
            f"unknown match type {history_type!r}", hint=f"use {', '.join(HISTORY_TYPES)}"
        )
    return history_type


async def resolve_xuid(client: WaypointClient | None, store: Store, player: int | str) -> int:
    """A XUID from a XUID, a stored gamertag, or (when a client is given) the profile API;
    a gamertag learnt from the API is stored with the player, as the API spells it."""
    xuid = written_as_xuid(player)
    if xuid is not None:
        return xuid
    text = str(player).strip()
    found = await asyncio.to_thread(store.find_player, text)
    if found is not None:
        return found.xuid
    if client is None:
        raise Unknown(
            f"no stored player {text!r}",
            hint="sync their matches first (`halotrack matches sync PLAYER`) or pass a XUID",
        )
    user = await client.profile.user(text)
    xuid = user.xuid_int
    if xuid is None:
        raise ConfigError(f"the profile service gave no XUID for {text!r}")
    await asyncio.to_thread(store.upsert_player, xuid, user.gamertag or None)
    return xuid


class _Pipeline:
    """What the syncs of one run share: the match workers, one writer thread with its queue,
    the asset versions asked for and the matches claimed. Players synced together so keep
    the pacers busy across players (no player's start or tail leaves them idle), and a
    match two of them played is fetched once."""

    def __init__(
        self,
        client: WaypointClient,
        store: Store,
        *,
        workers: int,
        now: Callable[[], datetime],
        progress: Progress | None,
    ) -> None:
        self.client = client
        self.store = store
        self.names = NameLearner(client, store)
        self.now = now
        self.progress = progress
        self.sem = asyncio.Semaphore(workers)
        self.syncs: list[_Sync] = []
        self.known_assets: set[tuple[str, str, str]] = set()
        self.inflight: set[asyncio.Future[bool]] = set()
        self.claims: dict[str, tuple[_Sync, asyncio.Future[bool]]] = {}
        self._asset_tasks: dict[tuple[str, str, str], asyncio.Task[asyncio.Future[None]]] = {}
        self._db_pool = ThreadPoolExecutor(1, thread_name_prefix="halotrack-matches-db")
        self._queue: list[tuple[sm.MatchRows, asyncio.Future[bool]]] = []
        self._writer_task: asyncio.Future[None] | None = None

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Database calls of the run, in order, on the writer thread."""
        return await asyncio.get_running_loop().run_in_executor(self._db_pool, fn, *args)

    def close(self) -> None:
        self._db_pool.shutdown(wait=True)

    def tick(self) -> None:
        """Progress over every player of the run (the total once each one's is known)."""
        if self.progress is None:
            return
        totals = [s.total for s in self.syncs]
        total = None if any(t is None for t in totals) else sum(t or 0 for t in totals)
        self.progress(sum(s.stored_here for s in self.syncs), total)

    # -- one match ----------------------------------------------------------------------

    async def _asset(
        self, kind: str, asset_id: str, version_id: str, result: SyncResult
    ) -> asyncio.Future[None]:
        """Fetch one asset version; returns its write, queued on the writer thread."""
        discovery = self.client.discovery
        fetch = {
            "map": discovery.map,
            "mode": discovery.game_variant,
            "playlist": discovery.playlist,
            "pair": discovery.map_mode_pair,
        }[kind]
        try:
            asset: Any = await fetch(asset_id, version_id)
        except (NotFound, BadRequest):
            # Gone for good: remember that, so it is not asked for again. Anything else
            # (still failing after the client's retries) fails the match: a later run
            # fetches it whole instead of keeping it without its names.
            return self._write(self._save_asset, kind, asset_id, version_id, None, None, None)
        result.assets_fetched += 1
        name = getattr(asset, "public_name", None)
        desc = getattr(asset, "description", None)
        return self._write(
            self._save_asset, kind, asset_id, version_id, name, desc, asset.raw_bytes
        )

    def _write(self, fn: Callable[..., None], *args: Any) -> asyncio.Future[None]:
        return asyncio.ensure_future(self.db(fn, *args))

    def _save_asset(
        self,
        kind: str,
        asset_id: str,
        version_id: str,
        name: str | None,
        desc: str | None,
        raw: bytes | None,
    ) -> None:
        self.store.save_asset(
            kind,
            asset_id,
            version_id,
            name=name,
            description=desc,
            raw=raw,
            fetched_at=self.now(),
        )

    async def _assets(self, stats: MatchStats, result: SyncResult) -> list[asyncio.Future[None]]:
        """Fetch the match's asset versions not known yet (each once per run); returns their
        writes, which the match's own write waits for."""
        waits = []
        for ref in sm.asset_refs(stats):
            if ref in self.known_assets:
                continue
            task = self._asset_tasks.get(ref)
            if task is None:
                task = asyncio.ensure_future(self._asset(*ref, result))
                self._asset_tasks[ref] = task
            waits.append(task)
        return list(await asyncio.gather(*waits))

    async def _skill(self, stats: MatchStats, result: SyncResult) -> MatchSkill | None:
        if not stats.match_info.is_matchmade:
            return None
        humans = [p.player_id for p in stats.players if not p.is_bot and p.xuid is not None]
        if not humans:
            return None
        try:
            skill = await self.client.skill.match_skill(stats.match_id, humans)
        except (NotFound, BadRequest, ParseError) as exc:
            # The service has no answer for this match (old, or a shape we cannot read):
            # keep the match without it. A transient failure propagates instead, so the
            # match is not stored half and a later run fetches it whole.
            result.skill_failed += 1
            log.info("no skill for match %s: %s", stats.match_id, exc.message)
            return None
        result.skill_fetched += 1
        return skill

    def _save_batch(self, batch: list[sm.MatchRows]) -> list[bool]:
        with self.store.transaction() as tx:
            return [tx.save_match(rows) for rows in batch]

    async def _writer(self) -> None:
        """Commit queued matches: alone when the writer keeps up, together when matches
        arrive faster than single commits go (one commit then covers several whole matches;
        each is still all or nothing, and none is acknowledged before its commit)."""
        while self._queue:
            batch = self._queue[:MAX_BATCH]
            del self._queue[:MAX_BATCH]
            try:
                saved = await self.db(self._save_batch, [rows for rows, _ in batch])
            except BaseException as exc:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, fut), ok in zip(batch, saved, strict=True):
                if not fut.done():
                    fut.set_result(ok)

    def _save(self, rows: sm.MatchRows) -> asyncio.Future[bool]:
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((rows, fut))
        if self._writer_task is None or self._writer_task.done():
            self._writer_task = asyncio.ensure_future(self._writer())
        return fut

    async def fetch_and_store(self, match_id: str, owner: _Sync, fetched: asyncio.Event) -> bool:
        """Fetch one match (stats, then skill and assets together), set `fetched`, then
        store it; True once it is committed."""
        try:
            stats = await self.client.stats.match_stats(match_id)
            await self.names.from_match(stats)
            skill, asset_writes = await asyncio.gather(
                self._skill(stats, owner.result), self._assets(stats, owner.result)
            )
            rows = sm.match_rows(stats, skill, fetched_at=self.now())
        finally:
            fetched.set()
        await asyncio.gather(*asset_writes)  # a match is written only after its assets
        if await self._save(rows):
            owner.result.new_matches += 1
            owner.result.match_ids.append(rows.match_id)
        else:
            owner.result.already_stored += 1
        owner.stored_here += 1
        self.tick()
        return True


class _Sync:
    """One player's walk through their history, in a pipeline shared with the run's other
    players."""

    def __init__(
        self, pipe: _Pipeline, xuid: int, *, full: bool, count: int | None, history_type: str
    ) -> None:
        self.pipe = pipe
        self.client = pipe.client
        self.store = pipe.store
        self.now = pipe.now
        self.xuid = xuid
        self.full = full
        self.count = count
        self.type = history_type
        self.result = SyncResult(xuid, history_type)
        self.total: int | None = None
        self.stored_here = 0  # this player's matches stored by this run (for progress)
        self._stopping = False
        pipe.syncs.append(self)

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.pipe.db(fn, *args)

    async def _match(self, match_id: str) -> bool:
        """Fetch and store one match; False when the run stopped before it started."""
        pipe = self.pipe
        async with pipe.sem:
            if self._stopping:
                return False
            # Once a match's request is about to go out, finish it even if the run is
            # cancelled: what was fetched is kept, so a resume never asks for it again.
            fetched = asyncio.Event()
            job = asyncio.ensure_future(pipe.fetch_and_store(match_id, self, fetched))
            pipe.inflight.add(job)
            job.add_done_callback(pipe.inflight.discard)
            # The worker is free once the answers are in: the write goes on without it,
            # so a slow commit never holds back the next match's requests.
            await fetched.wait()
        return await asyncio.shield(job)

    async def _after_other(self, match_id: str, claim: asyncio.Future[bool]) -> bool:
        """A match another player's sync of this run is fetching: done once that one is
        stored; fetched here after all if that sync stopped before storing it."""
        try:
            stored = await asyncio.shield(claim)
        except Exception:
            stored = False
        if stored:
            self.result.already_stored += 1
            self.stored_here += 1
            self.pipe.tick()
            return True
        return await self._match(match_id)

    # -- paging -------------------------------------------------------------------------

    def _stored_of(self, ids: list[str]) -> set[str]:
        return self.store.stored_match_ids(ids)

    async def _page(self, start: int) -> list[MatchHistoryEntry]:
        page = await self.client.stats.match_history(
            self.xuid, start=start, count=PAGE, type=self.type
        )
        self.result.pages += 1
        return list(page.results)

    async def _schedule(self, entries: list[MatchHistoryEntry]) -> asyncio.Future[Any]:
        """Start the matches of one page not stored yet; a future done when all are."""
        ids = [e.match_id.lower() for e in entries]
        # Read on its own thread, not behind the writer's queued commits: matches queued
        # but not committed yet are claimed, so they are not started twice.
        stored = await asyncio.to_thread(self._stored_of, ids)
        claims = self.pipe.claims
        tasks: list[asyncio.Future[bool]] = []
        for mid in ids:
            if mid in stored:
                self.result.already_stored += 1
                continue
            claim = claims.get(mid)
            if claim is None:
                task = asyncio.ensure_future(self._match(mid))
                claims[mid] = (self, task)
                tasks.append(task)
            elif claim[0] is not self:
                tasks.append(asyncio.ensure_future(self._after_other(mid, claim[1])))
        return asyncio.gather(*tasks)

    async def _walk(
        self,
        start: int,
        *,
        boundary: Callable[[MatchHistoryEntry], bool] | None,
        on_page_done: Callable[[int, list[MatchHistoryEntry]], Awaitable[None]] | None,
    ) -> tuple[int, bool]:
        """Page from `start` until `boundary(entry)` is true (not processing that entry) or
        the history ends. Pages are fetched ahead while matches are fetched concurrently;
        `on_page_done(end_offset, entries)` runs in page order once a page is all stored.
        Returns (entries processed, reached the oldest match)."""
        pending: deque[tuple[int, list[MatchHistoryEntry], asyncio.Future[Any]]] = deque()
        offset = start
        processed = 0
        reached_end = False
        try:
            while True:
                entries = await self._page(offset)
                cut = len(entries)
                stop = False
                if boundary is not None:
                    for i, e in enumerate(entries):
                        if boundary(e):
                            cut, stop = i, True
                            break
                if len(entries) < PAGE and not stop:
                    reached_end = True
                todo = entries[:cut]
                processed += len(todo)
                pending.append((offset + len(todo), todo, await self._schedule(todo)))
                offset += len(entries)
                while pending and (pending[0][2].done() or len(pending) > LOOKAHEAD_PAGES):
                    await asyncio.shield(pending[0][2])
                    end, done_entries, _ = pending.popleft()
                    if on_page_done is not None:
                        await on_page_done(end, done_entries)
                if stop or reached_end or not entries:
                    break
            while pending:
                await asyncio.shield(pending[0][2])
                end, done_entries, _ = pending.popleft()
                if on_page_done is not None:
                    await on_page_done(end, done_entries)
        except BaseException:
            await self._stop(pending, on_page_done)
            raise
        return processed, reached_end

    async def _stop(
        self,
        pending: deque[tuple[int, list[MatchHistoryEntry], asyncio.Future[Any]]],
        on_page_done: Callable[[int, list[MatchHistoryEntry]], Awaitable[None]] | None,
    ) -> None:
        """Stopping (cancelled or failed): start nothing new, let the matches already being
        fetched commit, and record the frontier of the leading pages that are complete."""
        self._stopping = True
        waits: list[asyncio.Future[Any]] = [f for _, _, f in pending]
        settled = asyncio.gather(*waits, *list(self.pipe.inflight), return_exceptions=True)
        while not settled.done():
            with contextlib.suppress(asyncio.CancelledError):  # a second Ctrl-C: still wait
                await asyncio.shield(settled)
        for end, entries, fut in pending:
            if fut.cancelled() or fut.exception() is not None or not all(fut.result()):
                break
            if on_page_done is not None:
                await on_page_done(end, entries)

    # -- the run ------------------------------------------------------------------------

    def _put_state(self, state: sm.SyncState) -> None:
        with self.store.transaction() as tx:
            tx.upsert_player(self.xuid, seen_at=self.now())
            tx.put_sync_state(state, now=self.now())

    async def _estimate_total(self, state: sm.SyncState) -> None:
        """How many matches this run should store: played minus stored. Asked of the API
        only for a backfill shown with progress, unless the caller knows the count."""
        if self.pipe.progress is None:
            return
        count = self.count
        if count is None:
            if state.complete:
                return
            try:
                counts = await self.client.stats.match_count(self.xuid)
            except ApiError:
                return
            count = {
                "matchmaking": counts.matchmade_matches_played_count,
                "custom": counts.custom_matches_played_count,
                "local": counts.local_matches_played_count,
            }.get(self.type, counts.matches_played_count)
        have = await self.db(self.store.match_count, self.xuid, self.type)
        self.total = max(0, count - have)
        self.pipe.tick()

    async def run(self) -> SyncResult:
        state = await self.db(self.store.get_sync_state, self.xuid, self.type)
        newest: list[MatchHistoryEntry] = []

        def remember_top(entries: list[MatchHistoryEntry]) -> None:
            if not newest and entries:
                newest.append(entries[0])

        if state.newest_match_id is None or self.full:
            # A backfill from the top: the frontier moves with each page fully stored.
            await self._estimate_total(state)
            current = state

            async def page_done(end: int, entries: list[MatchHistoryEntry]) -> None:
                nonlocal current
                remember_top(entries)
                top = newest[0] if newest else None
                current = sm.SyncState(
                    self.xuid,
                    top.match_id.lower() if top else current.newest_match_id,
                    top.match_info.start_time if top else current.newest_start_time,
                    frontier=end,
                    complete=current.complete,
                    history_type=self.type,
                )
                await self.db(self._put_state, current)

            _, reached_end = await self._walk(0, boundary=None, on_page_done=page_done)
            if reached_end:
                await self.db(self._put_state, replace(current, complete=True))
            self.result.complete = reached_end or state.complete
            return self.result

        # Incremental: everything above the newest completed match, then resume a backfill.
        stop_id, stop_time = state.newest_match_id, state.newest_start_time

        def seen_before(e: MatchHistoryEntry) -> bool:
            if e.match_id.lower() == stop_id:
                return True
            return stop_time is not None and e.match_info.start_time < stop_time

        async def top_done(end: int, entries: list[MatchHistoryEntry]) -> None:
            remember_top(entries)

        await self._estimate_total(state)
        above, reached_end = await self._walk(0, boundary=seen_before, on_page_done=top_done)
        top = newest[0] if newest else None
        state = sm.SyncState(
            self.xuid,
            top.match_id.lower() if top else state.newest_match_id,
            top.match_info.start_time if top else state.newest_start_time,
            frontier=state.frontier + above,
            complete=state.complete or reached_end,
            history_type=self.type,
        )
        if top is not None or reached_end:
            await self.db(self._put_state, state)
        if state.complete:
            self.result.complete = True
            return self.result

        # Resume one page early: offsets may have moved; stored matches are skipped anyway.
        resume = max(0, state.frontier - PAGE)
        self.result.resumed_at = resume
        current = state

        async def backfill_done(end: int, entries: list[MatchHistoryEntry]) -> None:
            nonlocal current
            current = sm.SyncState(
                self.xuid,
                current.newest_match_id,
                current.newest_start_time,
                frontier=max(current.frontier, end),
                complete=False,
                history_type=self.type,
            )
            await self.db(self._put_state, current)

        _, reached_end = await self._walk(resume, boundary=None, on_page_done=backfill_done)
        if reached_end:
            await self.db(self._put_state, replace(current, complete=True))
        self.result.complete = reached_end
        return self.result


def stored_medal_book(store: Store) -> MedalBook:
    """Medal names from the medal metadata the tracker keeps in the store (empty when the
    file was never fetched: names then read `Medal <id>`)."""
    from halotrack.usecases.metadata import MEDALS

    cached = store.get_metadata(*MEDALS)
    meta = cached.decoded(MedalMetadata) if cached is not None else None
    return MedalBook(meta) if meta is not None else MedalBook()


RARE = ("legendary", "mythic")


def rare_medals(
    store: Store, xuid: int, book: MedalBook, *, limit: int = 50
) -> list[tuple[int, str, datetime, int]]:
    """(name id, match id, start time, count) of the player's legendary and mythic medals,
    newest first."""
    with store.reader() as tx:
        ids = [nid for nid in tx.player_medal_counts(xuid) if book.difficulty(nid) in RARE]
        return tx.medal_matches(xuid, ids, limit=limit)


async def sync_player_matches(
    client: WaypointClient,
    store: Store,
    xuid: int | str,
    *,
    full: bool = False,
    history_type: str = "all",
    progress: Progress | None = None,
    workers: int | None = None,
    now: Callable[[], datetime] | None = None,
) -> SyncResult:
    """Fetch and store the player's matches not stored yet (see the module docstring).

    `xuid` is a XUID (or `xuid(N)`, or a stored gamertag). `full` walks the whole history
    instead of stopping at the newest synced match (stored matches are still not fetched).
    `history_type`: which history to walk (`HISTORY_TYPES`).
    `workers` caps matches in flight (default: twice the client's concurrency, so pacing,
    not waiting for answers, limits the rate). Raises the client's ApiError when the history
    or a match cannot be fetched; everything stored before that is kept.
    """
    check_history_type(history_type)
    x = await resolve_xuid(client, store, xuid)
    outcome = await sync_players_matches(
        client,
        store,
        [x],
        full=full,
        history_type=history_type,
        progress=progress,
        workers=workers,
        now=now,
    )
    result = outcome[x]
    if isinstance(result, HaloTrackError):
        raise result
    return result


async def sync_players_matches(
    client: WaypointClient,
    store: Store,
    xuids: Sequence[int],
    *,
    full: bool = False,
    history_type: str = "all",
    counts: Mapping[int, int] | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    now: Callable[[], datetime] | None = None,
) -> dict[int, SyncResult | HaloTrackError]:
    """Sync several players' matches at once, sharing one pipeline (see `_Pipeline`).

    `counts`: matches played per XUID (of `history_type`) when the caller already asked,
    so progress needs no request of its own. Each player's result, or the HaloTrackError
    that stopped their sync while the others went on; `elapsed` and `requests` are the
    whole run's. Anything else (a bug, Ctrl-C) is raised once every sync has stopped.
    """
    check_history_type(history_type)
    if workers is None:
        workers = max(2, client.transport.limits.concurrency * 2)
    pipe = _Pipeline(client, store, workers=workers, now=now or client.now, progress=progress)
    syncs = [
        _Sync(pipe, x, full=full, count=(counts or {}).get(x), history_type=history_type)
        for x in dict.fromkeys(xuids)
    ]
    before = client.counters.requests
    started = time.perf_counter()
    try:
        pipe.known_assets = await pipe.db(store.known_assets)
        done = await asyncio.gather(*(s.run() for s in syncs), return_exceptions=True)
    finally:
        elapsed, requests = time.perf_counter() - started, client.counters.requests - before
        for s in syncs:
            s.result.elapsed, s.result.requests = elapsed, requests
        with contextlib.suppress(Exception):
            pipe.close()
    outcome: dict[int, SyncResult | HaloTrackError] = {}
    for s, got in zip(syncs, done, strict=True):
        if isinstance(got, BaseException) and not isinstance(got, HaloTrackError):
            raise got
        outcome[s.xuid] = got
    return outcome


async def sync_and_name(
    client: WaypointClient,
    store: Store,
    player: str,
    *,
    full: bool = False,
    history_type: str = "all",
    progress: Progress | None = None,
) -> SyncResult:
    """What `matches sync` does: store the player's new matches (of one history type), then
    what shows them offline: the medal names and the gamertags of everyone they played with."""
    from halotrack.usecases.metadata import Metadata

    check_history_type(history_type)
    xuid = await resolve_xuid(client, store, player)
    result = await sync_player_matches(
        client, store, xuid, full=full, history_type=history_type, progress=progress
    )
    meta = Metadata(client, store, client.now)
    await meta.medals()
    # The other players of these matches, named for `match` (offline) by gamertag.
    tracked = {p.xuid for p in store.list_players()}
    await meta.gamertags(store.match_player_xuids(xuid) - tracked)
    return result
