"""One store API: every query and write is defined once, on the reader or the transaction,
and the unbound `Store` runs each call, with whatever it calls, in one unit."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from halotrack.store import Store, StoreReader, StoreTx

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _public(cls: type) -> set[str]:
    return {name for name in vars(cls) if not name.startswith("_")}


def test_no_method_is_written_twice() -> None:
    """The Store adds only what an unbound store needs; no forwarders to the transaction,
    and no write on the reader."""
    api = _public(StoreReader) | _public(StoreTx)
    assert _public(Store) & api == set()
    assert _public(Store) <= {"dialect", "transaction", "reader", "close", "schema_status"}
    assert _public(StoreReader) & _public(StoreTx) == set()
    for name in ("get_player", "player_matches", "get_sync_state", "integrity_check"):
        assert hasattr(StoreReader, name)
    for name in ("upsert_player", "save_match", "put_sync_state", "put_gamertags"):
        assert hasattr(StoreTx, name) and not hasattr(StoreReader, name)


def test_an_unbound_write_is_one_transaction(store: Store) -> None:
    """`watch_add` creates the player, then writes the watch row; when the second part
    fails, the first is rolled back with it."""
    with pytest.raises(TypeError):
        store.watch_add(42, gamertag="Forty Two", options={"bad": object()}, now=NOW)
    assert store.get_player(42) is None
    entry = store.watch_add(42, gamertag="Forty Two", now=NOW)
    assert entry.gamertag == "Forty Two"
    assert store.get_player(42) is not None


def test_match_generator_outlives_the_call(match_store: Store) -> None:
    """`iter_raw_matches` on the unbound store keeps its own reader open while it is read
    (a generator returns before its rows are fetched)."""
    from halotrack.models import MatchStats, decode_as
    from halotrack.store.matches import match_rows

    raw = (
        Path(__file__).parent.parent / "data" / "real" / "match-stats" / "slayer-2025.json"
    ).read_bytes()
    stats = decode_as(MatchStats, raw)
    with match_store.transaction() as tx:
        assert tx.save_match(match_rows(stats, None, fetched_at=NOW))
    got = [m["MatchId"].lower() for m in match_store.iter_raw_matches()]
    assert got == [stats.match_id.lower()]
    assert match_store.match_count() == 1
