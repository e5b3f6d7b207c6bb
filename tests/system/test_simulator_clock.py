"""Snapshots made against a standalone simulator carry the simulator's time.

The tracker takes "now" from the API's answers (their `Date`), so `diff` and charts over a
simulator read in simulated time: the snapshots before and after `/_sim/advance` are as far
apart as the simulated time that passed, whatever the real clock says.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from halotrack.cli import main
from tests.support import auth as auth_support

pytestmark = pytest.mark.slow  # every test here starts `halotrack simulator` as a subprocess

auth_home = auth_support.auth_home


@pytest.fixture
def sim_url() -> Iterator[str]:
    cmd = [sys.executable, "-m", "halotrack", "simulator", "--port", "0", "--players", "12"]
    proc = subprocess.Popen(
        [*cmd, "--seed", "3", "--no-identity"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        yield line.split(" on ", 1)[1].split()[0]
    finally:
        proc.terminate()
        proc.wait(10)


def control(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{url}/_sim/{path}", data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def sim_now(url: str) -> datetime:
    return datetime.fromisoformat(control(url, "clock")["now"].replace("Z", "+00:00"))


def test_snapshots_and_diff_follow_the_simulated_clock(
    sim_url: str,
    auth_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HALOTRACK_RATE", "0")  # unpaced: a loopback simulator
    db = str(tmp_path / "sim.sqlite")
    players = control(sim_url, "players")
    player = next(p for p in players if p["activity"] == "daily")
    cli = ["--api", sim_url, "--db", db]
    assert main(["--api", sim_url, "auth", "sim"]) == 0
    start = sim_now(sim_url)
    assert main([*cli, "watch", "add", player["xuid"]]) == 0
    assert main([*cli, "track", "--once"]) == 0
    control(sim_url, "advance", {"hours": 72})
    control(sim_url, "play", {"xuid": player["xuid"], "matches": 2})
    later = sim_now(sim_url)
    assert main([*cli, "track", "--once"]) == 0
    end = sim_now(sim_url)

    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        captured = sorted(
            row[0]
            for row in conn.execute(
                sa.text("SELECT captured_at FROM service_records WHERE xuid = :x"),
                {"x": int(player["xuid"])},
            )
        )
        added = conn.execute(sa.text("SELECT added_at FROM watch_list")).scalar_one()
    engine.dispose()
    stamps = [datetime.fromisoformat(str(c)) for c in (*captured, added)]
    slack = timedelta(minutes=5)  # real seconds the commands took, added to simulated time
    assert all(start <= s.replace(tzinfo=start.tzinfo) <= end + slack for s in stamps), stamps
    first, last = (datetime.fromisoformat(str(c)) for c in (captured[0], captured[-1]))
    assert first.replace(tzinfo=start.tzinfo) < start + slack
    assert last.replace(tzinfo=start.tzinfo) >= later - timedelta(seconds=1)  # Date: whole s

    capsys.readouterr()
    assert main([*cli, "diff", player["xuid"], "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    span = datetime.fromisoformat(diff["to_at"]) - datetime.fromisoformat(diff["from_at"])
    assert span >= later - start - slack


def test_server_clock_reads_date_and_age_and_never_runs_back() -> None:
    from halotrack.waypoint.clock import ServerClock

    mono = [100.0]
    local = datetime(2030, 5, 5, tzinfo=UTC)
    clock = ServerClock(monotonic=lambda: mono[0], fallback=lambda: local)
    assert clock.now() == local and not clock.observed  # before any answer
    clock.observe({"Date": "Thu, 01 Jan 2026 00:00:10 GMT", "Age": "20"})
    assert clock.now() == datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)  # earlier than local
    mono[0] += 2.5
    assert clock.now() == datetime(2026, 1, 1, 0, 0, 32, 500000, tzinfo=UTC)
    clock.observe({"Date": "Thu, 01 Jan 2026 00:00:32 GMT"})  # whole seconds: a bit behind
    assert clock.now() == datetime(2026, 1, 1, 0, 0, 32, 500000, tzinfo=UTC)
    clock.observe({"Date": "not a date"})
    clock.observe({})
    mono[0] += 1
    assert clock.now() == datetime(2026, 1, 1, 0, 0, 33, tzinfo=UTC)
