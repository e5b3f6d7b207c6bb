"""What one tracker check costs in the store: an unchanged record, a changed one, a whole
player unit (record + CSR + watch row) in one transaction, on SQLite and PostgreSQL.

    .venv/bin/python bench/store.py [--n 300] [--pg postgresql+psycopg://postgres@127.0.0.1/test]

Prints milliseconds per operation (best of 3 rounds) and each row's ratio to the SQLite
unchanged check. PostgreSQL runs in a throwaway schema, dropped at the end; it is skipped
when the server is not reachable.
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from halotrack.store import Scope, Store, open_store
from halotrack.store.extract import content_hash

ROOT = Path(__file__).resolve().parent.parent
RECORD = json.loads((ROOT / "tests/data/real/servicerecord/matchmade-lifetime.json").read_text())
CSR = json.loads((ROOT / "tests/data/real/csr/playlist-csrs-one-player.json").read_text())
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def best(rounds: int, n: int, fn: Callable[[int], None]) -> float:
    """Best per-call time in ms over `rounds` rounds of `n` calls."""
    out = []
    counter = 0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            fn(counter)
            counter += 1
        out.append((time.perf_counter() - start) / n * 1000)
    return min(out)


def measure(store: Store, n: int) -> dict[str, float]:
    xuid = 2535445291321133
    store.watch_add(xuid, now=T0)
    store.save_service_record(xuid, "matchmade", Scope(), RECORD, T0)
    changed = copy.deepcopy(RECORD)
    result = copy.deepcopy(CSR["Value"][0]["Result"])

    def unchanged(i: int) -> None:
        store.save_service_record(xuid, "matchmade", Scope(), RECORD, T0 + timedelta(seconds=i))

    def created(i: int) -> None:
        changed["MatchesCompleted"] = 10_000 + i
        when = T0 + timedelta(days=1, seconds=i)
        store.save_service_record(xuid, "matchmade", Scope.season("S"), changed, when)

    def unit(i: int) -> None:
        changed["MatchesCompleted"] = 100_000 + i
        result["Current"]["Value"] = i
        when = T0 + timedelta(days=2, seconds=i)
        with store.transaction() as tx:
            tx.save_service_record(xuid, "matchmade", Scope(), changed, when)
            tx.save_csr(xuid, "pl", "s", result, when)
            tx.watch_update(xuid, last_checked_at=when, failure_count=0)

    return {
        "unchanged check": best(3, n, unchanged),
        "changed record (new row)": best(3, n, created),
        "player unit: record + CSR + watch": best(3, n, unit),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    start = time.perf_counter()
    for _ in range(200):
        content_hash(RECORD)
    hash_ms = (time.perf_counter() - start) / 200 * 1000

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.sqlite")
        results["SQLite (WAL)"] = measure(store, args.n)
        store.close()

    schema = f"halotrack_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except sa.exc.OperationalError:
        print("PostgreSQL not reachable: skipped")
    else:
        try:
            url = sa.make_url(args.pg).update_query_dict({"options": f"-csearch_path={schema}"})
            store = open_store(url.render_as_string(hide_password=False))
            results["PostgreSQL"] = measure(store, args.n)
            store.close()
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()

    base = results["SQLite (WAL)"]["unchanged check"]
    print(f"content hash of the 31 KB record (canonical JSON + sha256): {hash_ms:.3f} ms")
    print("| backend | operation | ms per op | ratio to SQLite unchanged |")
    print("|---|---|---:|---:|")
    for backend, ops in results.items():
        for op, ms in ops.items():
            print(f"| {backend} | {op} | {ms:.3f} | {ms / base:.2f} |")


if __name__ == "__main__":
    main()
