"""Shared fixtures: real sample files, and gates for services that may be absent.

A test needing PostgreSQL or Chromium skips with a reason only when the service is truly
absent and `HALOTRACK_REQUIRE_SERVICES` is unset; CI sets it so that nothing skips there.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

REAL = Path(__file__).parent / "data" / "real"
REQUIRE_SERVICES = os.environ.get("HALOTRACK_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("HALOTRACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHROMIUM = os.environ.get("HALOTRACK_CHROMIUM", "/usr/bin/chromium")


def service_missing(reason: str) -> None:
    """Skip, or fail when CI demands every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (HALOTRACK_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of the test PostgreSQL database; skips (or fails in CI) when it is not running."""
    if not _port_open("127.0.0.1", 5432):
        service_missing("PostgreSQL is not listening on 127.0.0.1:5432")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        service_missing("psycopg is not installed (pip install 'halotrack[postgres]')")
    return PG_URL


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of Debian's Chromium; skips (or fails in CI) when it is not installed."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        service_missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def real_dir() -> Path:
    return REAL


def real_json_files() -> list[Path]:
    return sorted(p for p in REAL.rglob("*.json"))
