"""Shared fixtures: real sample files, and gates for services that may be absent.

A test needing PostgreSQL, Chromium or a filesystem it can mount skips with a reason only
when the service is truly absent and `HALOTRACK_REQUIRE_SERVICES` is unset; CI sets it so
that nothing skips there. Every such skip goes through `service_missing`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from halotrack.simulator.formats import canary_tail

REAL = Path(__file__).parent / "data" / "real"
REQUIRE_SERVICES = os.environ.get("HALOTRACK_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("HALOTRACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHROMIUM = os.environ.get("HALOTRACK_CHROMIUM", "/usr/bin/chromium")


def service_missing(reason: str) -> None:
    """Skip, or fail when CI demands every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (HALOTRACK_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """With HALOTRACK_REQUIRE_SERVICES=1 no test may skip, whatever skipped it (a helper that
    bypassed `service_missing`, a skip mark, an importorskip): the skip becomes a failure."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped although HALOTRACK_REQUIRE_SERVICES=1 forbids it: {reason}"


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
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs of our own, for a disk that really fills up; unmounted afterwards.
    Needs root and mount rights: skips (or fails in CI) when this machine refuses."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0:
        service_missing("mounting a tiny tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        service_missing(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill_disk(where: Path, leave: int = 0) -> Path:
    """Fill the filesystem holding `where` until `leave` bytes are free; returns the filler
    file (delete it to make room again)."""
    filler = where / "filler"
    st = os.statvfs(where)
    want = max(0, st.f_bavail * st.f_frsize - leave)
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, b"\0" * want)
        while leave == 0:  # the last partial block: write until the disk says no more
            os.write(fd, b"\0" * 512)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


@pytest.fixture
def real_dir() -> Path:
    return REAL


# -- store: the same tests on SQLite and PostgreSQL (appended by the store helper) ----------


@pytest.fixture
def pg_schema_url(pg_url: str):
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards, so parallel
    test runs (xdist workers, several checkouts) never see each other's tables."""
    import uuid

    import sqlalchemy as sa

    schema = f"halotrack_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for an empty store: a SQLite file under tmp_path, or a fresh PG schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture(scope="session")
def pg_store_session_url(pg_url: str):
    """One migrated PostgreSQL schema per test session (per xdist worker), reused by `store`
    and emptied after each test: migrating a fresh schema for every test is the slow part."""
    import uuid

    import sqlalchemy as sa

    from halotrack.store import open_store

    schema = f"halotrack_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    text = url.render_as_string(hide_password=False)
    try:
        open_store(text).close()
        yield text
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """An opened, migrated, empty store on each backend (every table of the schema is
    emptied after a PostgreSQL test, since the schema is shared by the session)."""
    from halotrack.store import open_store

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    else:
        url = request.getfixturevalue("pg_store_session_url")
    s = open_store(url)
    try:
        yield s
    finally:
        if request.param == "postgres":
            from halotrack.store.schema import metadata

            names = ", ".join(t.name for t in metadata.sorted_tables)
            with s.engine.begin() as conn:
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        s.close()


# --- waypoint client tests: a scriptable loopback API (appended by the client helper) ---


@pytest.fixture
async def fake_api():  # type: ignore[no-untyped-def]
    """The scriptable loopback API of tests/support/fake_api.py, as a fixture."""
    from tests.support.fake_api import serve_fake_api

    async with serve_fake_api() as api:
        yield api


# --- sign-in tests: the simulator over TLS with the identity plugin (appended by auth helper) ---


@pytest.fixture(scope="session")
def tls_ca(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A throwaway CA and loopback server certificate (see tests/auth_support.py)."""
    from tests.support.auth import make_tls_ca

    return make_tls_ca(tmp_path_factory)


# The sign-in tests' own fixtures (auth_home, identity_sim) live in tests/auth_support.py.


# --- simulator fixtures (owned by the simulator helper) ---------------------------------
@pytest.fixture
async def simulator():  # type: ignore[no-untyped-def]
    """A running simulator: seed 7, 50 players, on a free loopback port."""
    from halotrack.simulator import start_simulator

    async with start_simulator(seed=7, players=50) as sim:
        yield sim


@pytest.fixture
def sim_tokens(simulator):  # type: ignore[no-untyped-def]
    """Tokens (Spartan + clearance) for the simulator's first player."""
    return simulator.issue_tokens(simulator.world.players[0].xuid)


@pytest.fixture
async def sim_client(simulator, sim_tokens):  # type: ignore[no-untyped-def]
    """`SimClient` GET helper with the first player's tokens."""
    import aiohttp

    from tests.support.sim import SimClient

    async with aiohttp.ClientSession() as session:
        yield SimClient(simulator.base_url, session, sim_tokens)


# --- match tables (appended by the matches helper) -------------------------------------


@pytest.fixture
def match_store(store):  # type: ignore[no-untyped-def]
    """`store` with the match tables empty: the shared PostgreSQL schema of `store` is only
    emptied of the snapshot tables between tests."""
    from halotrack.store.schema import MATCH_TABLES

    def clear() -> None:
        with store.transaction() as tx:
            for table in reversed(MATCH_TABLES):
                tx.conn.execute(table.delete())

    clear()
    yield store
    clear()


# --- secrets: a canary in every simulator token, hunted for everywhere (issue 8) ----------
# Every Spartan token the simulator issues, and its clearance (the flight id, which match
# answers also carry as ClearanceId, GUID-shaped with CLEARANCE_CANARY as its last group),
# carries CANARY (HALOTRACK_SIM_TOKEN_PREFIX, set
# before any simulator starts and inherited by subprocesses and xdist workers). During the
# session, log records of halotrack/msal/aiohttp at DEBUG, the output of every in-process
# `halotrack.cli.main` run and the text of every HaloTrackError are checked as they happen;
# at the end, every file the session left under its temporary directory (SQLite databases
# with their WAL, generated pages, CLI logs, caches) is searched byte for byte. A find fails
# the run at teardown. tests/integration/test_secrets_canary.py proves the tokens carry the canary.


def _canary() -> str:
    import uuid

    return os.environ.setdefault("HALOTRACK_SIM_TOKEN_PREFIX", f"CaNaRy{uuid.uuid4().hex[:10]}")


CANARY = _canary()
CLEARANCE_CANARY = canary_tail(CANARY)
NEEDLES = (CANARY, CLEARANCE_CANARY)
CANARY_LEAKS: list[str] = []
# Files that hold a token on purpose: the owner-only sign-in store
# (tests/integration/test_auth_store.py checks its 0600 mode).
_TOKEN_FILES = {"session.json", "msal-cache.json"}


def _leaks(text: str) -> bool:
    return any(needle in text for needle in NEEDLES)


def _note_leak(where: str, text: str) -> None:
    at = max(text.find(needle) for needle in NEEDLES)
    CANARY_LEAKS.append(f"{where}: ...{text[max(0, at - 80) : at + 40]!r}...")


def _install_canary_watch() -> None:
    import logging
    import sys

    import halotrack.cli as cli_module
    from halotrack import errors

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                text = record.getMessage()
            except Exception:  # a broken record is the logging call's bug, not a leak
                text = str(record.msg)
            if record.exc_info and record.exc_info[1] is not None:
                text += f" {record.exc_info[1]!r} {record.exc_info[1]}"
            if _leaks(text):
                _note_leak(f"log record {record.name} {record.levelname}", text)

    logging.getLogger().addHandler(Watch(logging.DEBUG))
    for name in ("halotrack", "msal", "aiohttp"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level > logging.DEBUG:
            logger.setLevel(logging.DEBUG)

    original_init = errors.HaloTrackError.__init__

    def init(self: errors.HaloTrackError, message: str, *, hint: str | None = None) -> None:
        original_init(self, message, hint=hint)
        text = f"{message} {hint}"
        if _leaks(text):
            _note_leak(f"{type(self).__name__} text", text)

    errors.HaloTrackError.__init__ = init  # type: ignore[method-assign]

    class Tee:
        def __init__(self, inner: object) -> None:
            self.inner = inner
            self.parts: list[str] = []

        def write(self, s: str) -> int:
            self.parts.append(s)
            return self.inner.write(s)  # type: ignore[attr-defined,no-any-return]

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

    original_main = cli_module.main

    def main(argv: list[str] | None = None) -> int:
        out, err = Tee(sys.stdout), Tee(sys.stderr)
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
        try:
            return original_main(argv)
        finally:
            sys.stdout, sys.stderr = saved
            for name, tee in (("stdout", out), ("stderr", err)):
                text = "".join(tee.parts)
                if _leaks(text):
                    _note_leak(f"halotrack {' '.join(argv or [])[:80]} {name}", text)

    cli_module.main = main  # type: ignore[assignment]


_install_canary_watch()


# --- the CLI's click command, built once per session ----------------------------------
# Typer builds the click command tree from the app's functions on every `app(...)` (so on
# every in-process `halotrack.cli.main`) and every `CliRunner().invoke(app)`: signatures
# and annotations of every command are read again, 0.1 to 0.3 s a run, hundreds of runs a
# session. A real `halotrack` process builds it once. The tree depends only on the
# registered command functions, which no test changes, so the session builds it once too.


def _build_the_cli_once() -> None:
    import typer.main
    import typer.testing

    from halotrack.cli import app

    build = typer.main.get_command
    tree = build(app)

    def get_command(typer_instance: typer.Typer) -> Any:
        return tree if typer_instance is app else build(typer_instance)

    typer.main.get_command = get_command
    typer.testing._get_command = get_command  # type: ignore[attr-defined]


_build_the_cli_once()


def _files_with_canary(root: Path) -> list[str]:
    found = []
    needles = [needle.encode() for needle in NEEDLES]
    for path in root.rglob("*"):
        try:
            if not path.is_file() or path.is_symlink() or path.name in _TOKEN_FILES:
                continue
            data = path.read_bytes()
            if any(needle in data for needle in needles):
                found.append(str(path))
        except OSError:
            continue
    return found


@pytest.fixture(scope="session", autouse=True)
def canary_hunt(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Fails the session (at the last test's teardown) if a token leaked anywhere."""
    yield CANARY
    leaks = list(CANARY_LEAKS)
    leaks += [f"file {p}" for p in _files_with_canary(tmp_path_factory.getbasetemp())]
    if leaks:
        pytest.fail("a token or the clearance leaked:\n" + "\n".join(leaks[:40]), pytrace=False)
