"""Benchmark the community site as users run it: `halotrack serve` on a database of many
watched players and matches, loaded from another process over loopback.

The database is built directly through the store's match rows (the real slayer sample with
new ids, times and players), so building it takes a minute or two, not a tracker run. Only
the match the bench opens keeps the sample's raw JSON (43 KB); the others keep a short
stand-in, because no site route reads `raw_json` (exports and decoding do) and 100,000 copies
would make a 4 GB SQLite file. The load generator is this process (a few threads, each
request bounded by count and time); the server is `halotrack serve` in another.

    .venv/bin/python bench/site.py [--players 1000] [--matches 100000] [--requests 300]
        [--db postgresql://postgres@127.0.0.1:5432/test]

With `--db` the database is a fresh schema on that PostgreSQL server, dropped afterwards.
With `--keep FILE` the SQLite database is built at FILE and kept (with `--db`, the
PostgreSQL schema named FILE); `--existing sqlite:///FILE` then runs on it and builds
nothing (or `--existing "postgresql://...?options=-csearch_path=FILE"`): comparing two
versions of the code on the same data takes minutes, not ten.

Prints the first (cold) request's time, rps, p50/p95/p99 and the server process's CPU time
per request (the part of the latency the machine's other work cannot inflate; PostgreSQL's
own CPU is not in it) per route, and the load average; the last line is
`p95_ms=<worst route> rps=<home>`.
Targets: p95 under 100 ms for pages, under 50 ms for API routes.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from halotrack.models import MatchStats, decode_as
from halotrack.store import Store, open_store
from halotrack.store.engine import parse_url
from halotrack.store.matches import (
    match_medals,
    match_personal_scores,
    match_players,
    match_rows,
    match_teams,
    matches,
)

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real"
sys.path.insert(0, str(ROOT))  # the test-support package: tests/support/site_server.py
from tests.support.site_server import served  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
BASE_XUID = 2535400000000000
BATCH = 2000
MATCH_TAIL = "0000-4000-8000-000000000000"
ROTATE = 50
"""Player and match routes go round this many players (matches): a site is visited for many
players, and one player's page asked 300 times would measure the database's cache."""


STAND_IN = '{"MatchId": "bench stand-in: no site route reads raw_json"}'


def build(store: Store, players: int, count: int) -> tuple[int, str]:
    """`players` watched players and `count` matches of 8 of them each. Returns a player
    with matches and a match id (the one that keeps the sample's raw JSON)."""
    stats = decode_as(MatchStats, (REAL / "match-stats/slayer-2025.json").read_bytes())
    rows = match_rows(stats, None, fetched_at=NOW)
    opened = f"{count // 2:08d}-{MATCH_TAIL}"
    with store.transaction() as tx:
        for i in range(players):
            tx.watch_add(BASE_XUID + i, gamertag=f"Spartan {i:04d}", now=NOW)
            tx.watch_update(BASE_XUID + i, last_checked_at=NOW)  # tracked, not "being fetched"
    rng = random.Random(7)
    ids = [p["player_id"] for p in rows.players]
    batches: dict[Any, list[dict[str, Any]]] = {
        t: [] for t in (matches, match_players, match_teams, match_medals, match_personal_scores)
    }

    def flush(conn: Any) -> None:
        for table, values in batches.items():
            if values:
                fast_insert(conn, table, values)
                values.clear()

    with store.transaction() as tx:
        for n in range(count):
            mid = f"{n:08d}-{MATCH_TAIL}"
            start = NOW - timedelta(minutes=9 * n)  # 100,000 matches span ~21 months
            who = rng.sample(range(players), len(ids))
            xuid_of = {pid: BASE_XUID + w for pid, w in zip(ids, who, strict=True)}
            raw = rows.match["raw_json"] if mid == opened else STAND_IN
            m = dict(rows.match, match_id=mid, start_time=start, end_time=start, raw_json=raw)
            batches[matches].append(m)
            for p in rows.players:
                x = xuid_of[p["player_id"]]
                batches[match_players].append(
                    dict(p, match_id=mid, start_time=start, player_id=f"xuid({x})", xuid=x)
                )
            for table, values in (
                (match_teams, rows.teams),
                (match_medals, rows.medals),
                (match_personal_scores, rows.personal_scores),
            ):
                for v in values:
                    extra: dict[str, Any] = {"match_id": mid}
                    if "player_id" in v:
                        x = xuid_of[v["player_id"]]
                        extra.update(player_id=f"xuid({x})", xuid=x)
                    batches[table].append(dict(v, **extra))
            if len(batches[matches]) >= BATCH:
                flush(tx.conn)
        flush(tx.conn)
    return BASE_XUID + 1, opened


def fast_insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Rows straight to the driver (COPY on PostgreSQL, executemany on SQLite), each
    column's bind conversion applied once per value: SQLAlchemy's per-row work would
    dominate building 100,000 matches. The dialect's own conversion (`dialect_impl`): the
    generic type's hands SQLite bare datetimes, stored without the microseconds that
    halotrack's own writes and range queries use."""
    cols = list(rows[0])
    procs = [table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in cols]
    values = [tuple(p(r[c]) if p else r[c] for c, p in zip(cols, procs, strict=True)) for r in rows]
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in cols)
    if conn.dialect.name == "postgresql":
        cur = conn.connection.driver_connection.cursor()
        with cur, cur.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for v in values:
                copy.write_row(v)
        return
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' for _ in cols)})"
    conn.exec_driver_sql(sql, values)


@contextmanager
def database(url: str | None, keep: str | None = None) -> Iterator[str]:
    """A SQLite file in a temporary folder, or a fresh schema on the PostgreSQL server at
    `url` (dropped afterwards); with `keep`, the SQLite file at that path, or on PostgreSQL
    the schema of that name, kept."""
    if url is None and keep is not None:
        yield f"sqlite:///{Path(keep).resolve()}"
        return
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        return
    import sqlalchemy as sa

    base = parse_url(url)
    schema = keep or f"halotrack_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        if keep is None:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def fetch(url: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as r:
        r.read()
    return time.perf_counter() - t0


def load(
    urls: list[str], requests: int, threads: int, budget_s: float
) -> tuple[list[float], float]:
    """`requests` GETs from `threads` threads, going round `urls` (different players or
    matches, so no request is answered from what the previous one warmed), stopping early
    after `budget_s`."""
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    left = [requests]
    stop = time.monotonic() + budget_s

    def worker() -> None:
        while time.monotonic() < stop:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
                url = urls[left[0] % len(urls)]
            try:
                took = fetch(url)
            except OSError as exc:  # an error answer is a failed bench, never a fast one
                errors.append(f"{url}: {exc}")
                return
            with lock:
                times.append(took)

    t0 = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return times, time.perf_counter() - t0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--players", type=int, default=1000)
    ap.add_argument("--matches", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--db", help="a PostgreSQL URL (default: a temporary SQLite file)")
    ap.add_argument("--existing", help="a database built by an earlier run: build nothing")
    ap.add_argument(
        "--keep", help="build the SQLite file at this path (with --db: the schema) and keep it"
    )
    ap.add_argument("--only", help="the routes whose name has this text (default: all)")
    args = ap.parse_args(argv)

    built = database(args.db, args.keep) if args.existing is None else None
    with built or nullcontext(args.existing) as db:
        t0 = time.perf_counter()
        if args.existing is None:
            with open_store(db) as store:
                xuid, match_id = build(store, args.players, args.matches)
                if store.engine.dialect.name == "postgresql":
                    # What autovacuum does within a minute of a bulk load (since PostgreSQL
                    # 13 an insert-only table is vacuumed too, which sets the visibility map
                    # that index-only scans need); the bench does not wait for it. (SQLite
                    # gets no ANALYZE: halotrack never runs one.)
                    auto = store.engine.execution_options(isolation_level="AUTOCOMMIT")
                    with auto.connect() as conn:
                        conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            xuid, match_id = BASE_XUID + 1, f"{args.matches // 2:08d}-{MATCH_TAIL}"
        built_s = time.perf_counter() - t0
        with served("--db", db, "serve") as server:
            base = server.base
            xuids = [BASE_XUID + (xuid - BASE_XUID + 7 * i) % args.players for i in range(ROTATE)]
            match_ids = [match_id] + [
                f"{n * 997 % args.matches:08d}-{MATCH_TAIL}" for n in range(1, ROTATE)
            ]
            routes = {
                "home (leaderboard)": ["/"],
                "player page": [f"/player/{x}" for x in xuids],
                "match page": [f"/match/{m}" for m in match_ids],
                "api leaderboard": ["/api/v1/leaderboard?limit=50"],
                "api matches": [f"/api/v1/players/{x}/matches?limit=25" for x in xuids],
                "api sessions": [f"/api/v1/players/{x}/sessions?last=5" for x in xuids],
                "api breakdown": [f"/api/v1/players/{x}/breakdown?by=map" for x in xuids],
            }
            print(
                f"database: {parse_url(db).get_backend_name()}, "
                f"{args.players:,} players, {args.matches:,} matches, "
                f"built in {built_s:.1f} s; {args.requests} requests/route, "
                f"{args.threads} client threads"
            )
            print(
                f"{'route':22} {'first ms':>8} {'rps':>7} {'p50 ms':>8} {'p95 ms':>8} "
                f"{'p99 ms':>8} {'cpu ms':>7}"
            )
            results = {}
            for name, paths in routes.items():
                if args.only and args.only not in name:
                    continue
                first = fetch(base + paths[0]) * 1000  # cold: the leaderboard computes its rows
                for path in paths[:4]:
                    fetch(base + path)
                urls = [base + p for p in paths]
                cpu0 = server.cpu_seconds()
                times, wall = load(urls, args.requests, args.threads, 60.0)
                cpu = (server.cpu_seconds() - cpu0) / len(times) * 1000
                results[name] = (len(times) / wall, pct(times, 50), pct(times, 95), pct(times, 99))
                rps, p50, p95, p99 = results[name]
                print(
                    f"{name:22} {first:8.1f} {rps:7.1f} {p50:8.1f} {p95:8.1f} {p99:8.1f} {cpu:7.1f}"
                )
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))
    worst = max(r[2] for r in results.values())
    home = results.get("home (leaderboard)")
    print(f"p95_ms={worst:.1f} rps={home[0] if home else float('nan'):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
