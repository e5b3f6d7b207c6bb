"""`halotrack watch` and `track` end to end against a simulator running in a thread, and a
tracker process killed with SIGKILL mid-cycle then restarted."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from halotrack.cli import main
from halotrack.simulator import Simulator, start_simulator
from halotrack.store import Scope, Store, open_store
from halotrack.usecases import TrackerBusy, TrackerLock


class ThreadedSim:
    """A simulator serving from its own thread and event loop, so synchronous CLI calls
    (which run their own `asyncio.run`) and subprocesses can talk to it."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.loop = asyncio.new_event_loop()
        self.sim: Simulator
        self._stop = asyncio.Event()
        ready: Future[Simulator] = Future()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        self.sim = ready.result(timeout=30)

    def _run(self, ready: Future[Simulator]) -> None:
        async def serve() -> None:
            async with start_simulator(**self.options) as sim:
                ready.set_result(sim)
                await self._stop.wait()

        self.loop.run_until_complete(serve())

    def call(self, fn: Any, *args: Any) -> Any:
        """Run a synchronous world change on the server's thread."""

        async def go() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(go(), self.loop).result(timeout=30)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(timeout=30)


@pytest.fixture
def tsim() -> Iterator[ThreadedSim]:
    s = ThreadedSim(seed=5, players=24, seasons=6, history_scale=0.3)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def env(tsim: ThreadedSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    sim = tsim.sim
    tokens = tsim.call(sim.issue_tokens, sim.world.players[0].xuid)
    values = {
        "HALOTRACK_API": sim.base_url,
        "HALOTRACK_DB": str(tmp_path / "track.sqlite"),
        "HALOTRACK_SPARTAN_TOKEN": tokens.spartan,
        "HALOTRACK_CLEARANCE": tokens.clearance or "",
        "HALOTRACK_CONFIG_DIR": str(tmp_path / "config"),
        "HALOTRACK_CACHE_DIR": str(tmp_path / "cache"),
        "HALOTRACK_DATA_DIR": str(tmp_path / "data"),
        "HALOTRACK_RATE": "0",
        "HALOTRACK_CONCURRENCY": "8",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def players(sim: Simulator, n: int) -> list[Any]:
    picked = [p for p in sim.world.players if not p.gamertag.isascii() and p.activity != "idle"]
    picked += [p for p in sim.world.players if " " in p.gamertag and p.activity != "idle"]
    rest = [p for p in sim.world.players if p.activity != "idle" and p not in picked]
    return (picked[:1] + picked[-1:] + rest)[:n]


@pytest.mark.slow
def test_watch_and_track_commands(
    tsim: ThreadedSim, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sim = tsim.sim
    ps = players(sim, 3)
    tags = [p.gamertag for p in ps]
    assert not tags[0].isascii() and " " in tags[1]
    code, out, err = cli(capsys, "watch", "add", *tags, "NoSuchPlayer42")
    assert code == 1, err  # the others are added, but the left-out player must be noticed
    assert all(t in out for t in tags) and "NoSuchPlayer42" in err
    code, out, _ = cli(capsys, "watch", "list", "--json")
    listed = json.loads(out)
    assert sorted(e["xuid"] for e in listed) == sorted(p.xuid for p in ps)
    assert {e["gamertag"] for e in listed} == set(tags)

    code, out, err = cli(capsys, "track", "--once", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert (first["checked"], first["played"], first["failures"]) == (3, 3, [])
    code, out, _ = cli(capsys, "track", "--once", "--json")
    second = json.loads(out)
    # one match count per player, and one revalidated file whose Date gives the API's time
    assert (second["played"], second["records_created"], second["requests"]) == (0, 0, 3 + 1)

    # A known change: the diff shows exactly the simulator's numbers.
    from halotrack.simulator import Filters, views

    p = tsim.sim.world.by_xuid[ps[0].xuid]
    before = views.service_record(sim.world, p, Filters())
    tsim.call(sim.play, p.xuid, 5)
    after = views.service_record(sim.world, p, Filters())
    code, out, err = cli(capsys, "track", tags[0], "--once")
    assert code == 0 and "1 played" in out, err
    # By XUID: the store's gamertag lookup folds case in SQL, ASCII only.
    code, out, _ = cli(capsys, "diff", str(p.xuid), "--json")
    numbers = json.loads(out)["numbers"]
    assert numbers["matches_completed"]["delta"] == (
        after["MatchesCompleted"] - before["MatchesCompleted"]
    )
    assert numbers["kills"]["delta"] == after["CoreStats"]["Kills"] - before["CoreStats"]["Kills"]

    code, out, _ = cli(capsys, "watch", "remove", tags[1])
    assert code == 0
    code, out, _ = cli(capsys, "watch", "list", "--json")
    assert tags[1] not in {e["gamertag"] for e in json.loads(out)}
    code, _, err = cli(capsys, "track", "NotWatched", "--once")
    assert code == 6 and "not on the watch list" in err

    def opted() -> bool:
        _, out, _ = cli(capsys, "watch", "list", "--json")
        return next(e["matches"] for e in json.loads(out) if e["xuid"] == ps[0].xuid)

    assert cli(capsys, "watch", "add", tags[0], "--matches")[0] == 0 and opted()
    assert cli(capsys, "watch", "add", tags[0])[0] == 0 and opted()  # re-adding keeps it
    assert cli(capsys, "watch", "add", tags[0], "--no-matches")[0] == 0 and not opted()


def test_a_second_tracker_exits_with_a_clear_message(
    tsim: ThreadedSim, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "watch", "add", tsim.sim.world.players[1].gamertag)
    assert code == 0, err
    with TrackerLock(f"sqlite:///{env['HALOTRACK_DB']}"):
        code, out, err = cli(capsys, "track", "--once")
    assert code == TrackerBusy.exit_code
    assert "another tracker is already running" in err and str(os.getpid()) in err
    code, out, err = cli(capsys, "track", "--once", "--quiet")
    assert code == 0 and out == ""


def _slices(store: Store, xuids: list[int]) -> dict[tuple[Any, ...], str]:
    out: dict[tuple[Any, ...], str] = {}
    with store.reader() as tx:
        for x in xuids:
            for kind, key in tx.record_scopes(x):
                row = tx.latest_record(x, kind, Scope.parse(key))
                assert row is not None
                out[(x, kind, key)] = row.content_hash
            for c in tx.csr_history(x):
                out[(x, c.playlist_id, c.csr_season_id)] = c.content_hash
    return out


def _rows(db: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return int(conn.execute("SELECT count(*) FROM service_records").fetchone()[0])


@pytest.mark.slow
def test_sigkill_mid_cycle_then_restart_loses_nothing(
    tsim: ThreadedSim, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = tsim.sim
    xuids = [p.xuid for p in sim.world.players if p.activity != "idle"][:6]
    for db in (env["HALOTRACK_DB"], str(tmp_path / "clean.sqlite")):
        with open_store(f"sqlite:///{db}") as store, store.transaction() as tx:
            for x in xuids:
                tx.watch_add(x, gamertag=sim.world.by_xuid[x].gamertag)
    # The clean run, for comparison.
    code, _, err = cli(capsys, "--db", str(tmp_path / "clean.sqlite"), "track", "--once", "-q")
    assert code == 0, err

    with open_store(f"sqlite:///{tmp_path / 'clean.sqlite'}") as clean:
        rows = sum(len(clean.records_history(x, all_scopes=True)) for x in xuids)
    # Kill once a seeded number of snapshot rows is committed: inside the write phase, with
    # some players stored and others not (earlier moments leave nothing to check).
    kill_at = random.Random(20261129).randint(1, rows - 1)
    tsim.call(sim.set_faults, {"*": {"latency_ms": 2}})
    proc = subprocess.Popen(
        [sys.executable, "-m", "halotrack", "track", "--once", "--quiet"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while _rows(env["HALOTRACK_DB"]) < kill_at and proc.poll() is None:
        assert time.monotonic() < deadline, "the tracker never got going"
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    tsim.call(sim.clear_faults)

    with open_store(f"sqlite:///{env['HALOTRACK_DB']}") as store:
        assert store.integrity_check() == []
        partial = _slices(store, xuids)
    code, _, err = cli(capsys, "track", "--once", "-q")  # the restart (the lock was freed)
    assert code == 0, err
    with (
        open_store(f"sqlite:///{env['HALOTRACK_DB']}") as store,
        open_store(f"sqlite:///{tmp_path / 'clean.sqlite'}") as clean,
    ):
        assert store.integrity_check() == []
        got, want = _slices(store, xuids), _slices(clean, xuids)
        assert got == want
        assert len(partial) < len(want), "killed too late to test anything"
        assert all(partial[k] == got[k] for k in partial)  # nothing half-written survived
        assert all(e.last_match_count is not None for e in store.watch_list())
        for x in xuids:  # one snapshot per slice: the restart wrote no duplicates
            assert len(store.records_history(x)) == 1


@pytest.mark.slow
def test_every_loops_until_ctrl_c_and_keeps_what_it_stored(
    tsim: ThreadedSim, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    player = next(p for p in tsim.sim.world.players if p.activity != "idle")
    code, _, err = cli(capsys, "watch", "add", str(player.xuid))
    assert code == 0, err
    proc = subprocess.Popen(
        [sys.executable, "-m", "halotrack", "track", "--every", "10s"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A Ctrl-C must reach it even when this test runs where SIGINT is ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while _rows(env["HALOTRACK_DB"]) == 0:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)  # into the sleep between cycles (or the end of the first one)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "stopped: everything committed so far is kept" in err and "Traceback" not in err
    with open_store(f"sqlite:///{env['HALOTRACK_DB']}") as store:
        assert store.integrity_check() == []
        assert store.latest_record(player.xuid) is not None
    code, _, err = cli(capsys, "track", "--once", "-q")  # the lock went with the process
    assert code == 0, err


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("1h", 3600), ("2h30m", 9000), ("90s", 90)]
)
def test_every_intervals(text: str, seconds: float) -> None:
    from halotrack.cli.track import parse_every

    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5s", "1x", "30m later"])
def test_bad_every_intervals_are_refused(text: str) -> None:
    from halotrack.cli.track import parse_every
    from halotrack.errors import ConfigError

    with pytest.raises(ConfigError):
        parse_every(text)


def test_track_once_where_everyone_fails_says_what_to_do_and_exits_1(
    tsim: ThreadedSim,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tags = [p.gamertag for p in players(tsim.sim, 2)]
    assert cli(capsys, "watch", "add", *tags)[0] == 0
    monkeypatch.setenv("HALOTRACK_SPARTAN_TOKEN", "refused-token")
    for quiet in ([], ["--quiet"]):
        code, out, err = cli(capsys, "track", "--once", *quiet)
        assert code == 1, out + err
        hints = [ln for ln in out.splitlines() if ln.startswith("what to do: ")]
        assert len(hints) == 1 and "auth login" in hints[0]  # once, not once per player
    code, out, _ = cli(capsys, "track", "--once", "--json")
    assert code == 1
    assert all("auth login" in f["hint"] for f in json.loads(out)["failures"])
    monkeypatch.setenv("HALOTRACK_SPARTAN_TOKEN", env["HALOTRACK_SPARTAN_TOKEN"])
    assert cli(capsys, "track", "--once", "--all", "-q")[0] == 0


def test_watch_add_failures_say_why_on_one_line(
    tsim: ThreadedSim,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = cli(capsys, "watch", "add", "NoSuchPlayer42")
    assert code == 6  # not found, as for every command naming one unknown player
    assert "cannot watch 'NoSuchPlayer42': no player with this gamertag" in err
    assert len(err.strip().splitlines()) == 1  # not wrapped mid-path at 80 columns
    good = players(tsim.sim, 1)[0].gamertag
    code, out, err = cli(capsys, "watch", "add", good, "NoSuchPlayer42")
    assert code == 1 and f"watching {good}" in out and "NoSuchPlayer42" in err
    monkeypatch.setenv("HALOTRACK_SPARTAN_TOKEN", "refused-token")
    code, _, err = cli(capsys, "watch", "add", "Someone Else")
    assert code == 3 and "401" in err and "auth login" in err  # the hint comes along
