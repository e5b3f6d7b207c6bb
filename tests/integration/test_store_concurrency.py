"""Concurrent writers on SQLite and PostgreSQL: one change is stored once, first opens race."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from halotrack.store import Scope, Store, open_store

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_racing_writers_store_one_change_once(store: Store) -> None:
    store.save_service_record(1, "matchmade", Scope(), {"MatchesCompleted": 1}, T0)
    barrier = threading.Barrier(4)

    def write(i: int) -> str:
        barrier.wait()
        return store.save_service_record(
            1, "matchmade", Scope(), {"MatchesCompleted": 2}, T0 + timedelta(seconds=i + 1)
        )

    with ThreadPoolExecutor(4) as pool:
        results = sorted(pool.map(write, range(4)))
    assert results == ["created", "unchanged", "unchanged", "unchanged"]
    assert [r.matches_completed for r in store.records_history(1)] == [1, 2]
    assert store.integrity_check() == []


def test_racing_first_opens_all_succeed(store_url: str) -> None:
    barrier = threading.Barrier(3)

    def open_one(_: int) -> str | None:
        barrier.wait()
        s = open_store(store_url)
        try:
            return s.schema_status()[0]
        finally:
            s.close()

    with ThreadPoolExecutor(3) as pool:
        revisions = set(pool.map(open_one, range(3)))
    assert len(revisions) == 1 and None not in revisions
