"""Adding players to the watch list: gamertags become XUIDs once, via the profile service.

Why: stored data is keyed by XUID (gamertags change); resolving at `watch add` time means
a cycle never spends a request on names.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from halotrack.errors import ApiError, ConfigError, HaloTrackError, NotFound
from halotrack.store import Store, WatchEntry, to_thread
from halotrack.waypoint import WaypointClient, parse_player


@dataclass(frozen=True)
class Resolved:
    query: str
    xuid: int | None
    gamertag: str | None
    error: str | None = None
    exit_code: int = 0  # of the error, so `watch add` exits as the one-player command would


def _not_found(text: str, xuid: int | None) -> Resolved:
    what = "XUID" if xuid is not None else "gamertag"
    return Resolved(
        text, xuid, None, f"no player with this {what} (check the spelling)", NotFound.exit_code
    )


async def resolve_players(client: WaypointClient, players: Sequence[str]) -> list[Resolved]:
    """Gamertag or XUID -> (XUID, current gamertag) for each; failures kept per player.
    XUIDs are asked a batch at a time (a community adding 20,000 players spends 200
    requests, not 20,000); gamertags one by one, the only way the API answers them."""
    xuids: dict[int, None] = {}  # in order, once each
    for text in players:
        with contextlib.suppress(HaloTrackError):  # told by `one`, in the caller's order
            if (xuid := parse_player(text).xuid) is not None:
                xuids[xuid] = None
    known = await _users_by_xuid(client, list(xuids))

    async def one(text: str) -> Resolved:
        try:
            who = parse_player(text)
        except HaloTrackError as exc:
            return Resolved(text, None, None, exc.message, exc.exit_code)
        if who.xuid is not None:
            got = known.get(who.xuid)
            if isinstance(got, HaloTrackError):
                return Resolved(text, who.xuid, None, str(got), got.exit_code)
            if got is None:
                return _not_found(text, who.xuid)
            return Resolved(text, who.xuid, got)
        try:
            user = await client.profile.user(who)
        except NotFound:
            return _not_found(text, None)
        except HaloTrackError as exc:  # with its hint: an expired sign-in says to sign in
            return Resolved(text, who.xuid, None, str(exc), exc.exit_code)
        if user.xuid_int is None:
            return Resolved(
                text, None, None, "the profile service gave no XUID", ApiError.exit_code
            )
        return Resolved(text, user.xuid_int, user.gamertag)

    return list(await asyncio.gather(*(one(p) for p in players)))


async def _users_by_xuid(
    client: WaypointClient, xuids: list[int]
) -> dict[int, str | HaloTrackError]:
    """XUID -> current gamertag, or the error that kept its batch from answering; an XUID
    no batch names is absent (a batch that knows none of its XUIDs answers 404)."""
    size = client.profile.users_batch_size

    async def batch(chunk: list[int]) -> dict[int, str | HaloTrackError]:
        try:
            users = await client.profile.users(chunk)
        except NotFound:
            return {}
        except HaloTrackError as exc:  # with its hint: an expired sign-in says to sign in
            return dict.fromkeys(chunk, exc)
        return {x: u.gamertag for u in users if (x := u.xuid_int) is not None and x in chunk}

    out: dict[int, str | HaloTrackError] = {}
    for part in await asyncio.gather(
        *(batch(xuids[i : i + size]) for i in range(0, len(xuids), size))
    ):
        out.update(part)
    return out


async def add_players(
    client: WaypointClient,
    store: Store,
    players: Sequence[str],
    *,
    matches: bool | None = None,
    clock: Callable[[], datetime] | None = None,
) -> tuple[list[WatchEntry], list[Resolved]]:
    """Resolve and watch players; returns (entries added or updated, failures).
    `matches` None keeps a re-added player's match opt-in as it was (new players: off)."""
    if not players:
        raise ConfigError("name at least one player", hint="a gamertag or an XUID")
    resolved = await resolve_players(client, players)
    found = [r for r in resolved if r.xuid is not None and r.error is None]
    failed = [r for r in resolved if r.xuid is None or r.error is not None]
    now = (clock or client.now)()

    def write() -> list[WatchEntry]:
        # one transaction: 20,000 players in seconds, and all or none of them on a crash
        with store.transaction() as tx:
            added = []
            for r in found:
                assert r.xuid is not None
                want = matches
                if want is None:
                    known = tx.watch_get(r.xuid)
                    want = known.matches_opt_in if known is not None else False
                added.append(tx.watch_add(r.xuid, gamertag=r.gamertag, matches=want, now=now))
            return added

    return await to_thread(write), failed


def find_watched(store: Store, text: str) -> WatchEntry | None:
    """A watched player by XUID or gamertag, compared case-insensitively in Python (SQLite's
    `lower()` folds ASCII only, so `Ĉapelo` would not match `ĉapelo` in SQL); then any past
    gamertag the store knows."""
    want = text.strip().casefold()
    entries = store.watch_list()
    for e in entries:
        if str(e.xuid) == want or f"xuid({e.xuid})" == want:
            return e
        if e.gamertag is not None and e.gamertag.casefold() == want:
            return e
    player = store.find_player(text)
    if player is None:
        return None
    return next((e for e in entries if e.xuid == player.xuid), None)
