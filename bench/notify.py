"""Benchmark notification delivery: what the outbox costs over bare apprise sends, and what a
pass with nothing due costs (every `track` cycle pays it) once many events are stored.

A JSON webhook on loopback answers every message at once. The baseline sends the same
messages straight through the apprise sender; the outbox run delivers them with
`send_pending` (claim, send, mark: three transactions per message). Then `--history` more
events, all delivered, sit in the outbox and an idle pass is timed.

    .venv/bin/python bench/notify.py [--messages 300] [--history 20000] [--db URL]

Prints a table; the last line is `outbox_ratio=<outbox s per message / bare s per message>
idle_pass_ms=<ms>`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from halotrack.store import open_store
from halotrack.store.schema import notify_deliveries, notify_events
from halotrack.usecases.notify import Message, Target, send_pending
from halotrack.wiring.notify import AppriseSender
from tests.support.notify import insert_events, make_events, receiver


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--history", type=int, default=20000)
    ap.add_argument("--db", default=None, help="database URL (default: a SQLite file)")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    url = args.db or f"sqlite:///{tmp / 'bench.sqlite'}"
    sender = AppriseSender(timeout=5)
    players = [2533274800100000 + i for i in range(20)]
    with receiver() as rec, open_store(url) as store:
        events = make_events(players, max(1, args.messages // len(players)))
        target = Target(id="bench", url=rec.url())
        t0 = time.perf_counter()
        for e in events:
            sender.send(target.url, Message(e.event_id, e.title, e.body))
        bare = (time.perf_counter() - t0) / len(events)

        insert_events(store, events)
        t0 = time.perf_counter()
        report = send_pending(store, sender, targets=[target])
        outbox = (time.perf_counter() - t0) / len(events)
        assert report.delivered == len(events), report

        history = make_events(players, max(1, args.history // len(players)))
        insert_events(store, history)
        with store.transaction() as tx:  # delivered long ago: the outbox is all history
            done = sa.select(
                notify_events.c.seq, sa.literal("bench"), sa.literal("delivered"), sa.literal(1)
            ).where(notify_events.c.seq.not_in(sa.select(notify_deliveries.c.event_seq)))
            cols = ["event_seq", "target", "status", "attempts"]
            tx.conn.execute(sa.insert(notify_deliveries).from_select(cols, done))
        idle = []
        for _ in range(5):
            t0 = time.perf_counter()
            send_pending(store, sender, targets=[target])
            idle.append(time.perf_counter() - t0)
        with store.reader() as tx:
            rows = tx.conn.execute(sa.select(sa.func.count()).select_from(notify_deliveries))
            stored = rows.scalar_one()
    idle_ms = statistics.median(idle) * 1000
    print(f"| what | value |\n|---|---:|\n| messages | {len(events)} |")
    print(f"| bare apprise ms/message | {bare * 1000:.2f} |")
    print(f"| outbox ms/message | {outbox * 1000:.2f} |")
    print(f"| deliveries stored | {stored} |")
    print(f"| idle pass ms | {idle_ms:.1f} |")
    print(f"outbox_ratio={outbox / bare:.2f} idle_pass_ms={idle_ms:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
