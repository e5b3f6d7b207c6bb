"""Static game files the tracker needs, kept in the store's metadata cache.

Why: calendars, playlist assets and medal names change rarely. Each is fetched at most once
per `max_age` of (injectable) time and kept in the store under the keys the stats page reads
(`halotrack.report.build`), so a steady-state cycle spends no request on them; when one is
due, the client revalidates it with `If-None-Match` against the ETag kept in the store
(`StoreEtagCache`), so an unchanged file costs a 304 and no download.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from halotrack.errors import ApiError, ConfigError, StoreError
from halotrack.models import (
    CsrSeasonCalendar,
    MedalMetadata,
    PlaylistAsset,
    SeasonCalendar,
    decode_as,
)
from halotrack.store import Store
from halotrack.waypoint import EtagCache, WaypointClient

log = logging.getLogger("halotrack.usecases")

T = TypeVar("T")

SEASON_CALENDAR = ("gamecms", "/hi/progression/file/calendars/seasons/seasoncalendar.json")
CSR_CALENDAR = ("gamecms", "/hi/Progression/file/Csr/Calendars/CsrSeasonCalendar.json")
MEDALS = ("gamecms", "/hi/Waypoint/file/medals/metadata.json")
PLAYLIST_ASSET = "playlist-asset"
PLAYLIST_NAME = "playlist"
ETAG_KIND = "http-etag"

CALENDAR_MAX_AGE = timedelta(hours=6)
PLAYLIST_MAX_AGE = timedelta(days=1)
MEDALS_MAX_AGE = timedelta(days=7)


class StoreEtagCache(EtagCache):
    """The client's ETag cache, kept in the store's metadata table instead of files, so a
    database carries its own revalidation state (and tests leave no files behind)."""

    def __init__(self, store: Store) -> None:
        super().__init__("/nonexistent-halotrack-etag-cache")
        self._store = store

    def get(self, url: str) -> tuple[str, bytes] | None:
        cached = self._store.get_metadata(ETAG_KIND, url)
        if cached is None or not cached.etag:
            return None
        return cached.etag, cached.body.encode("utf-8")

    def put(self, url: str, etag: str, body: bytes) -> None:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return  # images: the store keeps text; they are not revalidated
        try:
            self._store.put_metadata(ETAG_KIND, url, text, etag=etag)
        except StoreError as exc:
            log.warning("cannot keep the ETag of %s: %s", url, exc)


class Metadata:
    """Cached static documents for one tracker run; `now()` is the tracker's clock."""

    def __init__(self, client: WaypointClient, store: Store, now: Callable[[], datetime]) -> None:
        self.client = client
        self.store = store
        self.now = now
        self._memo: dict[tuple[str, str], Any] = {}

    async def _document(
        self,
        kind: str,
        key: str,
        model: type[T],
        fetch: Callable[[], Awaitable[T]],
        max_age: timedelta,
    ) -> T | None:
        """The document from the store when fresh enough, else fetched and stored. A failed
        fetch falls back to a stale copy; with none, None (callers degrade)."""
        memo = self._memo.get((kind, key))
        if memo is not None:
            return memo  # type: ignore[no-any-return]
        from halotrack.store import to_thread

        now = self.now()
        cached = await to_thread(self.store.get_metadata, kind, key)
        value: T | None = None
        if cached is not None and now - cached.fetched_at < max_age:
            value = _decode(model, cached.body, key)
        if value is None:
            try:
                value = await fetch()
            except ApiError as exc:
                log.warning("cannot refresh %s: %s", key, exc.message)
                value = _decode(model, cached.body, key) if cached is not None else None
            else:
                raw = getattr(value, "raw_bytes", None)
                if isinstance(raw, bytes):
                    await to_thread(self.store.put_metadata, kind, key, raw, fetched_at=now)
        if value is not None:
            self._memo[(kind, key)] = value
        return value

    async def season_calendar(self) -> SeasonCalendar | None:
        return await self._document(
            *SEASON_CALENDAR, SeasonCalendar, self.client.gamecms.season_calendar, CALENDAR_MAX_AGE
        )

    async def csr_calendar(self) -> CsrSeasonCalendar | None:
        return await self._document(
            *CSR_CALENDAR,
            CsrSeasonCalendar,
            self.client.gamecms.csr_season_calendar,
            CALENDAR_MAX_AGE,
        )

    async def medals(self) -> MedalMetadata | None:
        return await self._document(
            *MEDALS, MedalMetadata, self.client.gamecms.medal_metadata, MEDALS_MAX_AGE
        )

    async def playlist_asset(self, playlist_id: str) -> PlaylistAsset | None:
        pid = playlist_id.lower()
        return await self._document(
            PLAYLIST_ASSET,
            pid,
            PlaylistAsset,
            lambda: self.client.gamecms.playlist_asset(pid),
            PLAYLIST_MAX_AGE,
        )

    async def playlist_name(self, playlist_id: str, version_id: str) -> None:
        """Cache the discovery playlist version (its `PublicName`) under the key the page
        and `diff` read; once, since a version never changes."""
        from halotrack.store import to_thread

        pid = playlist_id.lower()
        if await to_thread(self.store.get_metadata, PLAYLIST_NAME, pid) is not None:
            return
        try:
            doc = await self.client.discovery.playlist(pid, version_id)
        except ApiError as exc:
            log.warning("cannot fetch the name of playlist %s: %s", pid, exc.message)
            return
        await to_thread(
            self.store.put_metadata, PLAYLIST_NAME, pid, doc.raw_bytes, fetched_at=self.now()
        )

    async def gamertags(self, xuids: Iterable[int]) -> dict[int, str]:
        """Gamertags of these XUIDs for scoreboards: those in the store's cache, the rest
        asked through the profile service's multi-user lookup (batches of 100) and cached.
        A failed lookup leaves them unnamed (shown as XUIDs), never fails the caller."""
        from halotrack.store import to_thread

        wanted = sorted(set(xuids))
        known = await to_thread(self.store.cached_gamertags, wanted)
        missing = [x for x in wanted if x not in known]
        if not missing:
            return known
        try:
            found = await self.client.profile.gamertags_for(missing)
        except ApiError as exc:
            log.warning("cannot look up %d gamertags: %s", len(missing), exc.message)
            return known
        if found:
            await to_thread(self.store.put_gamertags, found, now=self.now())
        return {**known, **found}

    async def ranked_playlists(self, candidates: Iterable[str]) -> list[str]:
        """The playlists among `candidates` whose asset says `HasCsr`, sorted; an asset that
        cannot be fetched is skipped this time."""
        ranked: list[str] = []
        for pid in sorted({c.lower() for c in candidates}):
            asset = await self.playlist_asset(pid)
            if asset is not None and asset.has_csr:
                ranked.append(pid)
        return ranked


def find_playlist(named: Mapping[str, str], wanted: str) -> str:
    """The playlist id a user meant, from an id or a name: `named` maps playlist ids to
    their public names. A GUID is taken as is; a name matches whole (any case), else as the
    one name containing it (`arena` -> Ranked Arena). Every command that asks for a
    playlist resolves it here, so ids and names work alike everywhere."""
    text = wanted.strip()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        pass
    key = text.casefold()
    for test in (lambda n: n.casefold() == key, lambda n: key in n.casefold()):
        hits = sorted({pid for pid, name in named.items() if name and test(name)})
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            listed = ", ".join(sorted({named[h] for h in hits}))
            raise ConfigError(
                f"playlist {wanted!r} is ambiguous: {listed}", hint="type more of the name"
            )
    known = ", ".join(sorted({n for n in named.values() if n})) or "none"
    raise ConfigError(
        f"no playlist named {wanted!r} among these players' playlists (known: {known})",
        hint="pass the playlist id instead (see `halotrack playlists PLAYER`)",
    )


def _decode(model: type[T], body: str, key: str) -> T | None:
    try:
        return decode_as(model, body.encode("utf-8"), source=f"cache:{key}")
    except ApiError:
        return None
