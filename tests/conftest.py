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


@pytest.fixture
def auth_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private data/config/cache dirs so no test touches the user's real sign-in."""
    for name in ("DATA", "CONFIG", "CACHE"):
        monkeypatch.setenv(f"HALOTRACK_{name}_DIR", str(tmp_path / name.lower()))
    monkeypatch.setenv("HALOTRACK_CONFIG", str(tmp_path / "config" / "config.toml"))
    for name in (
        "HALOTRACK_API",
        "HALOTRACK_CLIENT_ID",
        "HALOTRACK_SPARTAN_TOKEN",
        "HALOTRACK_CLEARANCE",
        "HALOTRACK_AUTHORITY",
        "HALOTRACK_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


class IdentitySim:
    """What sign-in tests need from a running simulator with the identity plugin."""

    def __init__(self, sim: object, plugin: object, ca_file: str) -> None:
        self.sim = sim
        self.plugin = plugin
        self.ca_file = ca_file
        self.root: str = sim.base_url.rstrip("/")  # type: ignore[attr-defined]
        self.authority = f"{self.root}/login.microsoftonline.com/consumers"

    @property
    def state(self):  # type: ignore[no-untyped-def]
        return self.sim.state  # type: ignore[attr-defined]

    def now(self):  # type: ignore[no-untyped-def]
        return self.plugin.now()  # type: ignore[attr-defined]

    async def advance(self, hours: float) -> None:
        """Move the simulated clock without making the world play (sign-in needs no matches)."""
        self.sim.clock.advance(hours)  # type: ignore[attr-defined]

    def first_player(self) -> tuple[str, str]:
        xuid = self.plugin.first_xuid()  # type: ignore[attr-defined]
        return xuid, self.plugin.gamertag(xuid)  # type: ignore[attr-defined]

    def config(self, client_id: str = "00000000-0000-0000-0000-00000000c1d0"):  # type: ignore[no-untyped-def]
        from halotrack.auth import SignInConfig

        return SignInConfig(
            client_id=client_id,
            authority=self.authority,
            api_root=self.root,
            ca_bundle=self.ca_file,
        )

    def http(self):  # type: ignore[no-untyped-def]
        """An aiohttp session trusting only the test CA."""
        import ssl

        import aiohttp

        ctx = ssl.create_default_context(cafile=self.ca_file)
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx))

    async def approve(self, user_code: str, xuid: str | None = None, deny: bool = False) -> None:
        """Approve (or decline) a device code through the test hook, as the user would."""
        body: dict[str, object] = {"user_code": user_code, "deny": deny}
        if xuid:
            body["xuid"] = xuid
        url = f"{self.root}/_sim/identity/approve"
        async with self.http() as http, http.post(url, json=body) as resp:
            assert resp.status == 200, await resp.text()

    async def device_login(  # type: ignore[no-untyped-def]
        self, *, store=None, xuid: str | None = None, deny: bool = False, config=None
    ):
        """Run `login_device_code` in a task and approve its code when it shows one."""
        import asyncio

        from halotrack.auth import login_device_code

        codes: asyncio.Queue[object] = asyncio.Queue()
        task = asyncio.create_task(
            login_device_code(
                config or self.config(),
                show=codes.put_nowait,
                store=store,
                clock=self.now,
                poll_interval=0.02,
            )
        )
        getter = asyncio.create_task(codes.get())
        done, _ = await asyncio.wait(
            {task, getter}, timeout=30, return_when=asyncio.FIRST_COMPLETED
        )
        if getter not in done:
            getter.cancel()
            return await task  # failed before showing a code: raise its error
        await self.approve(getter.result().user_code, xuid=xuid, deny=deny)  # type: ignore[attr-defined]
        return await asyncio.wait_for(task, 30)


@pytest.fixture
async def identity_sim(tls_ca, auth_home):  # type: ignore[no-untyped-def]
    """The simulator (small world) over TLS with a fresh IdentityPlugin."""
    from halotrack.simulator import start_simulator
    from halotrack.simulator.identity import IdentityPlugin

    ca_file, server_ctx = tls_ca
    plugin = IdentityPlugin()
    async with start_simulator(
        seed=7, players=20, port=0, ssl_context=server_ctx, plugins=(plugin,)
    ) as sim:
        yield IdentitySim(sim, plugin, ca_file)


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
