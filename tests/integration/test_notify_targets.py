"""Notification targets and the sender's bookkeeping: the owner-only targets file, where a new
target starts, its player and kind filters, removal, give-up with the reason kept (and
`notify list --failed` showing it), backoff, and what a target shows of its URL."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from halotrack.cli import main
from halotrack.store import Store, open_store
from halotrack.usecases.notify import (
    MAX_ATTEMPTS,
    TargetsFile,
    add_target,
    backoff,
    mask_url,
    remove_target,
    send_pending,
)
from halotrack.wiring.notify import AppriseSender
from tests.support.notify import Ev, deliveries, drain, insert_events, make_events, receiver

A, B = 2533274800000011, 2533274800000012


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HALOTRACK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HALOTRACK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("HALOTRACK_DB", str(tmp_path / "n.sqlite"))
    return tmp_path


@pytest.fixture
def db(home: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{home / 'n.sqlite'}") as store:
        store.watch_add(A, gamertag="Cortana Sniper")
        store.watch_add(B, gamertag="Jörmungandr")
        yield store


def _drain(store: Store, sender: AppriseSender, tf: TargetsFile) -> None:
    drain(store, sender, tf.load(), passes=100)


def test_targets_file_is_owner_only_even_with_a_permissive_umask(db: Store, home: Path) -> None:
    old = os.umask(0)
    try:
        with receiver() as rec:
            assert main(["notify", "add", rec.url()]) == 0
    finally:
        os.umask(old)
    path = TargetsFile().path
    assert path.is_relative_to(home / "data")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    os.chmod(path, 0o644)  # loosened by hand: tightened again on the next read
    TargetsFile().load()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_new_target_starts_after_the_newest_event_and_honours_its_filters(db: Store) -> None:
    old = make_events([A, B], 2)
    insert_events(db, old)
    sender = AppriseSender(timeout=2)
    tf = TargetsFile()
    with receiver() as rec:
        add_target(db, sender, rec.url("all"), targets_file=tf)
        add_target(
            db,
            sender,
            rec.url("a"),
            players=["cortana sniper"],
            kinds="rank,season",
            targets_file=tf,
        )
        new = [
            *make_events([A, B], 2, kind="rank"),
            *make_events([A], 1, kind="best"),
            *make_events([None], 1, kind="season"),
        ]
        insert_events(db, new)
        _drain(db, sender, tf)
    by_path: dict[str, list[str]] = {}
    for r in rec.received:
        by_path.setdefault(r.path, []).append(r.event_id)
    assert sorted(by_path["/all"]) == sorted(e.event_id for e in new)
    wanted = [e.event_id for e in new if e.kind in ("rank", "season") and e.xuid in (A, None)]
    assert sorted(by_path["/a"]) == sorted(wanted)


def test_removing_a_target_stops_its_deliveries(
    db: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    sender = AppriseSender(timeout=2)
    tf = TargetsFile()
    with receiver(lambda n: "500") as failing, receiver() as ok:
        gone = add_target(db, sender, failing.url(), targets_file=tf)
        kept = add_target(db, sender, ok.url(), targets_file=tf)
        insert_events(db, make_events([A], 3))
        send_pending(db, sender, targets=tf.load())  # the failing one now waits to retry
        assert {r["target"] for r in deliveries(db)} == {gone.id, kept.id}
        assert main(["notify", "remove", gone.id]) == 0
        assert gone.id in capsys.readouterr().out
        calls = len(failing.outcomes)
        insert_events(db, make_events([A], 1, kind="best"))
        _drain(db, sender, tf)
        assert len(failing.outcomes) == calls
    assert [t.id for t in tf.load()] == [kept.id]
    assert {r["target"] for r in deliveries(db)} == {kept.id}
    assert len(ok.received) == 4
    with pytest.raises(Exception, match="no notification target"):
        remove_target(db, gone.id, targets_file=tf)


def test_gives_up_after_the_bound_and_keeps_the_reason(
    db: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    sender = AppriseSender(timeout=2)
    tf = TargetsFile()
    events = make_events([A], 2)
    with receiver(lambda n: "500") as rec:
        target = add_target(db, sender, rec.url(), targets_file=tf)
        insert_events(db, events)
        _drain(db, sender, tf)
    # each event was tried exactly the bound: the second waited for the first to give up
    assert len(rec.outcomes) == MAX_ATTEMPTS * len(events)
    rows = deliveries(db)
    assert [(r["status"], r["attempts"]) for r in rows] == [("failed", MAX_ATTEMPTS)] * 2
    assert all("500" in (r["last_error"] or "") for r in rows)
    assert main(["notify", "list", "--failed"]) == 0
    out = capsys.readouterr().out
    assert all(e.title in out for e in events) and "500" in out and target.id in out
    assert main(["notify", "list", "--failed", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["targets"][0]["deliveries"] == {"failed": 2}
    assert {f["event_id"] for f in listed["failed"]} == {e.event_id for e in events}
    assert all("500" in f["reason"] for f in listed["failed"])


def test_an_event_waits_for_the_earlier_one_of_its_player_not_for_others(db: Store) -> None:
    sender = AppriseSender(timeout=2)
    tf = TargetsFile()
    first_of_a: list[int] = []

    def plan(n: int) -> str:  # the first message (A's first event) fails once
        if not first_of_a:
            first_of_a.append(n)
            return "500"
        return "ok"

    events = [
        Ev("a1", "rank", A, "a1", "a1"),
        Ev("b1", "rank", B, "b1", "b1"),
        Ev("a2", "rank", A, "a2", "a2"),
    ]
    with receiver(plan) as rec:
        add_target(db, sender, rec.url(), targets_file=tf)
        insert_events(db, events)
        report = send_pending(db, sender, targets=tf.load())
        assert rec.ids() == ["b1"]  # a2 waits behind a1's retry, b1 does not
        assert (report.delivered, report.retrying, report.waiting) == (1, 1, 1)
        _drain(db, sender, tf)
    assert rec.ids() == ["b1", "a1", "a2"]


def test_a_redirect_is_not_followed(db: Store) -> None:
    """A webhook answering 307 elsewhere gets a failed attempt: the URL's token (in its path,
    or its user:password) never goes to another place."""
    sender = AppriseSender(timeout=2)
    tf = TargetsFile()
    with receiver() as elsewhere, receiver(lambda n: "moved") as rec:
        rec.moved_to = f"http://127.0.0.1:{elsewhere.port}"
        add_target(db, sender, f"json://user:pw@127.0.0.1:{rec.port}/hook/TOKEN", targets_file=tf)
        insert_events(db, make_events([A], 1))
        report = send_pending(db, sender, targets=tf.load())
    assert rec.outcomes == ["moved"] and elsewhere.outcomes == []
    assert report.retrying == 1
    assert "307" in (deliveries(db)[0]["last_error"] or "")


def test_backoff_doubles_and_is_capped() -> None:
    base = timedelta(seconds=30)
    waits = [backoff(n, base) for n in range(1, 6)]
    assert waits == [base * 2**i for i in range(5)]
    assert backoff(40, base) == timedelta(hours=6)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("discord://1234567/WebhookToken", "discord://***"),
        ("tgram://123456789:AAHbot/42", "tgram://***"),
        ("json://127.0.0.1:8080/hook/TOKEN?key=v", "json://127.0.0.1:8080/***"),
        ("mailtos://me:pw@mail.example.com", "mailtos://mail.example.com/***"),
        ("ntfy://ntfy.sh/secret-topic", "ntfy://ntfy.sh/***"),
        ("no url at all", "***"),
    ],
)
def test_a_target_shows_scheme_and_host_only(url: str, shown: str) -> None:
    assert mask_url(url) == shown


async def test_the_worker_task_delivers_as_notify_send_does(db: Store) -> None:
    """The distributed mode's periodic task: registered on the workers' app, and sending
    what is due with the worker's store."""
    from types import SimpleNamespace

    import halotrack.workers.run  # noqa: F401  (the worker imports the task this way)
    from halotrack.workers.jobs import Runtime, app
    from halotrack.workers.notify import NOTIFY_TASK, send_notifications

    assert NOTIFY_TASK in app.tasks
    events = make_events([A, B], 2)
    with receiver() as rec:
        add_target(db, AppriseSender(timeout=2), rec.url(), targets_file=TargetsFile())
        insert_events(db, events)
        rt = Runtime(store=db, client=None, budget=None)  # type: ignore[arg-type]
        context = SimpleNamespace(additional_context={"runtime": rt})
        result = await send_notifications.func(context, timestamp=0)
    assert result["delivered"] == len(events)
    assert sorted(rec.ids()) == sorted(e.event_id for e in events)
