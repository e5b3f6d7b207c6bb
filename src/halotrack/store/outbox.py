"""SQL behind notification delivery: the outbox's deliveries, one row per (event, target).

Why a module of its own: the events writer (`store/events.py`) fills `notify_events`; the
sender only reads them and keeps its own bookkeeping in `notify_deliveries`. A target is
known here by its opaque id only: its URL never reaches the database.

A delivery is `pending` (due at `next_attempt_at`, NULL: now), `delivered` or `failed`
(given up, `last_error` says why). Sending claims a row first by moving `next_attempt_at` a
lease ahead and counting the attempt, so two senders never send one row at once and a
sender killed mid-send leaves a row that is retried when the lease runs out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from halotrack.store.schema import notify_deliveries, notify_events
from halotrack.store.session import Conn
from halotrack.store.session import connection as _connection

ev = notify_events.c
dl = notify_deliveries.c

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True, slots=True)
class Due:
    """A pending delivery with what its message needs."""

    seq: int
    event_id: str
    kind: str
    xuid: int | None
    title: str
    body: str
    data_json: str
    attempts: int
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class Failed:
    """A delivery given up, with the reason kept."""

    target: str
    seq: int
    event_id: str
    title: str
    attempts: int
    last_error: str | None


def latest_seq(target: Conn) -> int:
    """The newest event's seq (0: none yet): a target added now starts after it."""
    with _connection(target) as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(ev.seq), 0))).scalar_one())


def enqueue(
    conn: Connection,
    target: str,
    *,
    after_seq: int,
    kinds: Collection[str],
    xuids: Collection[int],
) -> int:
    """Add a pending delivery to `target` for each event it wants that has none yet: newer
    than `after_seq`, of one of `kinds`, about one of `xuids` (empty: anyone; an event about
    nobody, a new season, goes to every target). Returns how many were added.

    An anti-join rather than "after the last seq seen": events of concurrent transactions
    may commit out of seq order, and a late one must still be delivered."""
    have = sa.select(dl.event_seq).where(dl.event_seq == ev.seq, dl.target == target)
    where = [ev.seq > after_seq, ev.kind.in_(sorted(kinds)), ~sa.exists(have)]
    if xuids:
        where.append(sa.or_(ev.xuid.is_(None), ev.xuid.in_(sorted(xuids))))
    pick = sa.select(ev.seq, sa.literal(target), sa.literal(PENDING), sa.literal(0)).where(*where)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(notify_deliveries)
        .from_select(["event_seq", "target", "status", "attempts"], pick)
        .on_conflict_do_nothing()
    )
    return max(0, conn.execute(stmt).rowcount or 0)


def pending(target_conn: Conn, target: str) -> list[Due]:
    """A target's pending deliveries in event order (due or waiting for a retry)."""
    q = (
        sa.select(
            ev.seq,
            ev.event_id,
            ev.kind,
            ev.xuid,
            ev.title,
            ev.body,
            ev.data_json,
            dl.attempts,
            dl.next_attempt_at,
        )
        .select_from(notify_deliveries.join(notify_events, ev.seq == dl.event_seq))
        .where(dl.target == target, dl.status == PENDING)
        .order_by(ev.seq)
    )
    with _connection(target_conn) as conn:
        return [Due(**r._mapping) for r in conn.execute(q)]


def _row(seq: int, target: str) -> Any:
    return sa.and_(dl.event_seq == seq, dl.target == target)


def claim(conn: Connection, seq: int, target: str, *, now: datetime, lease: timedelta) -> bool:
    """Take a due delivery for one attempt (counted now, so a sender that keeps crashing on
    it still gives up); False when another sender took it or it is no longer due."""
    due = sa.or_(dl.next_attempt_at.is_(None), dl.next_attempt_at <= now)
    stmt = (
        sa.update(notify_deliveries)
        .where(_row(seq, target), dl.status == PENDING, due)
        .values(next_attempt_at=now + lease, attempts=dl.attempts + 1)
    )
    return (conn.execute(stmt).rowcount or 0) == 1


def delivered(conn: Connection, seq: int, target: str, *, now: datetime) -> None:
    stmt = (
        sa.update(notify_deliveries)
        .where(_row(seq, target))
        .values(status=DELIVERED, delivered_at=now, next_attempt_at=None, last_error=None)
    )
    conn.execute(stmt)


def attempt_failed(
    conn: Connection, seq: int, target: str, *, error: str, retry_at: datetime | None
) -> None:
    """Record a failed attempt: retried at `retry_at`, or given up (`failed`) when None."""
    values: dict[str, Any] = {"last_error": error[:500], "next_attempt_at": retry_at}
    if retry_at is None:
        values["status"] = FAILED
    conn.execute(
        sa.update(notify_deliveries).where(_row(seq, target), dl.status == PENDING).values(**values)
    )


def counts(target_conn: Conn) -> dict[str, dict[str, int]]:
    """Deliveries per target and status."""
    q = sa.select(dl.target, dl.status, sa.func.count()).group_by(dl.target, dl.status)
    out: dict[str, dict[str, int]] = {}
    with _connection(target_conn) as conn:
        for target, status, n in conn.execute(q):
            out.setdefault(target, {})[status] = int(n)
    return out


def failures(target_conn: Conn, targets: Collection[str] | None = None) -> list[Failed]:
    """Deliveries given up, newest event first."""
    q = (
        sa.select(dl.target, ev.seq, ev.event_id, ev.title, dl.attempts, dl.last_error)
        .select_from(notify_deliveries.join(notify_events, ev.seq == dl.event_seq))
        .where(dl.status == FAILED)
        .order_by(ev.seq.desc(), dl.target)
    )
    if targets is not None:
        q = q.where(dl.target.in_(sorted(targets)))
    with _connection(target_conn) as conn:
        return [Failed(**r._mapping) for r in conn.execute(q)]


def forget_target(conn: Connection, target: str) -> int:
    """Drop a removed target's deliveries: nothing more goes to it."""
    return conn.execute(sa.delete(notify_deliveries).where(dl.target == target)).rowcount or 0
