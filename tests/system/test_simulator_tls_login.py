"""The simulated Microsoft sign-in, tried as the README says: `halotrack simulator --tls`
makes its own certificate and prints the one line that signs in; every read then works.

Runs the real msal code against the simulator over https, from the CLI, with no test CA.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from halotrack.auth import TokenStore
from halotrack.cli import main
from halotrack.simulator import World
from tests.support import auth as auth_support

pytestmark = pytest.mark.slow  # every test here starts `halotrack simulator` as a subprocess

auth_home = auth_support.auth_home
SEED, PLAYERS = 5, 14


@pytest.fixture
def tls_simulator(tmp_path: Path) -> Iterator[list[str]]:
    """The simulator's startup lines (it runs until the test ends)."""
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "halotrack", "simulator", "--port", "0"),
            *("--seed", str(SEED), "--players", str(PLAYERS)),
            *("--tls", "--tls-dir", str(tmp_path / "tls")),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        while not lines or not lines[-1].startswith("Ctrl-C"):
            lines.append(proc.stdout.readline().strip())
            assert lines[-1] or proc.poll() is None, lines
        yield lines
    finally:
        proc.terminate()
        proc.wait(10)


def test_simulated_sign_in_over_https_end_to_end(
    tls_simulator: list[str], auth_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    login = next(line for line in tls_simulator if "auth login" in line)
    argv = shlex.split(login[login.index("halotrack") :])[1:]
    api = argv[argv.index("--api") + 1]
    assert api.startswith("https://")
    capsys.readouterr()
    assert main(argv) == 0
    out, err = capsys.readouterr()
    world = World(seed=SEED, players=PLAYERS)
    first = world.players[0]
    assert first.gamertag in out and str(first.xuid) in out, (out, err)
    session = TokenStore().load_session()
    assert session is not None and session.source == "msal" and session.api_root == api

    assert main(["--api", api, "record", first.gamertag, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)["record"]
    assert record["matches_completed"] == world.expected_record(first.xuid)["MatchesCompleted"]
    assert main(["--api", api, "csr", first.gamertag, "--all-ranked"]) == 0
    out, err = capsys.readouterr()
    assert all(pl.spec.name in out for pl in world.playlists if pl.ranked), (out, err)
