"""Where the sender is called from besides `notify send`: after each `halotrack track` cycle
(against a simulator in a thread) and at the end of `halotrack demo --notify URL`.

The demo's own events come from the events writer; here the test writes events into the
demo's outbox just before its send, to check the plumbing: the URL reaches the sender, every
event goes (the demo's target starts at the beginning), and the URL shows masked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from halotrack.cli import main
from halotrack.store import open_store
from halotrack.usecases.notify import TargetsFile
from tests.support.notify import insert_events, make_events, receiver
from tests.support.sim import SimThread, point_cli_at

pytestmark = pytest.mark.slow


def test_track_sends_notifications_after_its_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "t.sqlite"
    with SimThread(seed=5, players=6, seasons=2, history_scale=0.05) as sim, receiver() as rec:
        player = next(p for p in sim.world.players if p.activity != "idle")
        point_cli_at(sim, tmp_path, monkeypatch, player.xuid)
        monkeypatch.setenv("HALOTRACK_DB", str(db))
        assert main(["watch", "add", str(player.xuid)]) == 0
        assert main(["notify", "add", rec.url(), "--player", str(player.xuid)]) == 0
        capsys.readouterr()
        events = make_events([player.xuid], 3)
        with open_store(f"sqlite:///{db}") as store:
            insert_events(store, events)
        assert main(["track", "--once", "--json"]) == 0
        out, err = capsys.readouterr()
        assert json.loads(out)["checked"] == 1  # stdout stays one JSON document
        assert rec.ids() == [e.event_id for e in events], err
        with open_store(f"sqlite:///{db}") as store:
            insert_events(store, more := make_events([player.xuid], 1))
        assert main(["track", "--once"]) == 0
        out, _ = capsys.readouterr()
        assert "notifications: 1 delivered" in out
        TargetsFile().path.write_text("{ not json")  # a broken targets file never stops it
        assert main(["track", "--once"]) == 0
        _, err = capsys.readouterr()
        assert "notifications not sent" in err and "notify-targets.json" in err
    assert rec.ids()[-1] == more[0].event_id


def test_demo_notify_sends_the_demos_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's own events (rank changes, sessions, bests of its simulated weeks) reach the
    receiver: exactly the events its database holds, each once, and the URL is kept nowhere."""
    monkeypatch.setenv("HALOTRACK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("HALOTRACK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HALOTRACK_DATA_DIR", str(tmp_path / "data"))
    with receiver() as rec:
        args = ["--players", "2", "--weeks", "0.5", "--world", "8"]
        code = main(["demo", "--out", str(tmp_path / "demo"), *args, "--notify", rec.url()])
        out, err = capsys.readouterr()
    assert code == 0, err
    db = tmp_path / "demo" / "halotrack.sqlite"
    with open_store(f"sqlite:///{db}") as store, store.engine.connect() as conn:
        stored = [r[0] for r in conn.exec_driver_sql("SELECT event_id FROM notify_events")]
    assert stored, "the demo's simulated weeks produce events"
    assert sorted(rec.ids()) == sorted(stored)
    assert f"notifications: {len(stored)} delivered to json://127.0.0.1:{rec.port}/***" in out
    assert "/hook" not in out
    assert not (tmp_path / "data").exists()  # the demo's URL is kept nowhere
