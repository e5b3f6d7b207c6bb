"""`halotrack simulator` starts a server that answers, and stops on a signal."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request


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
