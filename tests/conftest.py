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
    """An opened, migrated, empty store on each backend."""
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
            with s.engine.begin() as conn:
                conn.exec_driver_sql(
                    "TRUNCATE players, gamertags, service_records, csr_snapshots, "
                    "metadata_cache, watch_list, seasons_fetched RESTART IDENTITY CASCADE"
                )
        s.close()


# --- waypoint client tests: a scriptable loopback API (appended by the client helper) ---


class FakeApi:
    """A loopback aiohttp server answering every path with `handle(request)` (sync or async,
    default `{}`), recording what it was sent. `root` is what a client takes as `api_root`."""

    def __init__(self) -> None:
        self.seen: list[dict[str, object]] = []
        self.root = ""
        self.handle: object = None

    def url(self, service: str) -> str:
        from halotrack.models.hosts import service_urls

        return service_urls(self.root)[service]


@pytest.fixture
async def fake_api():  # type: ignore[no-untyped-def]
    import inspect

    from aiohttp import web
    from aiohttp.test_utils import TestServer

    api = FakeApi()

    async def dispatch(request: web.Request) -> web.StreamResponse:
        api.seen.append(
            {
                "raw_path": request.raw_path.split("?", 1)[0],
                "path": request.path,
                "query": list(request.query.items()),
                "headers": dict(request.headers),
            }
        )
        if api.handle is None:
            return web.json_response({})
        result = api.handle(request)  # type: ignore[operator]
        if inspect.isawaitable(result):
            result = await result
        return result  # type: ignore[no-any-return]

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", dispatch)
    async with TestServer(app) as server:
        api.root = str(server.make_url("")).rstrip("/")
        yield api


# --- sign-in tests: the simulator over TLS with the identity plugin (appended by auth helper) ---


@pytest.fixture(scope="session")
def tls_ca(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A throwaway certificate authority (trustme) and a server certificate for loopback.

    Yields (ca_file, server_ssl_context): msal and aiohttp trust only `ca_file`.
    """
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path), server_ctx


# The sign-in tests' own fixtures (auth_home, identity_sim) live in tests/test_auth_support.py.


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

    from halotrack.simulator.testing import SimClient

    async with aiohttp.ClientSession() as session:
        yield SimClient(simulator.base_url, session, sim_tokens)


# --- match tables (appended by the matches helper) -------------------------------------


@pytest.fixture
def match_store(store):  # type: ignore[no-untyped-def]
    """`store` with the match tables empty: the shared PostgreSQL schema of `store` is only
    emptied of the snapshot tables between tests."""
    from halotrack.store import matches as sm

    def clear() -> None:
        with store.transaction() as tx:
            for table in reversed(sm.MATCH_TABLES):
                tx.conn.execute(table.delete())

    clear()
    yield store
    clear()
