"""Notification delivery: targets, and what is due to whom (issue 16).

Targets live in an owner-only file beside the sign-in (`<data dir>/auth/notify-targets.json`,
0600, replaced atomically), because their URLs carry secrets (webhook tokens). Each has an
opaque short id; the database knows only that id. A target shows as scheme + host + `***`.

Delivery is at least once and in order per player per target: an event waits while an
earlier event of the same player to the same target is still pending. A failed attempt is
retried with exponential backoff and given up after `MAX_ATTEMPTS`, the reason kept. A sender
killed between sending and marking delivered sends that message again: a duplicate, never a
loss; each message carries its event id (`id: ...` as its last line) so a receiver can drop
duplicates. The sending itself is a `Sender` built in `wiring` (apprise).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from halotrack.auth.store import FILE_MODE, TokenStore
from halotrack.errors import ConfigError, HaloTrackError, StoreError, Unknown
from halotrack.store import Store
from halotrack.store import outbox as ob
from halotrack.usecases.plain import field_dict

KINDS = ("rank", "session", "best", "season", "gamertag", "ops")
TARGETS_FILE = "notify-targets.json"
MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DeliveryFailed(HaloTrackError):
    """One message could not be delivered; the message names no part of the URL."""


@dataclass(frozen=True, slots=True)
class Message:
    event_id: str
    title: str
    body: str

    def text(self) -> str:
        """The body with the event id as its last line, for receivers to drop duplicates."""
        return f"{self.body}\n\nid: {self.event_id}"


class Sender(Protocol):
    timeout: float

    def accepts(self, url: str) -> bool: ...

    def send(self, url: str, message: Message) -> None: ...


# ---------------------------------------------------------------------------- URLs

_HOSTNAME = re.compile(
    r"^(localhost|\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|([A-Za-z0-9-]+\.)+[A-Za-z]{2,})$"
)


def _split(url: str) -> tuple[str, str, str, str, str]:
    """(scheme, userinfo, host, port, rest) of a URL, without trusting it to be valid."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "", "", "", "", url
    netloc, slash, tail = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        userinfo, hostport = "", netloc
    host, colon, port = hostport.rpartition(":")
    if not colon or "]" in port:
        host, port = hostport, ""
    return scheme, userinfo, host, port, slash + tail


def _is_hostname(host: str) -> bool:
    return bool(_HOSTNAME.match(host))


def mask_url(url: str) -> str:
    """What a target shows: scheme and host (when it is a host name, not a token) and `***`
    for the rest, never the user, password, path or query."""
    scheme, _user, host, port, _rest = _split(url.strip())
    if not scheme or not _is_hostname(host):
        return f"{scheme}://***" if scheme else "***"
    return f"{scheme}://{host}{':' + port if port.isdigit() else ''}/***"


def secret_parts(url: str) -> set[str]:
    """Every part of a URL that may be a secret (user, password, a host that is not a host
    name, path segments, query values), raw and decoded: what logs must never show."""
    scheme, userinfo, host, port, rest = _split(url.strip())
    parts = {url.strip(), port}
    parts.update(userinfo.split(":"))
    if not _is_hostname(host):
        parts.add(host)
    path, _, query = rest.partition("?")
    parts.update(path.split("/"))
    parts.update(v for _, v in parse_qsl(query, keep_blank_values=False))
    parts.update({unquote(p) for p in parts})
    return {p for p in parts if len(p) >= 4 and p != scheme}


# ---------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """Where notifications go. The URL never reaches a repr, a log or the database."""

    id: str
    url: str = field(repr=False)
    kinds: tuple[str, ...] = KINDS
    xuids: tuple[int, ...] = ()
    after_seq: int = 0
    added_at: str = ""

    @property
    def shown(self) -> str:
        return mask_url(self.url)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "kinds": list(self.kinds),
            "xuids": list(self.xuids),
            "after_seq": self.after_seq,
            "added_at": self.added_at,
        }

    @classmethod
    def from_json(cls, data: Any) -> Target:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return cls(
            id=str(data["id"]),
            url=str(data["url"]),
            kinds=tuple(str(k) for k in data.get("kinds") or KINDS),
            xuids=tuple(int(x) for x in data.get("xuids") or ()),
            after_seq=int(data.get("after_seq") or 0),
            added_at=str(data.get("added_at") or ""),
        )


class TargetsFile(TokenStore):
    """The targets file, kept the way the sign-in is (owner-only, atomic replace)."""

    @property
    def path(self) -> Path:
        return self.directory / TARGETS_FILE

    def check_permissions(self) -> None:
        super().check_permissions()
        self._repair(self.path, FILE_MODE)

    def load(self) -> list[Target]:
        text = self._read(self.path)
        if text is None:
            return []
        try:
            data = json.loads(text)
            return [Target.from_json(t) for t in data.get("targets", [])]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(
                f"cannot read {self.path}: {type(exc).__name__}",
                hint="fix the file or remove it and add the targets again",
            ) from None

    def save(self, targets: Sequence[Target]) -> None:
        doc = {"version": 1, "targets": [t.to_json() for t in targets]}
        self._write(self.path, json.dumps(doc, indent=1))


def _find(targets: Sequence[Target], target_id: str) -> Target:
    want = target_id.strip().lower()
    for t in targets:
        if t.id == want:
            return t
    raise Unknown(f"no notification target {target_id!r}", hint="`halotrack notify list`")


def parse_kinds(text: str | None) -> tuple[str, ...]:
    """`rank,session` -> ("rank", "session"); None or empty: every kind."""
    if not text:
        return KINDS
    kinds = [k.strip().lower() for k in text.split(",") if k.strip()]
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ConfigError(f"unknown event kind {bad[0]!r}", hint=f"use {','.join(KINDS)}")
    return tuple(k for k in KINDS if k in kinds)


def check_url(sender: Sender, url: str) -> None:
    """Refuse, in one line that shows no secret, a URL the sender cannot use."""
    if not sender.accepts(url):
        raise ConfigError(
            f"not a notification URL apprise can use: {mask_url(url)}",
            hint="e.g. discord://ID/TOKEN, ntfy://ntfy.sh/TOPIC, json://HOST/PATH",
        )


def add_target(
    store: Store,
    sender: Sender,
    url: str,
    *,
    players: Iterable[str] = (),
    kinds: str | None = None,
    targets_file: TargetsFile | None = None,
    clock: Clock = _utcnow,
) -> Target:
    """Remember a target; it gets the events after the newest one stored now."""
    from halotrack.usecases.watch import find_watched

    url = url.strip()
    wanted = parse_kinds(kinds)
    check_url(sender, url)
    xuids: list[int] = []
    for text in players:
        entry = find_watched(store, text)
        if entry is None:
            raise Unknown(
                f"{text!r} is not on the watch list", hint=f"`halotrack watch add {text!r}`"
            )
        xuids.append(entry.xuid)
    tf = targets_file or TargetsFile()
    existing = tf.load()
    taken = {t.id for t in existing}
    new_id = secrets.token_hex(3)
    while new_id in taken:
        new_id = secrets.token_hex(3)
    target = Target(
        id=new_id,
        url=url,
        kinds=wanted,
        xuids=tuple(sorted(set(xuids))),
        after_seq=ob.latest_seq(store),
        added_at=clock().isoformat(timespec="seconds"),
    )
    tf.save([*existing, target])
    return target


def remove_target(
    store: Store, target_id: str, *, targets_file: TargetsFile | None = None
) -> Target:
    """Forget a target and its deliveries: nothing more is sent to it."""
    tf = targets_file or TargetsFile()
    targets = tf.load()
    target = _find(targets, target_id)
    tf.save([t for t in targets if t.id != target.id])
    with store.transaction() as tx:
        ob.forget_target(tx.conn, target.id)
    return target


@dataclass
class TargetRow:
    """One target as `notify list` shows it."""

    id: str
    shown: str
    kinds: list[str]
    players: list[str]
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return field_dict(self, {"shown": "url", "counts": "deliveries"})


@dataclass
class TargetList:
    targets: list[TargetRow]
    failed: list[ob.Failed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "targets": [t.to_dict() for t in self.targets],
            "failed": [
                {
                    "target": f.target,
                    "event_id": f.event_id,
                    "title": f.title,
                    "attempts": f.attempts,
                    "reason": f.last_error,
                }
                for f in self.failed
            ],
        }


def list_targets(
    store: Store, *, failed: bool = False, targets_file: TargetsFile | None = None
) -> TargetList:
    """The targets with their delivery counts, and (`failed`) the deliveries given up."""
    targets = (targets_file or TargetsFile()).load()
    with store.reader() as tx:
        counts = ob.counts(tx)
        names = tx.display_names({x for t in targets for x in t.xuids})
        gave_up = ob.failures(tx, [t.id for t in targets]) if failed else []
    rows = [
        TargetRow(
            id=t.id,
            shown=t.shown,
            kinds=list(t.kinds),
            players=[names.get(x, str(x)) for x in t.xuids],
            counts=counts.get(t.id, {}),
        )
        for t in targets
    ]
    return TargetList(rows, gave_up)


def send_test(
    sender: Sender,
    url_or_id: str,
    *,
    targets_file: TargetsFile | None = None,
    clock: Clock = _utcnow,
) -> str:
    """Send a test message to a URL or a target's id now; returns what it was shown as."""
    text = url_or_id.strip()
    url = text if "://" in text else _find((targets_file or TargetsFile()).load(), text).url
    check_url(sender, url)
    when = clock().isoformat(timespec="seconds")
    message = Message(
        event_id=f"test-{when}",
        title="halotrack test",
        body="If you can read this, halotrack can notify you here.",
    )
    try:
        sender.send(url, message)
    except DeliveryFailed as exc:
        raise DeliveryFailed(
            f"the test message to {mask_url(url)} was not delivered: {exc.message}",
            hint="check the URL's token and that the service is reachable from here",
        ) from None
    return mask_url(url)


# ---------------------------------------------------------------------------- sending


@dataclass
class SendReport:
    """What one pass of the sender did."""

    targets: int = 0
    delivered: int = 0
    retrying: int = 0
    gave_up: int = 0
    waiting: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        text = f"notifications: {self.delivered} delivered"
        if self.retrying:
            text += f", {self.retrying} to retry"
        if self.gave_up:
            text += f", {self.gave_up} given up (`halotrack notify list --failed`)"
        if self.waiting:
            text += f", {self.waiting} waiting"
        return text


def backoff(attempts: int, base: timedelta = BASE_DELAY) -> timedelta:
    """The wait after the `attempts`-th failed attempt: doubled each time, capped."""
    wait: timedelta = base * 2 ** max(0, attempts - 1)
    return min(MAX_DELAY, wait)


def load_targets(targets_file: TargetsFile | None = None) -> list[Target]:
    return (targets_file or TargetsFile()).load()


def send_pending(
    store: Store,
    sender: Sender,
    *,
    targets: Sequence[Target] | None = None,
    clock: Clock = _utcnow,
    max_attempts: int = MAX_ATTEMPTS,
    base_delay: timedelta = BASE_DELAY,
) -> SendReport:
    """Deliver every due message of every target once (those in backoff stay pending).

    Blocking (apprise is): async callers run it in a thread."""
    report = SendReport()
    chosen = list(targets) if targets is not None else load_targets()
    report.targets = len(chosen)
    lease = timedelta(seconds=2 * sender.timeout + 2)
    for target in chosen:
        with store.transaction() as tx:
            ob.enqueue(
                tx.conn,
                target.id,
                after_seq=target.after_seq,
                kinds=target.kinds,
                xuids=target.xuids,
            )
        blocked: set[int | None] = set()  # players with an earlier message still pending
        for due in ob.pending(store, target.id):
            if due.xuid in blocked:
                report.waiting += 1
                continue
            now = clock()
            if due.next_attempt_at is not None and due.next_attempt_at > now:
                blocked.add(due.xuid)
                report.waiting += 1
                continue
            with store.transaction() as tx:
                mine = ob.claim(tx.conn, due.seq, target.id, now=now, lease=lease)
            if not mine:
                blocked.add(due.xuid)
                report.waiting += 1
                continue
            try:
                sender.send(target.url, Message(due.event_id, due.title, due.body))
            except DeliveryFailed as exc:
                attempts = due.attempts + 1
                retry_at = (
                    None if attempts >= max_attempts else clock() + backoff(attempts, base_delay)
                )
                with store.transaction() as tx:
                    ob.attempt_failed(
                        tx.conn, due.seq, target.id, error=str(exc), retry_at=retry_at
                    )
                if retry_at is None:
                    report.gave_up += 1
                else:
                    report.retrying += 1
                    blocked.add(due.xuid)
                continue
            with store.transaction() as tx:
                ob.delivered(tx.conn, due.seq, target.id, now=clock())
            report.delivered += 1
    return report


def send_if_targets(store: Store, make_sender: Callable[[], Sender]) -> SendReport | None:
    """After a tracking cycle: deliver what is due when there are targets (None: there are
    none, and no sender was built)."""
    targets = load_targets()
    if not targets:
        return None
    return send_pending(store, make_sender(), targets=targets)


def next_attempt(
    store: Store, targets: Sequence[Target], *, clock: Clock = _utcnow
) -> datetime | None:
    """When a pending message of these targets can next be sent (None: nothing is pending):
    the earliest due time among the first pending message of each player per target, since
    the messages behind it wait for it."""
    now = clock()
    heads: list[datetime] = []
    for target in targets:
        seen: set[int | None] = set()
        for due in ob.pending(store, target.id):
            if due.xuid not in seen:
                seen.add(due.xuid)
                heads.append(due.next_attempt_at or now)
    return min(heads, default=None)
