"""Notification test helpers: outbox events written through the schema table, and a local
webhook receiver on loopback that can fail on purpose.

Why: the events writer (store/events.py) is built beside the sender; until both meet, the
sender's tests write `notify_events` rows as that writer does (same columns, same contract).
The receiver records what it was sent and which replies it lost, so a test can tell a
duplicate the sender had to make (the reply never came back) from one it should not have.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import sqlalchemy as sa

from halotrack.store import Store
from halotrack.store.schema import notify_deliveries, notify_events


@dataclass(frozen=True)
class Ev:
    """One event as the events writer stores it."""

    event_id: str
    kind: str
    xuid: int | None
    title: str
    body: str


_numbers = itertools.count(1)


def make_events(xuids: Iterable[int | None], per_player: int, *, kind: str = "rank") -> list[Ev]:
    """`per_player` events for each XUID, interleaved the way several players' changes are."""
    players = list(xuids)
    out = []
    for i in range(per_player):
        for x in players:
            who = "season" if x is None else f"player{x}"
            n = next(_numbers)  # ids stay unique across calls, as the writer's are
            out.append(
                Ev(
                    event_id=f"{kind}:{who}:{n}",
                    kind=kind,
                    xuid=x,
                    title=f"{who} event {n}",
                    body=f"{who} ranked up in Ranked Arena: Diamond {i} -> Diamond {i + 1}",
                )
            )
    return out


def insert_events(store: Store, events: Iterable[Ev]) -> list[int]:
    """Write events in one transaction, as the snapshot that caused them would; their seqs."""
    now = datetime.now(UTC)
    seqs = []
    with store.transaction() as tx:
        for e in events:
            row = tx.conn.execute(
                sa.insert(notify_events)
                .values(
                    event_id=e.event_id,
                    kind=e.kind,
                    xuid=e.xuid,
                    occurred_at=now,
                    created_at=now,
                    title=e.title,
                    body=e.body,
                    data_json=json.dumps({"event_id": e.event_id}),
                )
                .returning(notify_events.c.seq)
            ).scalar_one()
            seqs.append(int(row))
    return seqs


def deliveries(store: Store) -> list[dict[str, Any]]:
    with store.reader() as tx:
        rows = tx.conn.execute(sa.select(notify_deliveries).order_by("event_seq", "target"))
        return [dict(r._mapping) for r in rows]


@dataclass
class Received:
    event_id: str
    payload: dict[str, Any]
    path: str


@dataclass
class Receiver:
    """A JSON webhook on 127.0.0.1. `plan(n)` says what the n-th request gets:
    "ok", "500", "close" (connection closed, no reply), "slow" (recorded, then answered
    after `slow` seconds: the sender has given up waiting, so the reply is lost) or "moved"
    (a 307 to `moved_to` with the same path)."""

    plan: Any = None
    slow: float = 1.5
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lost_replies: set[str] = field(default_factory=set)
    outcomes: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    port: int = 0
    moved_to: str = ""

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def ids(self) -> list[str]:
        return [r.event_id for r in self.received]


def flaky_plan(seed: int, max_run: int = 3) -> Any:
    """Fails about half the time (500, closed connection, lost reply), never more than
    `max_run` times in a row, so nothing reaches the give-up bound by bad luck."""
    rng = random.Random(seed)
    run = [0]

    def plan(_n: int) -> str:
        if run[0] >= max_run or rng.random() < 0.5:
            run[0] = 0
            return "ok"
        run[0] += 1
        return rng.choice(("500", "close", "slow"))

    return plan


@contextmanager
def receiver(plan: Any = None, *, slow: float = 1.5, delay: float = 0.0) -> Iterator[Receiver]:
    rec = Receiver(plan=plan, slow=slow, delay=delay)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"{}")
            with lock:
                n = len(rec.outcomes)
                mode = rec.plan(n) if rec.plan else "ok"
                rec.outcomes.append(mode)
                rec.paths.append(self.path)
            if mode == "moved":
                self.send_response(307)
                self.send_header("Location", rec.moved_to + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if mode == "close":
                self.close_connection = True
                return
            if mode == "500":
                self._reply(500)
                return
            message = str(payload.get("message", ""))
            event_id = message.rsplit("id: ", 1)[-1].strip() if "id: " in message else ""
            with lock:
                rec.received.append(Received(event_id, payload, self.path))
                if mode == "slow":
                    rec.lost_replies.add(event_id)
            if mode == "slow":
                time.sleep(rec.slow)
            elif rec.delay:
                time.sleep(rec.delay)
            self._reply(200)

        def _reply(self, code: int) -> None:
            body = b"{}"
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the sender stopped waiting: that reply is lost

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    rec.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


def drain(store: Store, sender: Any, targets: list[Any], *, passes: int = 400) -> None:
    """Send until nothing is pending, a simulated clock jumping over each backoff (so eight
    attempts cost no real hours)."""
    from halotrack.usecases.notify import next_attempt, send_pending

    clock = [datetime.now(UTC)]
    for _ in range(passes):
        send_pending(store, sender, targets=targets, clock=lambda: clock[0])
        due = next_attempt(store, targets, clock=lambda: clock[0])
        if due is None:
            return
        clock[0] = max(clock[0], due) + timedelta(seconds=1)
    raise AssertionError(f"deliveries still pending after {passes} passes")


def first_seen_order(ids: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for i in ids:
        seen.setdefault(i, None)
    return list(seen)
