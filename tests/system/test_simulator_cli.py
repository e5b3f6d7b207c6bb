"""`halotrack simulator` starts a server that answers, and stops on a signal."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test here starts `halotrack simulator` as a subprocess


def test_cli_serves_until_stopped() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "halotrack",
            "simulator",
            "--port",
            "0",
            "--players",
            "12",
            "--seed",
            "3",
            "--no-identity",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "Simulator on" in line, line
        base = line.split(" on ", 1)[1].split()[0]
        with urllib.request.urlopen(f"{base}/_sim/players", timeout=10) as r:
            players = json.load(r)
        assert len(players) == 12
        req = urllib.request.Request(
            f"{base}/_sim/token",
            data=json.dumps({"xuid": players[0]["xuid"]}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            assert json.load(r)["SpartanToken"]
    finally:
        proc.terminate()
        proc.wait(10)


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_simulator_block() -> list[str]:
    """The command lines of the first code block under the README's simulator heading."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## The offline simulator", 1)[1]
    block = section.split("```", 2)[1]
    return [line for line in block.splitlines() if line.strip()]


def _words(line: str) -> tuple[list[str], bool]:
    """A README line as argv (comments dropped), and whether it runs in the background."""
    words = shlex.split(line, comments=True)
    background = words[-1] == "&"
    return (words[:-1] if background else words), background


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_readme_simulator_block_runs_as_written(tmp_path: Path) -> None:
    """Each line of the README's simulator example, run as a user would (only the port is
    changed, so parallel tests cannot collide): every read command works, no token pasted."""
    from halotrack.simulator import World

    port = str(_free_port())
    lines = [line.replace("8765", port) for line in readme_simulator_block()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALOTRACK_")}
    for name in ("DATA", "CONFIG", "CACHE"):
        env[f"HALOTRACK_{name}_DIR"] = str(tmp_path / name.lower())
    env["HALOTRACK_SIM_TOKEN_PREFIX"] = os.environ.get("HALOTRACK_SIM_TOKEN_PREFIX", "")
    server: subprocess.Popen[str] | None = None
    outputs: list[str] = []
    try:
        for line in lines:
            argv, background = _words(line)
            assert argv[0] == "halotrack", line
            cmd = [sys.executable, "-m", "halotrack", *argv[1:]]
            if background:
                server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
                assert server.stdout is not None
                assert "Simulator on" in server.stdout.readline()
                continue
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
            assert done.returncode == 0, (line, done.stderr)
            assert done.stderr == "", (line, done.stderr)
            outputs.append(done.stdout)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    assert server is not None, "the block starts no simulator"
    # The block's own flags name the world; its truth says what the reads must show.
    sim_argv, _ = _words(lines[0])
    world = World(
        seed=int(sim_argv[sim_argv.index("--seed") + 1]),
        players=int(sim_argv[sim_argv.index("--players") + 1]),
    )
    ranked = [pl.spec.name for pl in world.playlists if pl.ranked]
    everything = "\n".join(outputs)
    assert all(name in everything for name in ranked)
    player = world.player("Cortana Sniper")
    assert player is not None
    matches = world.expected_record(player.xuid)["MatchesCompleted"]
    assert str(matches) in outputs[1]
