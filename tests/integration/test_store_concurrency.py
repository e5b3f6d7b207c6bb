"""Concurrent writers on SQLite and PostgreSQL: one change is stored once, first opens race."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def test_opening_waits_for_another_process_to_let_go_of_a_new_file(tmp_path: Path) -> None:
    """Switching a file to WAL needs it to itself, and SQLite says "locked" at once instead
    of waiting (the busy timeout does not apply): a tracker and the site started together
    on a new database failed now and then. Here another connection reads the file in its
    first journal mode, about to write, while halotrack opens it."""
    path = tmp_path / "new.sqlite"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE mine (x INTEGER)")
    other.execute("BEGIN IMMEDIATE")  # a writer's reserved lock: "locked" came at once
    timer = threading.Timer(0.3, other.close)
    timer.start()
    try:
        store = open_store(f"sqlite:///{path}")
    finally:
        timer.join()
    try:
        assert store.schema_status()[0] is not None
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.close()
