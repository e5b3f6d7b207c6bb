"""Learn the names of enum numbers this code was not shipped with, from the API's XML form.

Why: a mode released after this version shows as `Unknown(43)` everywhere. The stats
answers name every enum value in their XML form (`Accept: application/xml`), so one extra
request per unknown value, once ever, turns it into `Snowball Fight` on every screen. The
learned names and the values already asked about live in the database (metadata cache,
kind `names`), so a value is never asked twice, even when the XML did not name it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from halotrack.errors import HaloTrackError
from halotrack.models import MatchStats, ServiceRecord
from halotrack.models.enums import learn_names
from halotrack.models.xmlnames import NAMES_KEY, NameBook, Names, enum_names
from halotrack.store import Store, to_thread
from halotrack.waypoint import Player, WaypointClient

log = logging.getLogger(__name__)


def load_book(store: Store) -> NameBook:
    """The stored book, its names put to use by every `label()` in this process (opening a
    store already does that; this also gives the values asked about)."""
    doc = store.get_metadata(*NAMES_KEY)
    book = NameBook.from_json(doc.body) if doc is not None else NameBook()
    learn_names(book.names)
    return book


def save_book(store: Store, book: NameBook) -> None:
    store.put_metadata(*NAMES_KEY, book.to_json())


def record_values(record: ServiceRecord) -> list[tuple[str, int]]:
    """The enum numbers a service record holds (its subqueries), read from the model."""
    sub = record.subqueries
    if sub is None:
        return []
    return [("GameVariantCategory", v) for v in sub.game_variant_categories or []] + [
        ("GameplayInteraction", v) for v in sub.gameplay_interactions or []
    ]


def match_values(match: MatchStats) -> list[tuple[str, int]]:
    """The enum numbers one match's stats hold, read from the model."""
    info = match.match_info
    out = [
        ("GameVariantCategory", info.game_variant_category),
        ("LifecycleMode", info.lifecycle_mode),
    ]
    if info.playlist_experience is not None:
        out.append(("PlaylistExperience", info.playlist_experience))
    if info.gameplay_interaction is not None:
        out.append(("GameplayInteraction", info.gameplay_interaction))
    out += [("Outcome", t.outcome) for t in match.teams]
    for p in match.players:
        out += [("Outcome", p.outcome), ("PlayerType", p.player_type)]
    return out


class NameLearner:
    """Asks the XML form of an answer only when it holds a number nobody named yet."""

    def __init__(self, client: WaypointClient, store: Store) -> None:
        self.client = client
        self.store = store
        self._book: NameBook | None = None
        self._lock: asyncio.Lock | None = None

    async def book(self) -> NameBook:
        if self._book is None:
            self._book = await to_thread(load_book, self.store)
        return self._book

    async def from_record(self, xuid: int, record: ServiceRecord) -> int:
        """At most one request: the record's XML form, if it holds an unnamed number.
        Returns the number of names learned. Never raises for an API failure."""
        book = await self.book()
        if not book.unnamed(record_values(record)):
            return 0
        return await self._learn(
            lambda: record_values(record),
            record.raw,
            lambda: self.client.stats.service_record_xml(xuid),
        )

    async def from_match(self, match: MatchStats) -> int:
        """As `from_record`, for one match's stats."""
        book = await self.book()
        if not book.unnamed(match_values(match)):
            return 0
        mid = str(match.match_id)
        return await self._learn(
            lambda: match_values(match),
            match.raw,
            lambda: self.client.stats.match_stats_xml(mid),
        )

    async def _learn(
        self,
        values: Callable[[], Iterable[tuple[str, int]]],
        doc: Any,
        fetch: Callable[[], Awaitable[bytes]],
    ) -> int:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # two players with one new mode: one request, not two
            book = await self.book()
            missing = book.unnamed(values())
            if not missing:
                return 0
            try:
                found = enum_names(doc, await fetch())
            except HaloTrackError as exc:
                log.warning(
                    "could not learn enum names (`halotrack names refresh` asks again): %s",
                    exc.message,
                )
                found = {}
            for enum, value in missing:
                book.asked.setdefault(enum, set()).add(value)
            new = book.merge(found)
            await to_thread(save_book, self.store, book)
            return new


async def refresh(
    client: WaypointClient,
    store: Store,
    players: Iterable[int | str | Player],
    match_ids: Iterable[str] = (),
) -> tuple[NameBook, int]:
    """Ask again, whatever was asked before: each player's record and each match, JSON and
    XML (two requests each). Returns the book and how many names were new."""
    book = await to_thread(load_book, store)
    found: Names = {}
    for player in players:
        record = await client.stats.service_record(player)
        xml = await client.stats.service_record_xml(player)
        _add(found, enum_names(record.raw, xml))
    for mid in match_ids:
        match = await client.stats.match_stats(mid)
        xml = await client.stats.match_stats_xml(mid)
        _add(found, enum_names(match.raw, xml))
    for enum, values in found.items():
        book.asked.setdefault(enum, set()).update(values)
    new = book.merge(found)
    await to_thread(save_book, store, book)
    return book, new


def _add(into: Names, names: Names) -> None:
    for enum, values in names.items():
        into.setdefault(enum, {}).update(values)
