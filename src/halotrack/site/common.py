"""What every route needs: the store and clock from the app's state, and a player named in a
URL (XUID) or a query (gamertag, current or past, or XUID)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from litestar.datastructures import State

from halotrack.models.xuid import XuidError, maybe_xuid
from halotrack.site.data import BoardCache, InsightCache, PlayerRef
from halotrack.site.opening import OpenSearch
from halotrack.store import Store


def store_of(state: State) -> Store:
    store = state["store"]
    assert isinstance(store, Store)
    return store


def now_of(state: State) -> datetime:
    clock: Callable[[], datetime] = state["clock"]
    return clock()


def board_of(state: State) -> BoardCache:
    board = state["boards"]
    assert isinstance(board, BoardCache)
    return board


def insights_of(state: State) -> InsightCache:
    cache = state["insights"]
    assert isinstance(cache, InsightCache)
    return cache


def open_of(state: State) -> OpenSearch | None:
    """The `--open` mode's lookups and budgets; None when the site shows only its players."""
    found = state["open"]
    assert found is None or isinstance(found, OpenSearch)
    return found


def xuid_in_path(text: str) -> int | None:
    """A XUID from a URL segment; None for anything that is not one (a 404, never a 500)."""
    return maybe_xuid(text) if text.isdigit() else None


def find(store: Store, text: str) -> PlayerRef | None:
    """A stored player by XUID or any gamertag they have had."""
    try:
        player = store.find_player(text)
    except XuidError:
        return None
    if player is None:
        return None
    return PlayerRef(str(player.xuid), player.gamertag or str(player.xuid))
