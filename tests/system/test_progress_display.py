"""Progress of a backfill: a bar with rate and time left on a terminal, plain lines when
stderr is not one; the CLI's last line counts what the simulator says was played."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

from rich.console import Console

from halotrack.cli.progress import RunProgress, duration_text
from halotrack.simulator import Simulator, start_simulator


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_carry_the_rate_and_the_time_left() -> None:
    out, clock = io.StringIO(), Clock()
    console = Console(file=out, force_terminal=False, width=80)
    with RunProgress(console, every=10.0, clock=clock) as shown:
        shown.update("Cortana", 0, 100)
        clock.now += 2
        shown.update("Cortana", 10, 100)  # within 10 s of the last line: no line
        clock.now += 8
        shown.update("Cortana", 40, 100)  # 40 in 10 s: 4.0/s, 60 left take 15 s
        shown.update("checking", 3, 5, unit="")  # a short step: no lines
        clock.now += 15
        shown.update("Cortana", 100, 100)  # the total: always a line
    assert out.getvalue().splitlines() == [
        "Cortana: 0/100 matches",
        "Cortana: 40/100 matches, 4.0/s, about 15s left",
        "Cortana: 100/100 matches, 4.0/s",
    ]


def test_plain_lines_end_with_the_last_count_and_fit_80_columns() -> None:
    out, clock = io.StringIO(), Clock()
    console = Console(file=out, force_terminal=False, width=80)
    label = "A gamertag far longer than any real one would be"
    with RunProgress(console, every=10.0, clock=clock) as shown:
        shown.update(label, 0, None)  # nothing known yet: no line
        shown.update(label, 0, 5000)
        clock.now += 1
        shown.update(label, 7, 5000)  # cut short by the run's end: shown at exit
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines)
    assert lines[-1].endswith("7/5000 matches, 7.0/s, about 11m53s left")


def test_a_terminal_gets_a_bar_with_rate_and_time_left() -> None:
    out, clock = io.StringIO(), Clock()
    console = Console(file=out, force_terminal=True, width=80, color_system=None)
    with RunProgress(console, clock=clock) as shown:
        shown.update("Cortana", 0, 100)
        clock.now += 10
        shown.update("Cortana", 40, 100)
    screen = out.getvalue()
    assert "40/100" in screen and "4.0 matches/s" in screen and "15s left" in screen
    assert "about" not in screen  # no plain lines on a terminal


def test_durations_read_short() -> None:
    assert [duration_text(s) for s in (0, 59.4, 60, 185, 3599, 3600, 7322)] == [
        "0s",
        "59s",
        "1m00s",
        "3m05s",
        "59m59s",
        "1h00m",
        "2h02m",
    ]


def _env(sim: Simulator, tmp_path: Path) -> dict[str, str]:
    tokens = sim.issue_tokens(sim.world.players[0].xuid)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALOTRACK_")}
    env.update(
        HALOTRACK_API=sim.base_url,
        HALOTRACK_SPARTAN_TOKEN=tokens.spartan,
        HALOTRACK_CLEARANCE=tokens.clearance or "",
        HALOTRACK_RATE="0",
        HALOTRACK_CONFIG_DIR=str(tmp_path / "config"),
        HALOTRACK_CACHE_DIR=str(tmp_path / "cache"),
        HALOTRACK_CONFIG=str(tmp_path / "none.toml"),
    )
    return env


async def _halotrack(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "halotrack", *args,
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    return proc.returncode or 0, err.decode()


LINE = re.compile(r"^(.+): (\d+)/(\d+) matches(, \d+\.\d/s)?(, about \S+ left)?$")


async def test_sync_and_track_print_plain_progress_when_stderr_is_not_a_terminal(
    tmp_path: Path,
) -> None:
    async with start_simulator(seed=3, players=12, history_scale=0.2) as sim:
        a, b = [p for p in sim.world.players if sim.world.slots(p)][:2]
        env = _env(sim, tmp_path)

        code, err = await _halotrack(
            env, "--db", str(tmp_path / "s.sqlite"), "matches", "sync", str(a.xuid)
        )
        assert code == 0, err
        lines = err.splitlines()
        assert lines and all(LINE.match(line) for line in lines), err
        played = len(sim.world.matches_of(a))
        assert lines[-1].startswith(f"{a.xuid}: {played}/{played} matches")

        db = str(tmp_path / "t.sqlite")
        code, err = await _halotrack(env, "--db", db, "watch", "add", str(b.xuid), "--matches")
        assert code == 0, err
        code, err = await _halotrack(env, "--db", db, "track", "--once")
        assert code == 0, err
        lines = err.splitlines()
        assert lines and all(LINE.match(line) for line in lines), err
        played = len(sim.world.matches_of(b))
        assert lines[-1].startswith(f"matches: {played}/{played} matches")


def _read_all(fd: int, sink: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the terminal closed
            return
        if not chunk:
            return
        sink.append(chunk)


async def test_sync_draws_a_bar_when_stderr_is_a_terminal(tmp_path: Path) -> None:
    async with start_simulator(seed=3, players=12, history_scale=0.2) as sim:
        a = next(p for p in sim.world.players if sim.world.slots(p))
        env = {**_env(sim, tmp_path), "COLUMNS": "80", "TERM": "xterm"}
        master, slave = pty.openpty()
        screen: list[bytes] = []
        reader = threading.Thread(target=_read_all, args=(master, screen), daemon=True)
        reader.start()
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "halotrack", "--db", str(tmp_path / "p.sqlite"),
                "matches", "sync", str(a.xuid),
                env=env, stdout=subprocess.DEVNULL, stderr=slave,
            )  # fmt: skip
            assert await proc.wait() == 0
        finally:
            os.close(slave)
            reader.join(timeout=30)
            os.close(master)
        text = b"".join(screen).decode(errors="replace")
        played = len(sim.world.matches_of(a))
        assert f"{played}/{played}" in text and "matches/s" in text, text[-500:]
        assert "about" not in text  # the plain lines are for logs only
