"""Each command loads only what it uses: `--help` and `--version` cost little more than
Python itself, and only signing in loads msal (issue 12). Timing lives in bench/startup.py;
these tests check what is imported, read from `python -X importtime`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HEAVY = {"msal", "aiohttp", "sqlalchemy", "alembic"}


def imported(args: list[str], tmp_path: Path, *, code: str | None = None) -> set[str]:
    """Top-level packages a fresh `python -X importtime -m halotrack ARGS` imported."""
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "HALOTRACK_CONFIG_DIR": str(tmp_path / "config"),
        "HALOTRACK_DATA_DIR": str(tmp_path / "data"),
        "HALOTRACK_CACHE_DIR": str(tmp_path / "cache"),
        "HALOTRACK_DB": str(tmp_path / "db.sqlite"),
        "HALOTRACK_RETRIES": "1",
    }
    what = ["-c", code] if code is not None else ["-m", "halotrack", *args]
    err = subprocess.run(
        [sys.executable, "-X", "importtime", *what],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    ).stderr
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in err.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_the_import_reader_sees_heavy_packages(tmp_path: Path) -> None:
    assert imported([], tmp_path, code="import halotrack, msal, aiohttp, alembic") >= HEAVY


@pytest.mark.parametrize(
    "args", [["--version"], ["--help"], ["db", "--help"], ["record", "--help"]]
)
def test_help_and_version_load_no_heavy_package(args: list[str], tmp_path: Path) -> None:
    loaded = imported(args, tmp_path)
    assert "halotrack" in loaded and "typer" in loaded
    assert not loaded & HEAVY


@pytest.mark.parametrize(
    "args",
    [
        ["watch", "list"],
        # builds a client from a pasted token and asks a closed port: the whole read path
        ["--api", "http://127.0.0.1:9", "record", "Someone", "--spartan-token", "x"],
    ],
)
def test_only_sign_in_loads_msal(args: list[str], tmp_path: Path) -> None:
    loaded = imported(args, tmp_path)
    assert "sqlalchemy" in loaded or "aiohttp" in loaded  # the command did its work
    assert "msal" not in loaded
