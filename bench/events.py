"""Benchmark what notification events add to a tracking cycle, over a long career.

One daily player's matches (default 5,000, with their skill answers) are stored straight
through `save_match`, as bench/insights.py does; the player is watched since their last 50
matches, so personal bests and sessions have something to find. Timed (median of the
repeats), each against the transaction the tracker runs anyway:

- settle: the transaction that settles a player's match count (the baseline); the same
  with `best_events` after 5 new matches (each played cycle); and with `best_events` on a
  player never walked (the first cycle: the career is read once);
- snapshot: `snapshot_events` when no CSR changed (a played cycle's usual case);
- sessions: `ended_sessions` once every session is told (each cycle, per checked player).

    .venv/bin/python bench/events.py [--matches 5000] [--repeat 5] [--db URL]

The last line is `settle_ratio=<x> best_events_ms=<y> first_walk_ms=<z> sessions_ms=<w>`:
the played cycle's settle with events over the baseline, and the times they add.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from halotrack.store import events as se
from halotrack.store import open_store
from halotrack.store.schema import metadata_cache
from halotrack.usecases import events as ev
from insights import career, seed


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--matches", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", help="a database URL (default: a SQLite file in a temp folder)")
    args = ap.parse_args()
    world, p = career(args.matches)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.db or f"sqlite:///{tmp}/events.sqlite")
        seed(store, world, p, args.matches)
        starts = sorted(s.match.start_ms for s in world.slots(p)[-args.matches :])
        since = datetime.fromtimestamp(starts[-50] / 1000, UTC)
        now = datetime.fromtimestamp(starts[-1] / 1000, UTC) + timedelta(days=1)  # all ended
        store.watch_add(p.xuid, gamertag=p.gamertag, matches=True, now=since)
        x = p.xuid

        key = f"bests:{x}"

        def walk_state(last: int) -> str:
            """The kept walk as it stands with the newest `last` matches not walked yet."""
            with store.transaction() as tx:
                tx.conn.execute(
                    metadata_cache.delete().where(metadata_cache.c.kind == ev.STATE_KIND)
                )
                rows = se.pvp_matches(tx, x)
                state = ev.BestWalk()
                state.walk(rows[: len(rows) - last], {}, since)
                return json.dumps(asdict(state))

        five_left = walk_state(5)

        def settle_with_bests(state: str | None) -> Callable[[], None]:
            def run() -> None:
                with store.transaction() as tx:
                    if state is None:
                        tx.conn.execute(
                            metadata_cache.delete().where(metadata_cache.c.kind == ev.STATE_KIND)
                        )
                    else:
                        tx.put_metadata(ev.STATE_KIND, key, state, fetched_at=now)
                    tx.watch_update(x, last_match_count=args.matches)
                    ev.best_events(tx, x, now)

            return run

        def settle_with_state(state: str) -> Callable[[], None]:
            def run() -> None:
                with store.transaction() as tx:
                    tx.put_metadata(ev.STATE_KIND, key, state, fetched_at=now)
                    tx.watch_update(x, last_match_count=args.matches)

            return run

        def quiet_snapshot() -> None:
            with store.transaction() as tx:
                ev.snapshot_events(tx, x, "CsrSeason1-1", {"pl": "unchanged"}, now)

        def sessions() -> None:
            ev.ended_sessions(store, [x], now)

        with store.transaction() as tx:
            ev.save_events(tx, ev.ended_sessions(store, [x], now), now)
            ev.best_events(tx, x, now)
        told = len(ev.recent_events(store, 100_000))

        base = median_ms(settle_with_state(five_left), args.repeat)
        rows = [
            ("settle (baseline)", base),
            ("settle + best_events, 5 new", median_ms(settle_with_bests(five_left), args.repeat)),
            ("settle + best_events, first", median_ms(settle_with_bests(None), args.repeat)),
            ("snapshot_events, no CSR change", median_ms(quiet_snapshot, args.repeat)),
            ("ended_sessions, all told", median_ms(sessions, args.repeat)),
        ]
        store.close()
    print(
        f"{args.matches} stored matches of one player, {told} events told; SQLite"
        if not args.db
        else f"{args.matches} matches, {told} events; {args.db.split(':')[0]}"
    )
    print(f"{'measure (median of ' + str(args.repeat) + ')':<34} {'ms':>9} {'x baseline':>11}")
    for name, ms in rows:
        print(f"{name:<34} {ms:>9.2f} {ms / base:>11.1f}")
    print(
        f"settle_ratio={rows[1][1] / base:.1f} best_events_ms={rows[1][1] - base:.1f} "
        f"first_walk_ms={rows[2][1] - base:.1f} sessions_ms={rows[4][1]:.1f}"
    )


if __name__ == "__main__":
    main()
