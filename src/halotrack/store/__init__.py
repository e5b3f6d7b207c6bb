"""Snapshot store: SQLite by default, PostgreSQL by URL; every change kept, nothing half-written.

Public API (synchronous; from async code use `await to_thread(store.method, ...)`):

    open_store(url, *, upgrade=True, pragmas=None) -> Store
    Store.reader() -> StoreReader        one consistent read of several queries
    Store.transaction() -> StoreTx       one atomic unit of several writes (and reads)
    Store: the same methods, each call a unit of its own
    StoreReader: get_player, find_player, list_players, gamertag_history, latest_record,
        records_history, record_scopes, latest_csr, csr_history, watch_get, watch_list,
        get_metadata, medal_names, playlist_name, cached_gamertags, season_fetched,
        integrity_check, and the match queries (player_matches, get_match, ...)
    StoreTx: upsert_player, record_gamertag, save_service_record -> "created" |
        "unchanged", save_csr, watch_add, watch_remove, watch_update, watch_failed,
        put_metadata, touch_metadata, put_gamertags, mark_season_fetched, save_match,
        put_sync_state, save_asset
    Scope(season_id, game_variant_category, is_ranked, playlist_asset_id,
          gameplay_interaction).key() -> "lifetime" | "season=...;category=6;..."

Tables: players, gamertags (one row per gamertag change, first/last seen), service_records
and csr_snapshots (a row only when content changed; `verified_at` moves on unchanged checks),
metadata_cache (body + ETag + fetched_at), watch_list, seasons_fetched, and the match tables
(`halotrack.store.matches`). All are in `halotrack.store.schema`. Views:
latest_service_records, latest_csr. `halotrack.store.history` builds history rows, diffs and
exports from these.

Errors are `halotrack.errors.StoreError` with a hint saying what to do; a body that is not a
JSON object is a StoreError too, and nothing of it is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from halotrack.store.repository import (
    CachedMetadata,
    CsrSnapshot,
    GamertagSeen,
    SaveResult,
    ServiceRecordSnapshot,
    Store,
    StoredPlayer,
    StoreReader,
    StoreTx,
    WatchEntry,
    open_store,
)
from halotrack.store.scope import LIFETIME, Scope

T = TypeVar("T")


async def to_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a blocking store call in a worker thread so the event loop keeps going."""
    return await asyncio.to_thread(fn, *args, **kwargs)


__all__ = [
    "LIFETIME",
    "CachedMetadata",
    "CsrSnapshot",
    "GamertagSeen",
    "SaveResult",
    "Scope",
    "ServiceRecordSnapshot",
    "Store",
    "StoreReader",
    "StoreTx",
    "StoredPlayer",
    "WatchEntry",
    "open_store",
    "to_thread",
]
